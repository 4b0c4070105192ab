"""The published cases: every folder is valid user data, every row cites its source, and the
counts and facts match the seed papers.

Seed files (../shared/seeds/): 000_80350b79465dbaee.txt (Perera 2024), 001_671bdba78517435d.txt
(anti-B-cell therapy in anti-SRP IMNM), 002_9b96058124cb16f6.txt (Mecoli 2017),
003_a2cd6499b7611149.txt (Pinheiro 2022), 004_6daa8c1a3963b6f3.txt (Termglinchan 2024).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from myotrack.evidence import DATA_DIR, case_counts, load_evidence, load_studies, sources
from myotrack.tables import read_source
from myotrack.tables.schema import TABLE_NAMES

FOLDERS = sorted(p for p in DATA_DIR.iterdir() if p.is_dir())
OTHER_FILES = ("sources.csv", "studies.csv", "safety_rules.csv")


def rows_without_source(path: Path) -> list[str]:
    """'file:row' of every data row whose ``source`` cell is missing or empty."""
    bad = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for i, row in enumerate(reader, start=2):
            if not (row.get("source") or "").strip():
                bad.append(f"{path.parent.name}/{path.name}:{i}")
    return bad


def test_one_folder_per_publication() -> None:
    """The five seed files 000-004 each have one folder, then one per other publication; every
    folder is listed in sources.csv (in the same order) and every other publication has a URL."""
    assert [p.name[:3] for p in FOLDERS[:5]] == ["000", "001", "002", "003", "004"]
    assert [s.folder for s in sources() if s.folder] == [p.name for p in FOLDERS]
    assert all(s.url for s in sources() if not s.is_seed)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_every_folder_passes_the_user_data_reader(folder: Path) -> None:
    ds = read_source(folder)
    assert len(ds.patients) > 0
    prefix = (folder.name[:3] if folder.name[:3].isdigit() else folder.name) + "-"
    assert all(pid.startswith(prefix) for pid in ds.patient_ids)


def test_every_evidence_row_cites_its_source() -> None:
    files = [
        f for folder in FOLDERS for name in TABLE_NAMES if (f := folder / f"{name}.csv").exists()
    ]
    files += [DATA_DIR / n for n in OTHER_FILES]
    assert len(files) > 5 * 5 + 3
    missing = [r for f in files for r in rows_without_source(f)]
    assert missing == []


def test_the_provenance_check_catches_a_row_without_source(tmp_path: Path) -> None:
    """The check above can fail: a copied folder with one source blanked is reported."""
    copy = tmp_path / "002"
    shutil.copytree(DATA_DIR / "002_mecoli2017", copy)
    path = copy / "events.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[3]["source"] = " "
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert rows_without_source(path) == ["002/events.csv:5"]


def test_patients_per_paper() -> None:
    """000: one patient; 001: the belimumab case, 20 Table 3 cases and 3 single-centre patients;
    002: five HiCy patients (Table 1); 003: one; 004: the four Figure 1 cases and the two
    Discussion patients."""
    by = case_counts().by_source.set_index("seed")["patients"].to_dict()
    assert {k: by[k] for k in ("000", "001", "002", "003", "004")} == {
        "000": 1,
        "001": 24,
        "002": 5,
        "003": 1,
        "004": 6,
    }
    ds = load_evidence()
    assert ds.patients["patient_id"].is_unique


def test_001_table3_twenty_rituximab_cases_with_age_and_sex() -> None:
    """Seed 001, Table 3 ('Age/Gender' column, in row order): 20 anti-SRP patients treated with
    rituximab (one as R-CHOP)."""
    ds = load_evidence()
    p = ds.patients[ds.patients["patient_id"].str.startswith("001-T3-")]
    assert p["patient_id"].tolist() == [f"001-T3-{i:02d}" for i in range(1, 21)]
    assert [int(a) for a in p["age_at_onset"]] == [
        76,
        34,
        30,
        30,
        71,
        28,
        20,
        34,
        44,
        72,
        21,
        26,
        51,
        32,
        50,
        54,
        44,
        41,
        20,
        24,
    ]
    assert "".join(p["sex"]) == "FFFFMFFFFMFFMFFMFFMF"
    assert set(p["antibody"]) == {"SRP"}
    t = ds.treatments[ds.treatments["patient_id"].isin(p["patient_id"])]
    last = t.sort_values("line").groupby("patient_id").tail(1)
    # row 4 'relapsed with MTX tapering': its methotrexate course follows the rituximab
    assert last.loc[last["patient_id"] == "001-T3-04", "drug"].tolist() == ["methotrexate"]
    last = t[t["drug"] != "methotrexate"].sort_values("line").groupby("patient_id").tail(1)
    assert len(last) == 20 and set(last["drug"]) == {"rituximab", "r_chop"}
    assert last.loc[last["drug"] == "r_chop", "patient_id"].tolist() == ["001-T3-05"]


def test_001_table3_protocols_outcomes_and_adverse_effects() -> None:
    """Seed 001 Table 3 and its footnote (treatment A: 2 x 1,000 mg two weeks apart; B: 375 mg/m2
    weekly; one infusion: 1,000 mg); Discussion: 'three patients relapsed during tapering ...
    five patients developed infections after RTX therapy, and one patient died from pneumonia
    and congestive heart failure'."""
    ds = load_evidence()
    t = ds.treatments[ds.treatments["patient_id"].str.startswith("001-T3-")]
    protocols = t["protocol"].value_counts().to_dict()
    assert protocols == {"rtx_a": 12, "rtx_b": 3, "rtx_one": 2}
    assert set(t.loc[t["protocol"] == "rtx_a", "dose"]) == {1000}
    assert set(t.loc[t["protocol"] == "rtx_b", "dose_unit"]) == {"mg/m2"}
    e = ds.events[ds.events["patient_id"].str.startswith("001-T3-")]
    assert e.loc[e["kind"] == "relapse_reported", "patient_id"].tolist() == [
        "001-T3-04",
        "001-T3-17",
        "001-T3-19",
    ]
    infections = {"facial_abscess", "pneumonia", "herpes_zoster", "hbv_flare"}
    assert e.loc[e["term"].isin(infections), "patient_id"].nunique() == 5
    assert e.loc[e["kind"] == "death", "patient_id"].tolist() == ["001-T3-10"]
    # severe symptoms aligned by order up to the first blank (rows 1-5): symptoms are
    # observations, conditions comorbidities
    como = ds.patients.set_index("patient_id")["comorbidities"]
    assert como["001-T3-02"] == "erythema_nodosum"
    assert como["001-T3-03"] == "pregnancy" and como["001-T3-05"] == "lymphoma"
    assert como[[f"001-T3-{i:02d}" for i in range(1, 21)]].notna().sum() == 3
    o = ds.observations[ds.observations["patient_id"].str.startswith("001-T3-")]
    assert o.loc[o["code"] == "dysphagia", "patient_id"].tolist() == [
        "001-T3-01",
        "001-T3-02",
        "001-T3-05",
    ]


def test_001_single_centre_three_rituximab_patients() -> None:
    """Seed 001 text (single centre): three anti-SRP patients on RTX; the first did not respond,
    the other two did; herpes zoster in the third after the first infusion, RTX stopped."""
    ds = load_evidence()
    t = ds.treatments[ds.treatments["patient_id"].str.startswith("001-SC-")].set_index("patient_id")
    assert t["reported_response"].to_dict() == {
        "001-SC-1": "no",
        "001-SC-2": "yes",
        "001-SC-3": "yes",
    }
    assert t.loc["001-SC-3", "stop_reason"] == "adverse_event"
    e = ds.events[ds.events["patient_id"].str.startswith("001-SC-")]
    assert e[["patient_id", "term"]].values.tolist() == [["001-SC-3", "herpes_zoster"]]


def test_002_hicy_patients_tables_1_to_3() -> None:
    """Seed 002 (Mecoli 2017) Table 1 (age/sex/antibody, follow-up), Table 2 (peak CK before HiCy),
    Table 3 (most recent CK), CK normal range 24-170 IU/L; HiCy 50 mg/kg IBW IV daily x4."""
    ds = load_evidence().subset([f"002-P{i}" for i in range(1, 6)])
    p = ds.patients.set_index("patient_id")
    assert p["antibody"].tolist() == ["SRP", "SRP", "SRP", "HMGCR", "HMGCR"]
    assert p["age_at_onset"].tolist() == [53, 33, 36, 38, 22] and "".join(p["sex"]) == "MFMMF"
    assert p.loc["002-P3", "other_antibodies"] == "Ro"
    v = ds.visits.sort_values(["patient_id", "day"])
    o = ds.observations
    peak = o[o["code"] == "ck_peak"]
    assert peak["value"].tolist() == ["9000", "8495", "16000", "18000", "22050"]
    assert peak["day"].isna().all() and (v["day"] > 0).all()
    assert v["ck"].tolist() == [494, 100, 3594, 714, 3923]
    assert v["day"].tolist()[:4] == [round(m * 30.44) for m in (34, 72, 7, 59)]
    assert set(v["ck_uln"]) == {170}
    h = ds.treatments[ds.treatments["drug"] == "hicy"]
    assert len(h) == 5 and set(h["start_day"]) == {0} and set(h["end_day"]) == {3}
    assert (
        set(h["dose"]) == {50}
        and set(h["dose_unit"]) == {"mg/kg"}
        and set(h["protocol"]) == {"hicy"}
    )
    assert h.set_index("patient_id")["reported_response"].tolist() == [
        "yes",
        "yes",
        "no",
        "no",
        "no",
    ]


def test_002_four_of_five_hicy_patients_had_febrile_neutropenia() -> None:
    """Seed 002, Abstract and Toxicity: 'Four patients experienced febrile neutropenia after HiCy
    therapy' (patients 1-4; patient 5 had no complications after HiCy)."""
    ds = load_evidence()
    hicy = set(ds.treatments.loc[ds.treatments["drug"] == "hicy", "patient_id"])
    fn = ds.events[(ds.events["term"] == "febrile_neutropenia")]
    assert len(hicy) == 5
    assert sorted(fn["patient_id"]) == ["002-P1", "002-P2", "002-P3", "002-P4"]
    assert set(fn["treatment"]) == {"hicy"}


def test_000_autohct_course() -> None:
    """Seed 000 (Perera 2024): CK > 10,000 (normal < 200) at presentation; autoHCT 10 years after
    onset; CK normal after transplant; relapse by 3 months post-transplant."""
    ds = load_evidence().subset(["000-P1"])
    t = ds.treatments.set_index("drug")
    hct = t.loc["autohct"]
    assert (hct["start_day_earliest"], hct["start_day_latest"]) == (3653, 3835)
    v = ds.visits.set_index("day")
    assert (v.loc[0, "ck_bound"], v.loc[0, "ck"], v.loc[0, "ck_uln"]) == (">", 10000, 200)
    after = ds.visits[ds.visits["day"] > 0].iloc[0]
    assert (after["ck_bound"], after["ck"]) == ("<", 200)
    assert (after["day_earliest"], after["day_latest"]) == (3653 + 46, 3835 + 76)
    relapse = ds.events[ds.events["kind"] == "relapse_reported"].iloc[0]
    assert (relapse["day_earliest"], relapse["day_latest"]) == (3653 + 76, 3835 + 107)
    terms = ds.events.dropna(subset=["treatment"]).set_index("treatment")["term"].to_dict()
    assert terms == {
        "prednisone": "weight_gain",
        "methotrexate": "cytopenia",
        "mycophenolate": "liver_dysfunction",
    }


def test_003_hbv_cirrhosis_and_long_term_ivig() -> None:
    """Seed 003 (Pinheiro 2022): anti-SRP, chronic hepatitis B and cirrhosis with portal
    hypertension; maintenance IVIg 1 g/kg monthly; azathioprine stopped for inefficacy."""
    ds = load_evidence().subset(["003-P1"])
    assert ds.patients.iloc[0]["comorbidities"] == "hbv;cirrhosis;portal_hypertension"
    t = ds.treatments
    m = t[t["protocol"] == "ivig_maintenance"].iloc[0]
    assert (m["drug"], m["dose"], m["dose_unit"], m["schedule"]) == ("ivig", 1, "g/kg", "monthly")
    assert t.loc[t["drug"] == "azathioprine", "stop_reason"].tolist() == ["inefficacy"]


def test_studies_table() -> None:
    """Seed 001 Table 4 (five studies), 002 and 001 summary lines, 004 cohort outcomes."""
    s = load_studies().set_index("study_id")
    t4 = s[s.index.str.startswith("001-T4-")]
    assert len(t4) == 5
    assert (
        s.loc["001-T4-pinalfernandez2017", "n_treated"],
        s.loc["001-T4-pinalfernandez2017", "n_responding"],
    ) == (21, 13)
    assert (
        s.loc["001-T4-allenbach2018", "n_treated"],
        s.loc["001-T4-allenbach2018", "n_responding"],
    ) == (18, 9)
    assert (s.loc["002-hicy-srp", "n_treated"], s.loc["002-hicy-srp", "n_responding"]) == (3, 2)
    assert (
        s.loc["004-complete-remission", "n_population"],
        s.loc["004-complete-remission", "n_responding"],
    ) == (17, 7)
    assert (s.loc["004-recovery-12m", "n_responding"]) == 11
    # n_population is always the whole study population (Needham: 20 IMNM, 2 anti-SRP)
    assert s.loc["001-T4-needham2016", "n_population"] == 20


def test_studies_counts_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from myotrack.errors import InvalidData
    from myotrack.evidence import base

    bad = tmp_path / "studies.csv"
    text = (DATA_DIR / "studies.csv").read_text(encoding="utf-8").replace(",21,13,", ",21,31,", 1)
    bad.write_text(text, encoding="utf-8")
    monkeypatch.setattr(base, "DATA_DIR", tmp_path)
    with pytest.raises(InvalidData, match="n_responding cannot exceed n_treated"):
        base.load_studies()
