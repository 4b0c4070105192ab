"""Vocabularies: drugs and their synonyms, muscles, antibodies, comorbidities, event terms.

Drug names as they are written in the seed papers resolve to one canonical name each
(DOMAIN.md section 3). Matching ignores case, spaces, hyphens and dots.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from myotrack.measures.mrc import MMT8_MUSCLES, MRC_SUM_MUSCLES


@dataclass(frozen=True)
class Drug:
    name: str
    label: str
    drug_class: str
    synonyms: tuple[str, ...]


DRUGS: tuple[Drug, ...] = (
    Drug(
        "prednisone",
        "prednisone / prednisolone",
        "glucocorticoid",
        ("prednisolone", "pdn", "psl", "pred"),
    ),
    Drug(
        "glucocorticoid",
        "glucocorticoid (unspecified)",
        "glucocorticoid",
        ("cs", "ccs", "corticosteroid", "corticosteroids", "steroids", "steroid"),
    ),
    Drug(
        "methylprednisolone",
        "methylprednisolone (IV pulse)",
        "glucocorticoid",
        ("mep", "ivmp", "mp", "solumedrol", "methylprednisolone pulse"),
    ),
    Drug("dexamethasone", "dexamethasone", "glucocorticoid", ("dex",)),
    Drug(
        "corticotropin",
        "corticotropin (ACTH gel)",
        "glucocorticoid",
        ("acth", "acth gel", "corticotropin injection"),
    ),
    Drug("methotrexate", "methotrexate", "steroid_sparing", ("mtx",)),
    Drug("azathioprine", "azathioprine", "steroid_sparing", ("aza",)),
    Drug(
        "mycophenolate",
        "mycophenolate mofetil",
        "steroid_sparing",
        ("mmf", "mycophenolate mofetil", "cellcept"),
    ),
    Drug("tacrolimus", "tacrolimus", "steroid_sparing", ("tac", "fk506")),
    Drug(
        "cyclosporine",
        "cyclosporine",
        "steroid_sparing",
        ("csa", "ciclosporin", "cyclosporin", "cyclosporine a"),
    ),
    Drug(
        "ivig",
        "intravenous immunoglobulin",
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
    Drug("scig", "subcutaneous immunoglobulin", "immunoglobulin", ("scig",)),
    Drug("rituximab", "rituximab", "anti_cd20", ("rtx", "mabthera", "rituxan")),
    Drug("ofatumumab", "ofatumumab", "anti_cd20", ()),
    Drug("belimumab", "belimumab", "anti_baff", ("benlysta",)),
    Drug(
        "plasma_exchange",
        "plasma exchange",
        "apheresis",
        ("pe", "plex", "plasmapheresis", "plasma exchange therapy"),
    ),
    Drug(
        "cyclophosphamide", "cyclophosphamide", "alkylating", ("ctx", "cyc", "cytoxan", "endoxan")
    ),
    Drug(
        "hicy",
        "high-dose cyclophosphamide (50 mg/kg IBW x4 days)",
        "alkylating",
        ("high-dose cyclophosphamide", "high dose cyclophosphamide"),
    ),
    Drug(
        "autohct",
        "autologous haematopoietic cell transplantation",
        "transplant",
        (
            "asct",
            "autologous stem cell transplantation",
            "autologous hematopoietic cell transplantation",
            "ahsct",
        ),
    ),
    Drug(
        "thymoglobulin", "anti-thymocyte globulin", "transplant", ("atg", "antithymocyte globulin")
    ),
    Drug(
        "r_chop",
        "R-CHOP (rituximab, cyclophosphamide, doxorubicin, vincristine, prednisone)",
        "chemotherapy",
        ("r-chop", "rchop"),
    ),
    Drug("vincristine", "vincristine", "chemotherapy", ("vcr",)),
    Drug("statin", "statin", "other", ("atorvastatin", "simvastatin", "rosuvastatin")),
)

#: Drug classes that count as 'an immunosuppressant or IVIg' in the 001 refractory definition.
REFRACTORY_SECOND_AGENTS = ("methotrexate", "azathioprine", "mycophenolate", "ivig")


def _key(text: str) -> str:
    return re.sub(r"[\s\-_.]+", "", text.strip().lower())


_LOOKUP: dict[str, str] = {}
for _d in DRUGS:
    _LOOKUP[_key(_d.name)] = _d.name
    for _s in _d.synonyms:
        _LOOKUP[_key(_s)] = _d.name
DRUG_BY_NAME: dict[str, Drug] = {d.name: d for d in DRUGS}


def canonical_drug(text: str) -> str | None:
    """The canonical drug name for ``text`` (any synonym or abbreviation), or None."""
    if not text or not text.strip():
        return None
    return _LOOKUP.get(_key(text))


def suggest_drugs(text: str, n: int = 3) -> list[str]:
    """Known drug names closest to an unknown one, for the error message."""
    candidates = sorted(
        {d.name for d in DRUGS} | {s for d in DRUGS for s in d.synonyms if len(s) > 2}
    )
    return difflib.get_close_matches(text.strip().lower(), candidates, n=n, cutoff=0.5)


def drug_class(name: str) -> str:
    return DRUG_BY_NAME[name].drug_class


# Muscles: the MRC-sum six and the MMT-8 eight (defined with their scores in measures.mrc),
# and others the papers grade.
__all__ = ["MMT8_MUSCLES", "MRC_SUM_MUSCLES"]  # re-exported for readers of the vocabulary
MUSCLES = (
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
MUSCLE_SYNONYMS = {
    "deltoid": "shoulder_abductors",
    "deltoids": "shoulder_abductors",
    "shoulder_abduction": "shoulder_abductors",
    "arm_abductors": "shoulder_abductors",
    "biceps": "elbow_flexors",
    "elbow_flexion": "elbow_flexors",
    "triceps": "elbow_extensors",
    "elbow_extension": "elbow_extensors",
    "iliopsoas": "hip_flexors",
    "hip_flexion": "hip_flexors",
    "quadriceps": "knee_extensors",
    "knee_extension": "knee_extensors",
    "tibialis_anterior": "ankle_dorsiflexors",
    "neck_flexion": "neck_flexors",
    "wrist_extension": "wrist_extensors",
    "neck_extension": "neck_extensors",
}


def canonical_muscle(text: str) -> str | None:
    key = re.sub(r"[\s\-]+", "_", text.strip().lower())
    if key in MUSCLES:
        return key
    return MUSCLE_SYNONYMS.get(key)


COMORBIDITIES = (
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
OTHER_ANTIBODIES = (
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

EVENT_TERMS = (
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
