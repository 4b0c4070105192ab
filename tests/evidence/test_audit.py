"""The corrections of the evidence audit, each against the seed text it comes from.

Seed files (../shared/seeds/): 000_80350b79465dbaee.txt (Perera 2024), 001_671bdba78517435d.txt,
002_9b96058124cb16f6.txt (Mecoli 2017), 003_a2cd6499b7611149.txt (Pinheiro 2022),
004_6daa8c1a3963b6f3.txt (Termglinchan 2024).
"""

from __future__ import annotations

import pandas as pd
import pytest

from myotrack.evidence import DATA_DIR, load_evidence, load_studies
from myotrack.tables import read_source

SEEDS = ("000", "001", "002", "003", "004")


@pytest.fixture(scope="module")
def ev():
    return load_evidence()


def _one(frame: pd.DataFrame, **where: object) -> pd.Series:
    m = pd.Series(True, index=frame.index)
    for k, v in where.items():
        m &= frame[k] == v
    rows = frame[m]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_004_the_two_discussion_patients_are_there(ev) -> None:
    """004 Discussion: 'a 57-year-old female who responded well to corticosteroids and
    azathioprine, achieving remission' (anti-HMGCR, statin-exposed), and the patient who got
    'weekly intravenous methyl prednisolone for 2 months without experiencing improvements' and
    improved after 'a single 2 g dose of IVIg' (then prednisolone plus azathioprine)."""
    p = ev.patients.set_index("patient_id")
    assert (p.loc["004-E", "sex"], p.loc["004-E", "age_at_onset"]) == ("F", 57)
    assert (p.loc["004-E", "antibody"], p.loc["004-E", "statin_exposure"]) == ("HMGCR", "yes")
    # the second anti-HMGCR patient is case D; 15 anti-SRP + 2 anti-HMGCR leave SRP for 004-F
    assert p.loc["004-F", "antibody"] == "SRP"
    t = ev.treatments[ev.treatments["patient_id"] == "004-F"]
    assert t["drug"].tolist() == ["methylprednisolone", "ivig", "prednisone", "azathioprine"]
    ivig = _one(t, drug="ivig")
    assert (ivig["dose"], ivig["dose_unit"], ivig["reported_response"]) == (2, "g", "yes")
    assert _one(t, drug="methylprednisolone")["reported_response"] == "no"
    e = ev.treatments[ev.treatments["patient_id"] == "004-E"]
    assert set(e["drug"]) == {"glucocorticoid", "azathioprine"}
    assert set(e["reported_response"]) == {"yes"}


def test_004_c_day_0_is_a_relapse(ev) -> None:
    """004 Figure 1 legend, case C: 'initial treatment with IVMP and rituximab within 17 days of
    relapse'."""
    r = _one(ev.events, patient_id="004-C", kind="relapse_reported")
    assert r["day"] == 0
    t = ev.treatments[ev.treatments["patient_id"] == "004-C"]
    assert set(t["start_day_earliest"]) == {0} and set(t["start_day_latest"]) == {17}


def test_004_d_12_months_counts_from_the_start_of_immunotherapy(ev) -> None:
    """004 Figure 1 legend, case D: IVIg 'within 42 days at onset'; 'partial recovery at 12
    months (MRC-sumscore 58, mRS=2)', 12 months after treatment: days 365 to 407."""
    v = _one(ev.visits, patient_id="004-D")
    assert (v["day_earliest"], v["day_latest"], v["mrc_sum"], v["mrs"]) == (365, 407, 58, 2)


def test_002_table_2_is_not_a_visit(ev) -> None:
    """002 Table 2 gives the peak CK, maximum prednisone and weakest grades before HiCy, not one
    assessment (patient 1's CK fell 'from 2,000' after HiCy; patient 5 could not go 'less than
    20-30 mg/d'): the peak CK and maximum dose are observations without a day, and no visit
    precedes HiCy. The weakest grades are what 002's definite response compares (Table 2
    'min' against Table 3), so they stay grades, on an unknown day before HiCy (latest day -1,
    no earliest day)."""
    d = ev.subset([f"002-P{i}" for i in range(1, 6)])
    assert (d.visits["day"] > 0).all()
    before = d.strength[d.strength["day"] < 0]
    assert len(before) == 10 and (before["day_latest"] == -1).all()
    assert before["day_earliest"].isna().all()
    o = d.observations
    codes = o.groupby("code")["patient_id"].nunique().to_dict()
    assert {k: codes[k] for k in ("ck_peak", "prednisone_max")} == {
        "ck_peak": 5,
        "prednisone_max": 5,
    }
    assert o.loc[o["code"] == "prednisone_max", "value"].tolist() == [
        "60",
        "60",
        "100",
        "100",
        "80",
    ]
    assert o.loc[o["code"].isin(["ck_peak", "prednisone_max"]), "day"].isna().all()


def test_002_p5_mycophenolate_after_rituximab_and_last_visit_uncertain(ev) -> None:
    """002 Patient 5: 'She then received rituximab infusions ... Mycophenolate was added'; 'At her
    last visit in May 2016, approximately 1 year after HiCy' (April 2015) and Table 1's 14 months."""
    t = ev.treatments[ev.treatments["patient_id"] == "002-P5"].sort_values("line")
    assert t["drug"].tolist() == [
        "prednisone",
        "methotrexate",
        "ivig",
        "rituximab",
        "mycophenolate",
        "plasma_exchange",
        "hicy",
    ]
    v = _one(ev.visits, patient_id="002-P5")
    assert (v["day_earliest"], v["day_latest"]) == (396, 426)


def test_002_four_of_five_hospitalised(ev) -> None:
    """002 Discussion: '4 of the 5 patients required hospitalization for neutropenic fever and/or
    infection'."""
    h = ev.events[
        (ev.events["kind"] == "hospitalisation") & ev.events["patient_id"].str.startswith("002")
    ]
    assert sorted(h["patient_id"].unique()) == ["002-P1", "002-P2", "002-P3", "002-P4"]


def test_000_age_days_carry_their_year_and_stopped_courses_end(ev) -> None:
    """000: onset at 27; grades 'at age 29' and 'at age 37' (a whole age spans its year, widened
    by the onset's year); methotrexate and mycophenolate 'not tolerated'; 'IVIg was replaced by
    plasma exchange' at 37; 'Rituximab and IVIg were restarted' after the autoHCT."""
    s = ev.strength[ev.strength["patient_id"] == "000-P1"]
    ranges = {(a, b) for a, b in zip(s["day_earliest"], s["day_latest"], strict=True)}
    assert (365, 1096) in ranges  # at age 29: 1 to 3 years
    assert (3287, 4018) in ranges  # at age 37: 9 to 11 years
    assert s["day_earliest"].notna().all()
    t = ev.treatments[ev.treatments["patient_id"] == "000-P1"].set_index("line")
    for line in (3, 4, 5, 6):  # methotrexate, mycophenolate, rituximab, IVIg
        assert pd.notna(t.loc[line, "end_day"]), line
    assert t.loc[6, "end_day_earliest"] == 3287  # IVIg replaced at age 37
    assert set(t.loc[[9, 10], "protocol"]) == {"autohct"}  # conditioning: part of the autoHCT


def test_001_table_3_row_4_methotrexate_and_notes_as_printed(ev) -> None:
    """001 Table 3 row 4 'relapsed with MTX tapering'; the seed prints 'Cs' only in rows 6 and 16
    ('Cs, MIG'), 'CS' elsewhere."""
    t = ev.treatments
    assert "methotrexate" in set(t.loc[t["patient_id"] == "001-T3-04", "drug"])
    printed_cs = t.loc[t["note"].str.contains("printed 'Cs'", na=False), "patient_id"]
    assert sorted(printed_cs.unique()) == ["001-T3-06", "001-T3-16"]


def test_one_rule_for_ages(ev) -> None:
    """The age introducing a case ('A 47-year-old woman presented', 001; 'a 55-year-old female
    patient ... admitted in 2011', 003; 004's anti-HMGCR patients 'had older onset ages') is the
    age at presentation, recorded as age_at_onset, as 000's 'presented at age 27'."""
    p = ev.patients.set_index("patient_id")["age_at_onset"]
    assert p[["000-P1", "001-BEL", "003-P1", "004-D", "004-E"]].tolist() == [27, 47, 55, 66, 57]


def test_003_dash_grades_are_ranges(ev) -> None:
    """003: '3 - in neck flexors, deltoid, and biceps ... 2 - in iliopsoas': a minus or a dash,
    so the whole grade is 2-3 (1-2 for iliopsoas)."""
    s = ev.strength[ev.strength["patient_id"] == "003-P1"].set_index("muscle")["grade"]
    assert s["neck_flexors"] == "2-3" and s["hip_flexors"] == "1-2"


def test_symptoms_are_observations_not_comorbidities() -> None:
    """Dysphagia, dyspnoea and weight loss are symptoms: no published patient lists one as a
    comorbidity."""
    ev = load_evidence()
    terms = {t for c in ev.patients["comorbidities"].dropna() for t in c.split(";")}
    assert not terms & {"dysphagia", "dyspnea", "dyspnoea", "weight_loss"}


def test_studies_percent_flags_and_004_tables() -> None:
    """004: '4 patients (29.41%)' at 6 months is kept as printed and flagged; Tables 1 and 2 are
    study-level rows."""
    s = load_studies().set_index("study_id")
    assert s.loc["004-full-mrc-6m", "arithmetic"] == "as_printed"
    assert s.loc["004-full-mrc-6m", "percent_printed"] == "29.41"
    assert {"004-T1-female", "004-T2-mrc"} <= set(s.index)
    assert set(s.loc[s.index.str.startswith("004-T2"), "kind"]) == {"comparison"}


@pytest.mark.parametrize("seed", SEEDS)
def test_every_seed_folder_still_validates(seed: str) -> None:
    folder = next(p for p in DATA_DIR.iterdir() if p.is_dir() and p.name.startswith(seed))
    assert len(read_source(folder).patients) > 0
