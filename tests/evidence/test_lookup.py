"""Similar published patients and what they received next (myotrack.evidence.lookup)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myotrack.evidence import (
    EvidenceResult,
    InvalidProfile,
    Weights,
    find_evidence,
    load_evidence,
    make_profile,
    profile_from_source,
    rank,
)
from myotrack.evidence.base import load_duplicates
from myotrack.evidence.lookup import match_group
from tests.conftest import make

_EVIDENCE = load_evidence()


@pytest.fixture(scope="module")
def srp_after_rituximab() -> EvidenceResult:
    return find_evidence(make_profile("SRP", ["rituximab"]))


def test_anti_srp_failed_rituximab_returns_the_hicy_patients(
    srp_after_rituximab: EvidenceResult,
) -> None:
    """Seed 002 (Mecoli 2017), Discussion: 'Regarding the 3 patients with anti-SRP antibodies, 2
    experienced dramatic improvement'; all three had rituximab before HiCy (Table 1)."""
    r = srp_after_rituximab
    hicy = r.therapy("hicy")
    assert hicy.patients == ("002-P1", "002-P2", "002-P3")
    # Table 2's weakest grades before HiCy against Table 3: P1 and P2 definite responders,
    # P3 not (prednisone 10 mg/day after HiCy fails the taper), as 002 reports
    e = hicy.engine_count("definite_response")
    assert (e.yes, e.no, e.not_evaluable) == (2, 1, 0)
    assert hicy.reported_count("yes") == 2 and hicy.reported_count("no") == 1
    assert all(c.split(": ", 1)[1].startswith("002 ") for c in hicy.citations)
    assert "Mecoli" in dict(r.references)["002"]
    top = [m.patient_id for m in r.matches if m.score == 1.0]
    assert {"002-P1", "002-P2", "002-P3"} <= set(top)
    by_id = {m.patient_id: m for m in r.matches}
    assert not by_id["002-P4"].comparable and by_id["002-P4"].score < 1.0  # anti-HMGCR
    assert by_id["002-P1"].after == ("hicy",)
    assert by_id["002-P1"].matching_point == "after line 9 (rituximab)"


def test_adverse_events_and_safety_of_the_therapies_received_next(
    srp_after_rituximab: EvidenceResult,
) -> None:
    """Seed 002 Toxicity: neutropenic fever in patients 1-3 of the anti-SRP three (and patient 4);
    fungal pneumonia and C. difficile colitis in patient 3."""
    hicy = srp_after_rituximab.therapy("hicy")
    ae = dict(hicy.adverse_events)
    assert ae["febrile_neutropenia"] == 3
    assert ae["fungal_pneumonia"] == 1 and ae["c_difficile_colitis"] == 1
    assert "hicy_toxicity" in {n.rule_id for n in srp_after_rituximab.safety}
    studies = set(srp_after_rituximab.studies["study_id"])
    assert {"002-hicy-srp", "001-T4-pinalfernandez2017"} <= studies
    assert "002-hicy-hmgcr" not in studies


def test_the_evidence_does_not_prescribe(srp_after_rituximab: EvidenceResult) -> None:
    text = srp_after_rituximab.summary().lower()
    assert "not a recommendation" in text
    for word in ("should", "recommended", "we suggest", "consider ", "best option"):
        assert word not in text


def test_score_is_the_weighted_mean_of_its_parts() -> None:
    """Seed 002 Table 1: patient 1 is a 53-year-old man with anti-SRP."""
    r = find_evidence(make_profile("SRP", [], age=43, sex="F"))
    m = next(x for x in r.matches if x.patient_id == "002-P1")
    parts = {p.name: p for p in m.parts}
    assert parts["antibody"].value == 1.0
    assert parts["age"].value == pytest.approx(1 - 10 / 30)
    assert parts["sex"].value == 0.0
    w = Weights()
    assert m.score == pytest.approx((w.antibody + w.age * (2 / 3)) / (w.antibody + w.age + w.sex))
    assert "age: 53 vs 43" in m.explain()
    unknown = next(x for x in r.matches if x.patient_id == "001-SC-1")
    assert {p.name: p.value for p in unknown.parts}["age"] is None


def _synthetic():
    pts = [
        {"patient_id": "S1", "antibody": "SRP", "source": "test"},
        {"patient_id": "S2", "antibody": "SRP", "comorbidities": "hbv", "source": "test"},
        {"patient_id": "H1", "antibody": "HMGCR", "source": "test"},
    ]
    tr = [
        {"patient_id": "S1", "drug": "CS", "line": 1, "source": "t"},
        {"patient_id": "S1", "drug": "IVIG", "line": 2, "source": "t"},
        {"patient_id": "S1", "drug": "RTX", "line": 3, "reported_response": "no", "source": "t"},
        {"patient_id": "S1", "drug": "PLEX", "line": 4, "reported_response": "yes", "source": "t"},
        {"patient_id": "S2", "drug": "prednisone", "start_day": 10, "source": "t"},
        {"patient_id": "S2", "drug": "rituximab", "start_day": 40, "source": "t"},
        {"patient_id": "H1", "drug": "rituximab", "line": 1, "source": "t"},
        {"patient_id": "H1", "drug": "ivig", "line": 2, "reported_response": "yes", "source": "t"},
    ]
    ev = [
        {
            "patient_id": "S1",
            "kind": "adverse_event",
            "term": "bacteremia",
            "treatment": "PE",
            "source": "t",
        }
    ]
    return make(pts, treatments=tr, events=ev)


def test_matching_point_groups_and_comparability() -> None:
    """Glucocorticoids match as one group ('CS' = prednisone); the therapies after the point are
    what was received next; a patient missing a named therapy is not comparable."""
    ds = _synthetic()
    before = {n: ds.table(n).copy() for n in ("patients", "treatments", "events")}
    r = find_evidence(make_profile("SRP", ["prednisone", "rituximab"]), evidence=ds)
    m = {x.patient_id: x for x in r.matches}
    assert m["S1"].comparable and m["S1"].after == ("plasma_exchange",)
    assert m["S1"].received_before == ("glucocorticoid", "ivig", "rituximab")
    assert m["S2"].comparable and m["S2"].after == ()
    assert not m["H1"].comparable
    pe = r.therapy("plasma exchange")
    assert pe.patients == ("S1",) and pe.reported_count("yes") == 1
    assert dict(pe.adverse_events) == {"bacteremia": 1}
    assert [t.therapy for t in r.therapies] == ["plasma_exchange"]
    for n, f in before.items():
        pd.testing.assert_frame_equal(ds.table(n), f)  # inputs not mutated
    # a therapy never received: coverage 1 of 2, matched after the last one received
    r2 = find_evidence(make_profile("HMGCR", ["rituximab", "belimumab"]), evidence=ds)
    h1 = next(x for x in r2.matches if x.patient_id == "H1")
    assert not h1.comparable and h1.after == ("ivig",)
    assert {p.name: p.value for p in h1.parts}["therapies received"] == 0.5


def test_groups() -> None:
    assert match_group("methylprednisolone") == match_group("prednisone") == "glucocorticoid"
    assert match_group("scig") == match_group("ivig") == "immunoglobulin"
    assert match_group("r_chop") == "rituximab"
    assert match_group("hicy") == "hicy" != match_group("cyclophosphamide")


def test_profile_validation() -> None:
    p = make_profile("anti-SRP", ["RTX", "IVIg", "rituxan"], ["HBV"], sex="f")
    assert (p.antibody, p.failed, p.comorbidities, p.sex) == (
        "SRP",
        ("rituximab", "ivig"),
        ("hbv",),
        "F",
    )
    with pytest.raises(InvalidProfile, match="closest known names: rituximab"):
        make_profile(failed=["rituximb"])
    with pytest.raises(InvalidProfile, match="unknown comorbidity 'gout'"):
        make_profile(comorbidities=["gout"])
    with pytest.raises(InvalidProfile, match="antibody 'Jo1'"):
        make_profile("Jo1")
    with pytest.raises(InvalidProfile, match="age 130"):
        make_profile(age=130)


def test_profile_from_a_source_patient() -> None:
    """Seed 002 Table 1: patient 4 (anti-HMGCR, 38, male) had prednisone, azathioprine, IVIG,
    methotrexate, rituximab and plasmapheresis before HiCy."""
    ds = load_evidence()
    p = profile_from_source(ds, "002-P4")
    assert (p.antibody, p.age, p.sex, p.patient_id) == ("HMGCR", 38, "M", "002-P4")
    assert p.failed[:6] == (
        "prednisone",
        "azathioprine",
        "ivig",
        "methotrexate",
        "rituximab",
        "plasma_exchange",
    )
    assert p.disease_years is None  # day 0 is the first HiCy infusion, not onset
    with pytest.raises(InvalidProfile, match="not in"):
        profile_from_source(ds, "nobody")
    r = find_evidence(p, exclude=["002-P4"])
    assert "002-P4" not in {m.patient_id for m in r.matches}


ANTIBODIES = st.sampled_from([None, "SRP", "HMGCR", "seronegative"])
DRUGS = st.lists(
    st.sampled_from(["rituximab", "ivig", "prednisone", "methotrexate", "hicy", "azathioprine"]),
    max_size=3,
)
COMOS = st.lists(st.sampled_from(["hbv", "cirrhosis", "dysphagia", "pregnancy"]), max_size=2)


@settings(max_examples=40, deadline=None)
@given(
    ANTIBODIES,
    DRUGS,
    COMOS,
    st.none() | st.floats(0, 100),
    st.none() | st.sampled_from(["F", "M"]),
    st.none() | st.floats(0, 30),
)
def test_scores_are_bounded_ranked_and_explained(antibody, failed, comos, age, sex, years) -> None:
    """Every score is in [0, 1], the ranking is best first, and the parts add up to the score."""
    profile = make_profile(antibody, failed, comos, years, age, sex)
    matches = rank(profile, evidence=_EVIDENCE)
    # a patient reported twice (duplicates.csv) is ranked once
    assert len(matches) == len(_EVIDENCE.patients) - len(load_duplicates())
    scores = [m.score for m in matches]
    assert all(0.0 <= x <= 1.0 for x in scores)
    assert scores == sorted(scores, reverse=True)
    for m in matches:
        total = sum(p.weight for p in m.parts)
        assert m.score == pytest.approx(sum(p.points for p in m.parts) / total if total else 0.0)
        if m.comparable and antibody:
            assert next(p for p in m.parts if p.name == "antibody").value == 1.0


def test_shared_comorbidities_raise_a_patient_above_otherwise_equal_ones() -> None:
    """Seed 003: the patient with chronic hepatitis B and cirrhosis ranks first for an anti-SRP
    profile with both who had IVIg; without the comorbidities it ties with the others."""
    with_como = rank(make_profile("SRP", ["ivig"], ["hbv", "cirrhosis"]), evidence=_EVIDENCE)
    assert with_como[0].patient_id == "003-P1"
    assert with_como[0].score > with_como[1].score
    plain = {m.patient_id: m.score for m in rank(make_profile("SRP", ["ivig"]), evidence=_EVIDENCE)}
    assert plain["003-P1"] == plain["002-P1"] == 1.0
