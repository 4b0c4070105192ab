"""The registry at scale: outcomes kept per patient, bulk import with its audit trail, the
cohort report and exports of many patients.

The timings are measured by ``benchmarks/registry_scale.py``; these tests check what the speed
must not change: a saved visit re-evaluates only its patient and the assembled outcomes equal a
fresh evaluation of everyone; a bulk import writes the same rows and audit records as the row
by row one and is all or nothing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from myotrack.criteria import evaluate
from myotrack.web.analysis import outcomes as outcome_cache
from myotrack.web.analysis.models import PatientOutcome
from myotrack.web.export import dataset_for
from myotrack.web.patients.models import Patient

from tests.web.conftest import add_patient


@pytest.fixture
def engine_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The patient ids of every call of the criteria engine by the outcome cache."""
    calls: list[list[str]] = []

    def counting(ds: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append([str(p) for p in ds.patient_ids])
        return evaluate(ds, *args, **kwargs)

    monkeypatch.setattr(outcome_cache, "evaluate", counting)
    return calls


@pytest.fixture
def cohort(users: dict[str, Any], sites: dict[str, Any]) -> dict[str, Any]:
    """Three patients at site A, two at site B."""
    made = {}
    for code in ("PA-1", "PA-2", "PA-3"):
        made[code] = add_patient(users["data_manager"], sites["A"], code)
    for code in ("PB-1", "PB-2"):
        made[code] = add_patient(users["manager_b"], sites["B"], code)
    return made


def evaluated(calls: list[list[str]]) -> list[str]:
    return sorted(p for call in calls for p in call)


def test_a_saved_visit_re_evaluates_only_its_patient(
    cohort: dict[str, Any], users: dict[str, Any], engine_calls: list[list[str]]
) -> None:
    from myotrack.web.visits.services import save_visit

    everyone = Patient.objects.all()
    first = outcome_cache.outcomes_for(everyone)
    assert evaluated(engine_calls) == sorted(cohort)
    assert PatientOutcome.objects.count() == 5

    engine_calls.clear()
    again = outcome_cache.outcomes_for(everyone)
    assert evaluated(engine_calls) == []
    pd.testing.assert_frame_equal(again.frame, first.frame)

    patient = cohort["PA-2"]
    # a relapse: CK up again and weaker after the first visit
    save_visit(
        users["data_manager"],
        patient,
        {"date": "2023-09-01", "ck": "9000", "ck_uln": "200", "mrc_sum": "30", "mrs": "4"},
        [],
    )
    engine_calls.clear()
    after = outcome_cache.outcomes_for(everyone)
    assert evaluated(engine_calls) == ["PA-2"]
    fresh = evaluate(dataset_for(everyone)).frame
    pd.testing.assert_frame_equal(after.frame, fresh)
    # the visit changed this patient's outcomes, so the cache did not just return the old row
    changed = after.frame.set_index("patient_id").loc["PA-2"]
    before = first.frame.set_index("patient_id").loc["PA-2"]
    assert not changed.equals(before)


def test_one_patients_page_uses_the_stored_row(
    cohort: dict[str, Any], engine_calls: list[list[str]]
) -> None:
    outcome_cache.outcomes_for(Patient.objects.all())
    engine_calls.clear()
    results = outcome_cache.patient_results(cohort["PB-1"])
    assert engine_calls == [] and len(results) > 0
    fresh = evaluate(dataset_for(Patient.objects.filter(code="PB-1"))).frame
    why = {r.id: r.value for r in results}
    assert why == {c: fresh.iloc[0][c] for c in why}


def test_a_new_reference_range_re_evaluates_the_sites_patients(
    cohort: dict[str, Any], users: dict[str, Any], sites: dict[str, Any], engine_calls: list
) -> None:
    from myotrack.web.records import save_audited
    from myotrack.web.visits.models import ReferenceRange

    everyone = Patient.objects.all()
    outcome_cache.outcomes_for(everyone)
    engine_calls.clear()
    save_audited(
        users["administrator"],
        ReferenceRange(site=sites["B"], lab="", analyte="ldh", uln=250.0),
        None,
    )
    after = outcome_cache.outcomes_for(everyone)
    assert evaluated(engine_calls) == ["PB-1", "PB-2"]
    pd.testing.assert_frame_equal(after.frame, evaluate(dataset_for(everyone)).frame)


def test_deleted_and_filtered_patients(
    cohort: dict[str, Any], users: dict[str, Any], engine_calls: list[list[str]]
) -> None:
    from myotrack.web.patients.services import delete_patient

    outcome_cache.outcomes_for(Patient.objects.all())
    delete_patient(users["administrator"], cohort["PA-3"])
    engine_calls.clear()
    some = outcome_cache.outcomes_for(Patient.all_objects.filter(site=cohort["PA-1"].site))
    assert engine_calls == []
    assert some.frame["patient_id"].tolist() == ["PA-1", "PA-2"]
    assert outcome_cache.outcomes_for(Patient.objects.none()).frame.empty
