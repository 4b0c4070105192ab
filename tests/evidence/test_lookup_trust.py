"""The lookup a clinician can trust: a therapy that worked is not a failure, the parts
of a procedure are not next therapies, an unnamed steroid is a steroid, courses given together
are not 'next', and every count carries its exact interval."""

from __future__ import annotations

import pytest

from myotrack.evidence import find_evidence, make_profile, rank
from myotrack.evidence.lookup import exact_interval, match_group
from myotrack.evidence.similarity import procedure_part
from tests.conftest import make


def _by_id(matches):  # type: ignore[no-untyped-def]
    return {m.patient_id: m for m in matches}


def test_a_therapy_that_worked_is_not_a_failure() -> None:
    """001 Table 3 row 1: rituximab 'treatment A', 'Rapid symptomatic improvement': that patient
    did not fail rituximab, so she is not comparable for 'failed rituximab'; 002 patient 1's
    rituximab brought 'no substantial improvement', so he is."""
    m = _by_id(rank(make_profile("SRP", ["rituximab"])))
    assert not m["001-T3-01"].comparable
    assert "rituximab worked (reported), not a failure" in m["001-T3-01"].explain()
    assert m["002-P1"].comparable


def test_procedure_parts_are_not_next_therapies() -> None:
    """000: the autoHCT conditioning (cyclophosphamide 200 mg/kg, thymoglobulin 4.5 mg/kg) is part
    of the transplant, not a therapy after it."""
    r = find_evidence(make_profile("HMGCR", ["ivig", "rituximab"]))
    after = _by_id(r.matches)["000-P1"].after
    assert "autohct" in after
    assert "thymoglobulin" not in after and "cyclophosphamide" not in after
    assert "thymoglobulin" not in {t.therapy for t in r.therapies}


def test_an_unnamed_steroid_is_a_steroid() -> None:
    """Zeng 2024: 'high-dose glucocorticoid' (outside the vocabulary) and IVIG, no response, then
    efgartigimod: a profile that failed prednisone and IVIG reaches the efgartigimod."""
    assert match_group("high-dose glucocorticoid") == "glucocorticoid"
    assert match_group("IV steroid") == "glucocorticoid"
    m = _by_id(rank(make_profile("HMGCR", ["prednisone", "ivig"])))
    z = m["zeng2024_efgartigimod-P1"]
    assert z.comparable and z.after == ("efgartigimod",)


def test_courses_given_together_are_not_next() -> None:
    """Two courses on the same line are one step: after failing IVIG, the prednisone given with
    it is not 'received next'."""
    ds = make(
        [{"patient_id": "X", "antibody": "SRP"}],
        treatments=[
            {"patient_id": "X", "drug": "ivig", "line": 1, "reported_response": "no"},
            {"patient_id": "X", "drug": "prednisone", "line": 1, "reported_response": "no"},
            {"patient_id": "X", "drug": "rituximab", "line": 2, "reported_response": "yes"},
        ],
    )
    (m,) = rank(make_profile("SRP", ["ivig"]), evidence=ds)
    assert m.after == ("rituximab",)


def test_procedure_part_detection() -> None:
    assert procedure_part({"drug": "thymoglobulin", "protocol": "autohct"})  # type: ignore[arg-type]
    assert not procedure_part({"drug": "autohct", "protocol": "autohct"})  # type: ignore[arg-type]
    assert match_group("cyclophosphamide", "autohct") == "autohct"


def test_exact_intervals() -> None:
    """Clopper-Pearson 95% for 2 of 3: 0.094 to 0.992 (the textbook values)."""
    low, high = exact_interval(2, 3)  # type: ignore[misc]
    assert low == pytest.approx(0.0943, abs=1e-3) and high == pytest.approx(0.9916, abs=1e-3)
    assert exact_interval(0, 0) is None
    r = find_evidence(make_profile("SRP", ["rituximab", "ivig"]))
    hicy = r.therapy("hicy")
    assert hicy.reported_interval() == exact_interval(2, 2)
    f = r.therapies_frame()
    assert {"reported_yes_ci_low", "reported_yes_ci_high"} <= set(f.columns)
    assert "95% CI" in r.summary()


def test_study_results_beside_case_results() -> None:
    """001 Table 4 (Pinal-Fernandez 2017: 13 of 21) is shown with anti-SRP rituximab evidence,
    with its exact interval."""
    r = find_evidence(make_profile("SRP", ["ivig"]))
    s = r.studies.set_index("study_id")
    row = s.loc["001-T4-pinalfernandez2017"]
    low, high = exact_interval(13, 21)  # type: ignore[misc]
    assert (row["ci_low"], row["ci_high"]) == (round(low, 3), round(high, 3))
