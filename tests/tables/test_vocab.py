"""The vocabularies (myotrack.tables.vocab): drugs and classes, comorbidities with ICD-10 codes,
muscles and limb regions, other antibodies, event terms; unknown drugs kept as written."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myotrack.measures import mrc
from myotrack.tables import Dataset, dictionary_frame, vocab
from tests.conftest import make, seed_folder

# --------------------------------------------------------------------------------------------
# Every vocabulary: (name, canonical names, resolver, every written form -> canonical)


def _drug_forms() -> dict[str, str]:
    return {t: d.name for d in vocab.DRUGS for t in (d.name, *d.synonyms)}


def _comorbidity_forms() -> dict[str, str]:
    return {t: c.term for c in vocab.COMORBIDITY_TERMS for t in (c.term, *c.synonyms)}


def _muscle_forms() -> dict[str, str]:
    forms = {m: m for m in (*vocab.MUSCLES, *vocab.REGIONS)}
    forms.update(vocab.MUSCLE_SYNONYMS)
    forms.update(vocab.REGION_SYNONYMS)
    return forms


def _antibody_forms() -> dict[str, str]:
    return {t: a.name for a in vocab.OTHER_ANTIBODY_ENTRIES for t in (a.name, *a.synonyms)}


def _event_forms() -> dict[str, str]:
    return {t: e.term for e in vocab.EVENT_TERM_ENTRIES for t in (e.term, *e.synonyms)}


VOCABULARIES: dict[str, tuple[tuple[str, ...], Callable[[str], str | None], dict[str, str]]] = {
    "drugs": (tuple(d.name for d in vocab.DRUGS), vocab.canonical_drug, _drug_forms()),
    "comorbidities": (vocab.COMORBIDITIES, vocab.canonical_comorbidity, _comorbidity_forms()),
    "muscles": ((*vocab.MUSCLES, *vocab.REGIONS), vocab.canonical_muscle, _muscle_forms()),
    "antibodies": (vocab.OTHER_ANTIBODIES, vocab.canonical_antibody, _antibody_forms()),
    "events": (vocab.EVENT_TERMS, vocab.canonical_event_term, _event_forms()),
}
ALL_FORMS = [
    (name, text, canonical)
    for name, (_, _, f) in VOCABULARIES.items()
    for text, canonical in f.items()
]


@pytest.mark.parametrize("name", VOCABULARIES)
def test_canonical_names_are_unique_and_every_synonym_resolves(name: str) -> None:
    canonical, resolve, forms = VOCABULARIES[name]
    assert len(set(canonical)) == len(canonical)
    assert all(resolve(c) == c for c in canonical)
    wrong = {text: (resolve(text), want) for text, want in forms.items() if resolve(text) != want}
    assert not wrong
    assert resolve("") is None and resolve("   ") is None
    assert resolve("no such term at all") is None


def _variant(text: str, data: st.DataObject) -> str:
    """``text`` with random case, and random spaces/hyphens/underscores/dots between characters."""
    out = []
    for ch in text:
        ch = data.draw(st.sampled_from([ch.lower(), ch.upper()])) if ch.isascii() else ch
        if ch in " -_.'":
            ch = data.draw(st.sampled_from([" ", "-", "_", "", "  "]))
        out.append(ch)
        out.append(data.draw(st.sampled_from(["", "", "", " ", "-", "_"])))
    pad = data.draw(st.sampled_from(["", " ", "  "]))
    return pad + "".join(out) + pad


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_FORMS), st.data())
def test_case_space_hyphen_variants_resolve_the_same(
    form: tuple[str, str, str], data: st.DataObject
) -> None:
    """Property: 'Mycophenolate-Mofetil', 'MYCOPHENOLATE mofetil' and 'mycophenolate_mofetil'
    are one drug; the same holds in every vocabulary."""
    name, text, canonical = form
    resolve = VOCABULARIES[name][1]
    assert resolve(_variant(text, data)) == canonical


def test_key_ignores_case_accents_and_separators() -> None:
    assert vocab.key("Sjögren's syndrome") == vocab.key("SJOGREN S-SYNDROME") == "sjogrenssyndrome"
    assert vocab.key(" Mycophenolate-Mofetil ") == vocab.key("mycophenolate_mofetil")


# --------------------------------------------------------------------------------------------
# Drugs

#: The v1 vocabulary (every canonical name and synonym with its class), which the published
#: evidence data and v1 sources use: each must resolve unchanged.
V1_DRUGS = {
    "prednisone": ("glucocorticoid", ("prednisone", "prednisolone", "pdn", "psl", "pred")),
    "glucocorticoid": (
        "glucocorticoid",
        ("glucocorticoid", "cs", "ccs", "corticosteroid", "corticosteroids", "steroids", "steroid"),
    ),
    "methylprednisolone": (
        "glucocorticoid",
        ("methylprednisolone", "mep", "ivmp", "mp", "solumedrol", "methylprednisolone pulse"),
    ),
    "dexamethasone": ("glucocorticoid", ("dexamethasone", "dex")),
    "corticotropin": (
        "glucocorticoid",
        ("corticotropin", "acth", "acth gel", "corticotropin injection"),
    ),
    "methotrexate": ("steroid_sparing", ("methotrexate", "mtx")),
    "azathioprine": ("steroid_sparing", ("azathioprine", "aza")),
    "mycophenolate": (
        "steroid_sparing",
        ("mycophenolate", "mmf", "mycophenolate mofetil", "cellcept"),
    ),
    "tacrolimus": ("steroid_sparing", ("tacrolimus", "tac", "fk506")),
    "cyclosporine": (
        "steroid_sparing",
        ("cyclosporine", "csa", "ciclosporin", "cyclosporin", "cyclosporine a"),
    ),
    "ivig": (
        "immunoglobulin",
        (
            "ivig",
            "ig",
            "iv immunoglobulin",
            "intravenous immunoglobulin",
            "immunoglobulin",
            "vig",
            "mig",
        ),
    ),
    "scig": ("immunoglobulin", ("scig",)),
    "rituximab": ("anti_cd20", ("rituximab", "rtx", "mabthera", "rituxan")),
    "ofatumumab": ("anti_cd20", ("ofatumumab",)),
    "belimumab": ("anti_baff", ("belimumab", "benlysta")),
    "plasma_exchange": (
        "apheresis",
        ("plasma_exchange", "pe", "plex", "plasmapheresis", "plasma exchange therapy"),
    ),
    "cyclophosphamide": ("alkylating", ("cyclophosphamide", "ctx", "cyc", "cytoxan", "endoxan")),
    "hicy": ("alkylating", ("hicy", "high-dose cyclophosphamide", "high dose cyclophosphamide")),
    "autohct": (
        "transplant",
        (
            "autohct",
            "asct",
            "autologous stem cell transplantation",
            "autologous hematopoietic cell transplantation",
            "ahsct",
        ),
    ),
    "thymoglobulin": ("transplant", ("thymoglobulin", "atg", "antithymocyte globulin")),
    "r_chop": ("chemotherapy", ("r_chop", "r-chop", "rchop")),
    "vincristine": ("chemotherapy", ("vincristine", "vcr")),
    "statin": ("other", ("statin", "atorvastatin", "simvastatin", "rosuvastatin")),
}


@pytest.mark.parametrize("name", V1_DRUGS)
def test_every_v1_drug_name_and_synonym_resolves_unchanged(name: str) -> None:
    cls, written = V1_DRUGS[name]
    assert vocab.drug_class(name) == cls
    assert {w: vocab.canonical_drug(w) for w in written} == dict.fromkeys(written, name)


def test_the_published_evidence_names_only_vocabulary_drugs() -> None:
    """The shipped seed tables (000-004) write drugs the vocabulary knows (the other published
    folders keep some as written, with a warning)."""
    for path in seed_folder("0").parent.glob("00[0-4]_*/treatments.csv"):
        for d in pd.read_csv(path, dtype=str)["drug"].dropna():
            assert vocab.is_known_drug(d), (path.parent.name, d)


@pytest.mark.parametrize(
    ("written", "canonical", "cls"),
    [
        ("efgartigimod", "efgartigimod", "fcrn_inhibitor"),
        ("Vyvgart Hytrulo", "efgartigimod", "fcrn_inhibitor"),
        ("efgartigimod alfa", "efgartigimod", "fcrn_inhibitor"),
        ("Rystiggo", "rozanolixizumab", "fcrn_inhibitor"),
        ("nipocalimab", "nipocalimab", "fcrn_inhibitor"),
        ("IMVT-1401", "batoclimab", "fcrn_inhibitor"),
        ("Kesimpta", "ofatumumab", "anti_cd20"),
        ("Gazyva", "obinutuzumab", "anti_cd20"),
        ("Ocrevus", "ocrelizumab", "anti_cd20"),
        ("Uplizna", "inebilizumab", "anti_cd19"),
        ("RoActemra", "tocilizumab", "il6_inhibitor"),
        ("TCZ", "tocilizumab", "il6_inhibitor"),
        ("Kevzara", "sarilumab", "il6_inhibitor"),
        ("CTLA4-Ig", "abatacept", "costimulation_blocker"),
        ("Xeljanz", "tofacitinib", "jak_inhibitor"),
        ("Olumiant", "baricitinib", "jak_inhibitor"),
        ("Rinvoq", "upadacitinib", "jak_inhibitor"),
        ("Jakavi", "ruxolitinib", "jak_inhibitor"),
        ("Darzalex", "daratumumab", "anti_cd38"),
        ("anti-CD19 CAR-T", "cd19_car_t", "cell_therapy"),
        ("CD19 CAR T cells", "cd19_car_t", "cell_therapy"),
        ("Hizentra", "scig", "immunoglobulin"),
        ("subcutaneous immunoglobulin", "scig", "immunoglobulin"),
        ("Octagam", "ivig", "immunoglobulin"),
        ("Soliris", "eculizumab", "complement_inhibitor"),
        ("Ultomiris", "ravulizumab", "complement_inhibitor"),
        ("zilucoplan", "zilucoplan", "complement_inhibitor"),
        ("Plaquenil", "hydroxychloroquine", "antimalarial"),
        ("HCQ", "hydroxychloroquine", "antimalarial"),
        ("Arava", "leflunomide", "steroid_sparing"),
        ("rapamycin", "sirolimus", "steroid_sparing"),
        ("sulphasalazine", "sulfasalazine", "steroid_sparing"),
        ("IV cyclophosphamide", "cyclophosphamide", "alkylating"),
        ("oral cyclophosphamide", "cyclophosphamide", "alkylating"),
        ("Velcade", "bortezomib", "proteasome_inhibitor"),
        ("Saphnelo", "anifrolumab", "anti_interferon"),
        ("Otezla", "apremilast", "pde4_inhibitor"),
        ("Prograf", "tacrolimus", "steroid_sparing"),
        ("Solu-Medrol", "methylprednisolone", "glucocorticoid"),
        ("hydrocortisone", "hydrocortisone", "glucocorticoid"),
        ("deflazacort", "deflazacort", "glucocorticoid"),
    ],
)
def test_drugs_used_or_tried_in_imnm_have_a_class(written: str, canonical: str, cls: str) -> None:
    assert vocab.canonical_drug(written) == canonical
    assert vocab.drug_class(written) == cls == vocab.drug_class(canonical)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("corticosteroid", "glucocorticoid"),
        ("corticosteroids", "glucocorticoid"),
        ("steroids", "glucocorticoid"),
        ("CS", "glucocorticoid"),
        ("pulse steroid", "glucocorticoid_pulse"),
        ("pulse-dose steroid", "glucocorticoid_pulse"),
        ("Pulse dose steroid", "glucocorticoid_pulse"),
        ("steroid pulse", "glucocorticoid_pulse"),
        ("IV steroid", "glucocorticoid_pulse"),
        ("IV corticosteroids", "glucocorticoid_pulse"),
        ("intravenous steroids", "glucocorticoid_pulse"),
        ("high-dose IV steroid", "glucocorticoid_pulse"),
        ("High dose IV steroid", "glucocorticoid_pulse"),
        # as case reports write a course whose dose they do not give (zeng2024, nakao2025)
        ("high-dose glucocorticoids", "glucocorticoid"),
        ("High dose steroids", "glucocorticoid"),
        ("high-dose corticoid", "glucocorticoid"),
    ],
)
def test_unnamed_glucocorticoids(written: str, canonical: str) -> None:
    assert vocab.canonical_drug(written) == canonical
    assert vocab.drug_class(written) == "glucocorticoid"


def test_every_drug_class_is_described() -> None:
    assert {d.drug_class for d in vocab.DRUGS} <= set(vocab.DRUG_CLASSES)
    assert vocab.UNKNOWN_CLASS not in vocab.DRUG_CLASSES
    assert "FcRn" in vocab.drug_class_label("fcrn_inhibitor")
    assert set(vocab.GLUCOCORTICOIDS) >= {"prednisone", "glucocorticoid", "glucocorticoid_pulse"}


def test_a_drug_outside_the_vocabulary_is_unknown_and_shown_as_written() -> None:
    name = "Obexelimab 125 mg"
    assert not vocab.is_known_drug(name)
    assert vocab.is_known_drug("RTX") and vocab.is_known_drug("rituximab")
    assert vocab.drug_class(name) == vocab.UNKNOWN_CLASS == "unknown"
    assert vocab.drug_label(name) == name
    assert vocab.drug_info(name) == vocab.Drug(name, name, "unknown", ())
    assert vocab.drug_label("ivig") == "intravenous immunoglobulin"
    assert vocab.drug_class_label("unknown") == "not in the drug vocabulary"
    assert "rituximab" in vocab.suggest_drugs("rituximb")


# --------------------------------------------------------------------------------------------
# Comorbidities

V1_COMORBIDITIES = (
    "hbv",
    "hcv",
    "hiv",
    "cirrhosis",
    "portal_hypertension",
    "malignancy",
    "lymphoma",
    "interstitial_lung_disease",
    "myocarditis",
    "cardiomyopathy",
    "diabetes",
    "hypertension",
    "pregnancy",
    "tuberculosis",
    "osteoporosis",
    "dysphagia",
    "dyspnea",
    "dropped_head",
    "weight_loss",
    "erythema_nodosum",
    "heart_failure",
    "renal_failure",
)
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")


def test_v1_comorbidity_terms_are_kept_and_symptoms_marked() -> None:
    assert isinstance(vocab.COMORBIDITIES, tuple)
    assert all(isinstance(t, str) for t in vocab.COMORBIDITIES)
    assert set(V1_COMORBIDITIES) <= set(vocab.COMORBIDITIES)
    assert set(vocab.SYMPTOM_TERMS) == {"dysphagia", "dyspnea", "dropped_head", "weight_loss"}
    assert vocab.is_symptom("Dyspnoea") and not vocab.is_symptom("hbv")
    assert all(vocab.canonical_comorbidity(t) == t for t in V1_COMORBIDITIES)


def test_every_comorbidity_has_an_icd10_code_of_valid_syntax() -> None:
    for c in vocab.COMORBIDITY_TERMS:
        assert ICD10.match(c.icd10), c
        assert vocab.comorbidity_icd10(c.term) == c.icd10
        assert c.kind in ("condition", "symptom")
        assert c.label
    assert vocab.comorbidity_icd10("no such disease") is None


@pytest.mark.parametrize(
    ("written", "term", "icd10"),
    [
        ("Hyperlipidemia", "hyperlipidaemia", "E78"),
        ("dyslipidaemia", "hyperlipidaemia", "E78"),
        ("hypercholesterolaemia", "hyperlipidaemia", "E78"),
        ("gastric cancer", "gastric_cancer", "C16"),
        ("stomach cancer", "gastric_cancer", "C16"),
        ("breast cancer", "breast_cancer", "C50"),
        ("NSCLC", "lung_cancer", "C34"),
        ("colon cancer", "colorectal_cancer", "C18"),
        ("ovarian cancer", "ovarian_cancer", "C56"),
        ("prostate cancer", "prostate_cancer", "C61"),
        ("thyroid carcinoma", "thyroid_cancer", "C73"),
        ("malignant melanoma", "melanoma", "C43"),
        ("myocardial infarction", "myocardial_infarction", "I21"),
        ("MI", "myocardial_infarction", "I21"),
        ("CAD", "coronary_artery_disease", "I25"),
        ("CVA", "stroke", "I64"),
        ("AFib", "atrial_fibrillation", "I48"),
        ("T1DM", "type_1_diabetes", "E10"),
        ("type 2 diabetes mellitus", "type_2_diabetes", "E11"),
        ("diabetes mellitus", "diabetes", "E14"),
        ("hypothyroidism", "hypothyroidism", "E03"),
        ("thyrotoxicosis", "hyperthyroidism", "E05"),
        ("CKD", "chronic_kidney_disease", "N18"),
        ("scleroderma", "systemic_sclerosis", "M34"),
        ("systemic lupus erythematosus", "sle", "M32"),
        ("Sjögren's syndrome", "sjogren", "M35.0"),
        ("sjogren syndrome", "sjogren", "M35.0"),
        ("rheumatoid arthritis", "rheumatoid_arthritis", "M06.9"),
        ("MCTD", "mixed_connective_tissue_disease", "M35.1"),
        ("hepatitis B", "hbv", "B18.1"),
        ("chronic hepatitis C", "hcv", "B18.2"),
        ("HIV infection", "hiv", "B24"),
        ("ILD", "interstitial_lung_disease", "J84"),
        ("obese", "obesity", "E66"),
        ("bronchial asthma", "asthma", "J45"),
        ("chronic obstructive pulmonary disease", "copd", "J44"),
        ("major depressive disorder", "depression", "F32"),
        ("shortness of breath", "dyspnea", "R06.0"),
        ("dropped head syndrome", "dropped_head", "M62.8"),
    ],
)
def test_comorbidities_as_imnm_papers_report_them(written: str, term: str, icd10: str) -> None:
    assert vocab.canonical_comorbidity(written) == term
    assert vocab.comorbidity_icd10(written) == icd10 == vocab.comorbidity_icd10(term)


def test_comorbidity_suggestions() -> None:
    assert "hyperlipidaemia" in vocab.suggest_comorbidities("hyperlipidaema")


# --------------------------------------------------------------------------------------------
# Muscles and regions


def test_muscles_are_unchanged_and_regions_are_those_of_measures_mrc() -> None:
    assert vocab.MUSCLES == (
        "neck_flexors",
        "neck_extensors",
        "shoulder_abductors",
        "elbow_flexors",
        "elbow_extensors",
        "wrist_extensors",
        "wrist_flexors",
        "finger_flexors",
        "hip_flexors",
        "hip_extensors",
        "hip_abductors",
        "hip_adductors",
        "gluteus_maximus",
        "gluteus_medius",
        "knee_extensors",
        "knee_flexors",
        "ankle_dorsiflexors",
        "ankle_plantarflexors",
    )
    assert vocab.REGIONS is mrc.REGIONS
    assert not set(vocab.MUSCLES) & set(vocab.REGIONS)
    assert all(vocab.is_region(r) for r in vocab.REGIONS)
    assert not any(vocab.is_region(m) for m in vocab.MUSCLES)
    assert not vocab.is_region("no such region")


@pytest.mark.parametrize(
    ("written", "muscle"),
    [
        ("arm abduction", "shoulder_abductors"),
        ("shoulder abduction", "shoulder_abductors"),
        ("deltoids", "shoulder_abductors"),
        ("Deltoid", "shoulder_abductors"),
        ("deltoid muscle", "shoulder_abductors"),
        ("biceps", "elbow_flexors"),
        ("triceps", "elbow_extensors"),
        ("hip flexion", "hip_flexors"),
        ("iliopsoas", "hip_flexors"),
        ("quads", "knee_extensors"),
        ("quadriceps femoris", "knee_extensors"),
        ("quadriceps muscles", "knee_extensors"),
        ("hamstrings", "knee_flexors"),
        ("tibialis anterior", "ankle_dorsiflexors"),
        ("foot dorsiflexion", "ankle_dorsiflexors"),
        ("gastrocnemius", "ankle_plantarflexors"),
        ("neck flexion", "neck_flexors"),
        ("neck extension", "neck_extensors"),
        ("grip", "finger_flexors"),
        ("wrist extension", "wrist_extensors"),
        ("gluteus maximus", "gluteus_maximus"),
        # the v1 synonyms, written with underscores
        ("shoulder_abduction", "shoulder_abductors"),
        ("arm_abductors", "shoulder_abductors"),
        ("tibialis_anterior", "ankle_dorsiflexors"),
        ("elbow_flexion", "elbow_flexors"),
        ("knee_extension", "knee_extensors"),
    ],
)
def test_muscles_as_clinicians_write_them(written: str, muscle: str) -> None:
    assert vocab.canonical_muscle(written) == muscle
    assert not vocab.is_region(written)


@pytest.mark.parametrize(
    ("written", "region"),
    [
        ("proximal upper limb", "proximal_upper_limb"),
        ("proximal upper limbs", "proximal_upper_limb"),
        ("Proximal upper extremities", "proximal_upper_limb"),
        ("proximal arm muscles", "proximal_upper_limb"),
        ("proximal lower limb", "proximal_lower_limb"),
        ("proximal lower limbs", "proximal_lower_limb"),
        ("proximal lower extremities", "proximal_lower_limb"),
        ("distal upper limb", "distal_upper_limb"),
        ("distal lower limb", "distal_lower_limb"),
        ("distal extremities", "distal_limbs"),
        ("distal limbs", "distal_limbs"),
        ("upper limbs", "upper_limbs"),
        ("arms", "upper_limbs"),
        ("lower limbs", "lower_limbs"),
        ("legs", "lower_limbs"),
        ("proximal muscles", "proximal_limbs"),
        ("proximal limbs", "proximal_limbs"),
        ("all limbs", "all_limbs"),
        ("four limbs", "all_limbs"),
        ("all extremities", "all_limbs"),
        ("proximal_upper_limb", "proximal_upper_limb"),
    ],
)
def test_limb_regions_as_clinicians_write_them(written: str, region: str) -> None:
    assert vocab.canonical_muscle(written) == region
    assert vocab.is_region(written)


def test_every_region_member_is_a_vocabulary_muscle() -> None:
    assert {m for ms in vocab.REGIONS.values() for m in ms} <= set(vocab.MUSCLES)
    assert set(vocab.MRC_SUM_MUSCLES) | set(vocab.MMT8_MUSCLES) <= set(vocab.MUSCLES)
    assert "shoulder_abductors" in vocab.suggest_muscles("shoulder abductor muscle")


# --------------------------------------------------------------------------------------------
# Other antibodies and event terms

V1_ANTIBODIES = (
    "Ro52",
    "Ro60",
    "SSA",
    "SSB",
    "ANA",
    "Jo1",
    "PL7",
    "PL12",
    "Mi2",
    "Ku",
    "PMScl",
    "dsDNA",
    "RNP",
)
V1_EVENT_TERMS = (
    "febrile_neutropenia",
    "neutropenia",
    "pneumonia",
    "fungal_pneumonia",
    "c_difficile_colitis",
    "bacteremia",
    "herpes_zoster",
    "facial_abscess",
    "hbv_reactivation",
    "hbv_flare",
    "hdv_coinfection",
    "anaphylaxis",
    "infusion_reaction",
    "cytopenia",
    "liver_dysfunction",
    "weight_gain",
    "heart_failure",
    "death",
    "nausea",
    "alopecia",
    "haemorrhagic_cystitis",
    "infection",
    "relapse",
    "hospitalisation",
    "other",
)


def test_v1_antibodies_and_event_terms_are_kept() -> None:
    assert set(V1_ANTIBODIES) <= set(vocab.OTHER_ANTIBODIES)
    assert set(V1_EVENT_TERMS) <= set(vocab.EVENT_TERMS)
    assert all(vocab.canonical_antibody(a) == a for a in V1_ANTIBODIES)
    assert all(vocab.canonical_event_term(t) == t for t in V1_EVENT_TERMS)


@pytest.mark.parametrize(
    ("written", "antibody"),
    [
        ("anti-Ro52", "Ro52"),
        ("TRIM21", "Ro52"),
        ("Ro", "SSA"),  # seed 003 writes 'Ro'
        ("anti-La", "SSB"),
        ("antinuclear antibodies", "ANA"),
        ("anti-Jo-1 antibody", "Jo1"),
        ("PL-12", "PL12"),
        ("anti-MDA5", "MDA5"),
        ("TIF1-gamma", "TIF1g"),
        ("NT5C2", "cN1A"),
        ("PM/Scl", "PMScl"),
        ("U1-RNP", "RNP"),
        ("anti-dsDNA", "dsDNA"),
    ],
)
def test_other_antibodies_as_written(written: str, antibody: str) -> None:
    assert vocab.canonical_antibody(written) == antibody


@pytest.mark.parametrize(
    ("written", "term"),
    [
        ("shingles", "herpes_zoster"),
        ("neutropenic fever", "febrile_neutropenia"),
        ("C. difficile colitis", "c_difficile_colitis"),
        ("bacteraemia", "bacteremia"),
        ("hepatitis B reactivation", "hbv_reactivation"),
        ("hemorrhagic cystitis", "haemorrhagic_cystitis"),
        ("hospitalization", "hospitalisation"),
        ("infusion-related reaction", "infusion_reaction"),
        ("transaminitis", "liver_dysfunction"),
        ("PJP", "pneumocystis_pneumonia"),
        ("cytokine release syndrome", "cytokine_release_syndrome"),
        ("hypogammaglobulinemia", "hypogammaglobulinaemia"),
        ("died", "death"),
    ],
)
def test_event_terms_as_written(written: str, term: str) -> None:
    assert vocab.canonical_event_term(written) == term


# --------------------------------------------------------------------------------------------
# The data dictionary of the template


def test_the_data_dictionary_lists_every_term_with_class_or_icd10() -> None:
    d = dictionary_frame()
    v = d[d["table"] == "vocabulary"]
    drugs = v[v["column"] == "treatments.drug"].set_index("term")
    assert list(drugs.index) == [x.name for x in vocab.DRUGS]
    assert drugs.loc["efgartigimod", "class"].startswith("fcrn_inhibitor")
    assert "vyvgart" in drugs.loc["efgartigimod", "synonyms"]
    como = v[v["column"] == "patients.comorbidities"].set_index("term")
    assert list(como.index) == list(vocab.COMORBIDITIES)
    assert como.loc["hyperlipidaemia", "icd10"] == "E78"
    assert como.loc["dysphagia", "class"] == "symptom"
    muscles = v[v["column"] == "strength.muscle"].set_index("term")
    assert set(muscles.index) == {*vocab.MUSCLES, *vocab.REGIONS}
    assert muscles.loc["all_limbs", "class"] == "region"
    assert set(v[v["column"] == "events.term"]["term"]) == set(vocab.EVENT_TERMS)
    assert set(v[v["column"] == "patients.other_antibodies"]["term"]) == set(vocab.OTHER_ANTIBODIES)
    assert (d["description"].str.len() > 0).all()


# --------------------------------------------------------------------------------------------
# A drug outside the vocabulary, kept as written, does not break what reads treatments

UNKNOWN = "obexelimab"


@pytest.fixture(scope="module")
def with_unknown_drug() -> Dataset:
    """A valid synthetic source whose second course is then renamed to a drug outside the
    vocabulary, as a v2 reader keeps it (with a warning)."""
    ds = make(
        [
            {
                "patient_id": "P1",
                "sex": "F",
                "antibody": "HMGCR",
                "weight_kg": 60,
                "comorbidities": "hyperlipidaemia",
            },
            {"patient_id": "P2", "sex": "M", "antibody": "SRP"},
        ],
        visits=[
            {"patient_id": "P1", "day": 0, "ck": 8000, "ck_uln": 200, "mrc_sum": 44, "mrs": 3},
            {"patient_id": "P1", "day": 180, "ck": 300, "ck_uln": 200, "mrc_sum": 56, "mrs": 1},
            {"patient_id": "P2", "day": 0, "ck": 5000, "ck_uln": 200, "mrc_sum": 50},
        ],
        treatments=[
            {
                "patient_id": "P1",
                "drug": "prednisone",
                "start_day": 0,
                "dose": 60,
                "dose_unit": "mg",
            },
            {"patient_id": "P1", "drug": "rituximab", "start_day": 10},
            {"patient_id": "P2", "drug": "ivig", "start_day": 5},
        ],
        events=[
            {
                "patient_id": "P1",
                "day": 40,
                "kind": "adverse_event",
                "term": "infection",
                "treatment": "rituximab",
            }
        ],
    )
    t = ds.treatments.copy()
    t.loc[t["drug"] == "rituximab", "drug"] = UNKNOWN
    e = ds.events.copy()
    e.loc[e["treatment"] == "rituximab", "treatment"] = UNKNOWN
    return dataclasses.replace(ds, treatments=t, events=e)


def test_unknown_drug_in_cohort_variables_and_rates(with_unknown_drug: Dataset) -> None:
    from myotrack.cohort import patient_frame, rates_dataset

    frame = patient_frame(with_unknown_drug)
    p1 = frame.set_index("patient_id").loc["P1"]
    assert p1[f"received_{UNKNOWN}"] == "yes"
    assert p1["initial_regimen"] == f"prednisone+{UNKNOWN}"
    assert p1["n_immunosuppressants_90d"] == 1.0  # the unknown drug is not a glucocorticoid
    table = rates_dataset(with_unknown_drug)
    assert UNKNOWN in table.frame.to_string()


def test_unknown_drug_in_the_evidence_lookup(with_unknown_drug: Dataset) -> None:
    from myotrack.evidence import find_evidence, profile_from_source, rank
    from myotrack.evidence.lookup import match_group
    from myotrack.evidence.safety import safety_notes

    profile = profile_from_source(with_unknown_drug, "P1")
    assert profile.failed == ("prednisone", UNKNOWN)
    assert profile.comorbidities == ("hyperlipidaemia",)
    assert match_group(UNKNOWN) == UNKNOWN
    assert safety_notes([UNKNOWN]) == ()
    ranked = rank(profile, evidence=with_unknown_drug, exclude=["P1"])
    assert [m.patient_id for m in ranked] == ["P2"]
    result = find_evidence(profile, evidence=with_unknown_drug, exclude=["P1"])
    assert not result.comparable  # nobody else received the unknown drug
    own = find_evidence(profile_from_source(with_unknown_drug, "P2"), evidence=with_unknown_drug)
    assert own.matches


def test_unknown_drug_in_the_figures(with_unknown_drug: Dataset, tmp_path: Path) -> None:
    from myotrack.plots import style
    from myotrack.plots.course import patient_course
    from myotrack.plots.swimmer import swimmer_figure
    from myotrack.plots.timeline import timeline_figure, timeline_plotly

    assert style.drug_colour(UNKNOWN) == style.CLASS_COLOURS["other"]
    assert style.drug_label(UNKNOWN) == UNKNOWN
    pc = patient_course(with_unknown_drug, "P1")
    assert UNKNOWN in {c.drug for c in pc.dated_courses}
    style.save(timeline_figure(pc), str(tmp_path / "p1.svg"))
    assert UNKNOWN in timeline_plotly(pc).to_json()
    style.save(swimmer_figure([pc]), str(tmp_path / "swimmer.svg"))
