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
from tests.web.conftest import add_patient

from myotrack.criteria import evaluate
from myotrack.web.analysis import outcomes as outcome_cache
from myotrack.web.analysis.models import PatientOutcome
from myotrack.web.export import dataset_for
from myotrack.web.patients.models import Patient


@pytest.fixture
def engine_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The patient ids of every call of the criteria engine by the outcome cache: in-process
    (SQLite) or in the registry's database (PostgreSQL)."""
    calls: list[list[str]] = []

    def counting(ds: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append([str(p) for p in ds.patient_ids])
        return evaluate(ds, *args, **kwargs)

    in_database = outcome_cache.evaluate_in_database

    def counting_in_database(patients: Any, *args: Any, **kwargs: Any) -> Any:
        live = patients.filter(deleted_at__isnull=True)
        calls.append(list(live.order_by("code").values_list("code", flat=True)))
        return in_database(patients, *args, **kwargs)

    monkeypatch.setattr(outcome_cache, "evaluate", counting)
    monkeypatch.setattr(outcome_cache, "evaluate_in_database", counting_in_database)
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


def test_one_patients_version_is_its_entry_among_all(
    cohort: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]
) -> None:
    """``patient_version`` (one query, for a patient's page) is the patient's entry of
    ``patient_versions`` (every patient's, for the cohort), and changes when they do: a visit
    of the patient, not of another one; a reference range of the patient's site."""
    from myotrack.web.records import save_audited
    from myotrack.web.visits.models import ReferenceRange
    from myotrack.web.visits.services import save_visit

    seen: list[dict[int, str]] = []

    def agree() -> None:
        every = outcome_cache.patient_versions(Patient.objects.all())
        assert {p.pk: outcome_cache.patient_version(p) for p in cohort.values()} == every
        seen.append(every)

    agree()
    save_visit(users["data_manager"], cohort["PA-2"], {"day": "30", "ck": "900"}, [])
    agree()
    save_audited(
        users["administrator"],
        ReferenceRange(site=sites["B"], lab="", analyte="ck", uln=190.0),
        None,
    )
    agree()
    first, visit, ranges = seen
    pa2, pb1 = cohort["PA-2"].pk, cohort["PB-1"].pk
    assert [pk for pk in first if first[pk] != visit[pk]] == [pa2]
    assert sorted(pk for pk in visit if visit[pk] != ranges[pk]) == sorted(
        p.pk for p in cohort.values() if p.site_id == sites["B"].pk
    )
    assert ranges[pb1].split("|")[2] != "0.0" and first[pb1].split("|")[2] == "0.0"


def test_prepare_builds_what_the_first_evaluation_would(
    cohort: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``prepare`` (the refresher's first pass, as the server starts) builds the criteria for
    the registry's database (PostgreSQL) and in-process (SQLite, and the outcomes table's
    columns): the first evaluation afterwards builds none."""
    from myotrack.criteria import engine

    monkeypatch.setattr(outcome_cache, "_layout", [])  # as in a server just started
    engine.plan.cache_clear()
    engine._kept_or_compiled.cache_clear()  # nor a compiled plan in memory
    outcome_cache.prepare()
    built = engine.plan.cache_info().misses
    assert built >= 1 and outcome_cache._layout
    outcome_cache.outcomes_for(Patient.objects.all())
    assert engine.plan.cache_info().misses == built
    assert PatientOutcome.objects.count() == len(cohort)


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


def test_a_bulk_import_writes_every_row_and_its_audit_record(
    users: dict[str, Any], sites: dict[str, Any]
) -> None:
    """Every row of a synthetic cohort is stored, and has the one 'create' record that saving it
    alone writes (its snapshot, patient and site); the registry gives the cohort back."""
    from django.db import transaction

    from myotrack.synth import generate
    from myotrack.web.audit.models import AuditRecord
    from myotrack.web.audit.services import snapshot
    from myotrack.web.events.models import Event
    from myotrack.web.importer import add_dataset
    from myotrack.web.treatments.models import Treatment
    from myotrack.web.visits.models import StrengthGrade, Visit

    ds = generate(12, seed=3)
    user = users["data_manager"]
    with transaction.atomic():
        add_dataset(user, ds, dict.fromkeys(ds.patient_ids, sites["A"]), "bulk test")
    imported = Patient.objects.filter(code__in=ds.patient_ids)
    back = dataset_for(imported).to_text_frames()
    given = ds.to_text_frames()
    for table in ("patients", "visits", "strength", "treatments", "events"):
        mine = back[table].drop(columns=["site"], errors="ignore").reset_index(drop=True)
        theirs = given[table].drop(columns=["site"], errors="ignore").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)

    records = AuditRecord.objects.filter(summary="bulk test")
    by_object = {(r.model, r.object_id): r for r in records}
    objects = [
        *imported,
        *Visit.objects.filter(patient__in=imported),
        *StrengthGrade.objects.filter(patient__in=imported),
        *Treatment.objects.filter(patient__in=imported),
        *Event.objects.filter(patient__in=imported),
    ]
    assert len(by_object) == records.count() == len(objects)
    for obj in objects:
        r = by_object[(obj._meta.label_lower, obj.pk)]
        patient_pk = obj.pk if isinstance(obj, Patient) else obj.patient_id
        assert (r.action, r.user, r.patient_pk, r.site_pk) == (
            "create",
            user,
            patient_pk,
            sites["A"].pk,
        )
        assert r.before is None and r.after == snapshot(obj)


def test_the_report_of_a_large_cohort_has_no_timelines(
    cohort: dict[str, Any], users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timelines for a cohort of at most REPORT_TIMELINES patients; beyond, the tables only."""
    from myotrack.web.analysis import report

    everyone = Patient.objects.all()
    small = report.cohort_report_html(users["administrator"], everyone, "", "small")
    assert 'id="patient-5"' in small and "drawn for" not in small
    monkeypatch.setattr(report, "REPORT_TIMELINES", 4)
    large = report.cohort_report_html(users["administrator"], everyone, "", "large")
    assert 'id="patient-1"' not in large
    assert "Timelines and therapy lines are drawn for 0 of the 5 patients." in large
    assert "Table 1" in large


def test_the_background_refresh_computes_the_stale_patients_only(
    cohort: dict[str, Any], users: dict[str, Any], engine_calls: list[list[str]]
) -> None:
    """The refresh computes every patient without a current row, in batches, and then nothing
    until a patient changes; what it stores is what a fresh evaluation gives."""
    from myotrack.web.analysis import refresh
    from myotrack.web.visits.services import save_visit

    assert len(refresh.stale_patients()) == 5
    seen: list[tuple[int, int]] = []
    assert refresh.refresh_stale(batch=2, progress=lambda d, t: seen.append((d, t))) == 5
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert [len(c) for c in engine_calls] == [2, 2, 1]
    assert evaluated(engine_calls) == sorted(cohort)
    assert refresh.stale_patients() == [] and refresh.refresh_stale() == 0
    save_visit(users["data_manager"], cohort["PA-3"], {"date": "2023-10-01", "ck": "150"}, [])
    assert refresh.stale_patients() == [cohort["PA-3"].pk]
    engine_calls.clear()
    assert refresh.refresh_stale() == 1 and engine_calls == [["PA-3"]]
    everyone = Patient.objects.all()
    stored = outcome_cache.outcomes_for(everyone).frame
    pd.testing.assert_frame_equal(stored, evaluate(dataset_for(everyone)).frame)


@pytest.mark.django_db(transaction=True)
def test_the_refresher_thread_runs_at_start_and_when_woken(
    users: dict[str, Any], sites: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's refresher learns the outcomes table's columns and computes the stale rows
    when it starts, and again when woken (after an import), in its own thread and database
    connection; after its first pass (only) it calls what the server gave it (``settle``)."""
    import time

    from myotrack.web.analysis import refresh

    monkeypatch.setattr(outcome_cache, "_layout", [])  # as in a server just started

    def wait_until_current(n: int) -> None:
        deadline = time.monotonic() + 120
        while refresh.stale_patients() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert refresh.stale_patients() == [] and PatientOutcome.objects.count() == n

    add_patient(users["data_manager"], sites["A"], "PA-1")
    settled: list[bool] = []  # whether the columns were known when the server settled
    refresh.start(then=lambda: settled.append(bool(outcome_cache._layout)))
    try:
        wait_until_current(1)
        deadline = time.monotonic() + 120
        while not settled and time.monotonic() < deadline:
            time.sleep(0.2)
        assert settled == [True]
        assert [c for c, _ in outcome_cache._layout[:2]] == ["patient_id", "refractory"]
        add_patient(users["data_manager"], sites["A"], "PA-2")
        refresh.wake()
        wait_until_current(2)
        assert settled == [True]  # once, after the first pass only
    finally:
        refresh.stop()
    assert not any(t.is_alive() for t in refresh._threads)
