"""On PostgreSQL the registry evaluates its patients in its own database
(:mod:`myotrack.web.analysis.indatabase`): the tables the criteria read, and every cell of the
outcomes table, are those of the in-process engine on :func:`myotrack.web.export.dataset_for`.

The registry holds a synthetic cohort (``myotrack.synth.generate``, seed 7) and every
published case (as ``myotrack serve --demo`` loads them), at two sites with reference ranges
(one laboratory's and every laboratory's), visits without their ULN, CK written with a bound
or as a word, a deleted patient and a deleted visit. Run with ``MYOTRACK_TEST_DB=postgres``
(``tests/web/test_postgres.py`` runs the suite so); skipped on SQLite.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.web.conftest import selected_database

from myotrack.criteria import ORDER, evaluate
from myotrack.synth import generate
from myotrack.tables import TABLES, Dataset, read_source

pytestmark = pytest.mark.skipif(
    selected_database() != "postgres",
    reason="the registry evaluates in its own database on PostgreSQL only",
)


@pytest.fixture
def registry(db: Any) -> dict[str, Any]:
    from django.contrib.auth.models import User

    from myotrack.web.accounts.models import Site
    from myotrack.web.importer import add_dataset
    from myotrack.web.patients.models import Patient
    from myotrack.web.server import published_sources
    from myotrack.web.visits.models import ReferenceRange, Visit

    north = Site.objects.create(name="North")
    south = Site.objects.create(name="South")
    user = User.objects.create_superuser("admin-db", password="admin-db-password-0123456789")
    synthetic = generate(60, seed=7)
    # the ULN left to the reference ranges for a third of the visits, CK bounded or in words
    visits = synthetic.visits.copy()
    rows = np.arange(len(visits))
    visits.loc[rows % 3 == 0, "ck_uln"] = np.nan
    visits.loc[rows % 3 == 0, "ldh_uln"] = np.nan
    visits["lab"] = np.where(rows % 2 == 0, "central", "")
    visits["ck_bound"] = visits["ck_bound"].astype(object)
    visits.loc[rows % 11 == 0, "ck_bound"] = ">"
    visits.loc[rows % 13 == 0, "ck"] = np.nan
    visits.loc[rows % 13 == 0, "ck_state"] = "elevated"
    text = Dataset(**{**{n: synthetic.table(n) for n in TABLES}, "visits": visits})
    synthetic = Dataset.from_frames(name="synthetic", **text.to_text_frames())
    half = set(synthetic.patient_ids[::2])
    add_dataset(
        user,
        synthetic,
        {c: north if c in half else south for c in synthetic.patient_ids},
        "synthetic",
    )
    for folder in published_sources():
        ds = read_source(folder)
        add_dataset(user, ds, dict.fromkeys(ds.patient_ids, south), f"published: {folder.name}")
    ReferenceRange.objects.create(site=north, lab="central", analyte="ck", uln=170.0)
    ReferenceRange.objects.create(site=north, lab="", analyte="ck", uln=200.0)
    ReferenceRange.objects.create(site=south, lab="", analyte="ck", uln=190.0)
    ReferenceRange.objects.create(site=south, lab="", analyte="ldh", uln=250.0)
    patients = Patient.objects.order_by("code")
    gone = patients.filter(site=north).first()
    assert gone is not None
    Patient.objects.filter(pk=gone.pk).update(deleted_at=pd.Timestamp.now(tz="UTC"))
    visit = Visit.objects.filter(patient__site=south).order_by("pk").first()
    Visit.objects.filter(pk=visit.pk).update(deleted_at=pd.Timestamp.now(tz="UTC"))
    return {"user": user, "north": north, "south": south, "gone": gone.code}


def _plain(value: object) -> object:
    """A cell as a plain value: unknown is None, a whole number an int (a column of integers
    with unknowns may come as floats)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _values(column: pd.Series) -> list[object]:
    return [_plain(v) for v in column.astype(object)]


def _cells(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    """The rows as tuples of plain values, sorted: the same rows in any order compare equal."""
    rows = zip(*(_values(frame[c]) for c in frame.columns), strict=True)
    return sorted(rows, key=repr)


def test_the_tables_the_criteria_read_are_those_of_the_dataset(registry: dict[str, Any]) -> None:
    from myotrack.web.analysis.indatabase import backend, engine_tables, selected
    from myotrack.web.export import dataset_for
    from myotrack.web.patients.models import Patient

    everyone = Patient.objects.all()
    ds = dataset_for(everyone)
    assert registry["gone"] not in ds.patient_ids
    with backend() as con, selected(con, everyone) as chosen:
        tables = {n: t.to_pandas() for n, t in engine_tables(con, chosen).items()}
    assert len(ds.patients) > 150
    for name, got in tables.items():
        columns = [c for c in got.columns if c != "entry"]
        want = ds.table(name)[columns]
        assert len(got) == len(want), name
        for c in columns:
            g, w = _values(got[c]), _values(want[c])
            assert sorted(g, key=repr) == sorted(w, key=repr), f"{name}.{c}"
        assert _cells(got[columns]) == _cells(want), name
    # the comparison means something: ULNs from both kinds of range, bounds and words
    visits = ds.visits
    assert {170.0, 200.0, 190.0} <= set(visits["ck_uln"].dropna())
    assert 250.0 in set(visits["ldh_uln"].dropna())
    assert {">", ""} <= set(visits["ck_bound"]) and "elevated" in set(visits["ck_state"])


def test_every_outcome_cell_is_that_of_the_in_process_engine(registry: dict[str, Any]) -> None:
    from myotrack.web.analysis.indatabase import evaluate_in_database
    from myotrack.web.export import dataset_for
    from myotrack.web.patients.models import Patient

    everyone = evaluate(dataset_for(Patient.objects.all())).frame
    for cid in ORDER:  # the comparison means something: every criterion varies
        assert everyone[cid].nunique() > 1, cid
    for patients in (Patient.objects.all(), Patient.all_objects.filter(site=registry["north"])):
        got = evaluate_in_database(patients).frame
        want = evaluate(dataset_for(patients)).frame
        assert len(got) > 20
        assert registry["gone"] not in set(got["patient_id"])
        pd.testing.assert_frame_equal(got, want)


def test_the_registry_stores_the_rows_computed_in_its_database(
    registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from myotrack.web.analysis import outcomes
    from myotrack.web.export import dataset_for
    from myotrack.web.patients.models import Patient

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the in-process engine ran on PostgreSQL")

    monkeypatch.setattr(outcomes, "evaluate", refused)
    everyone = Patient.objects.all()
    stored = outcomes.outcomes_for(everyone).frame
    monkeypatch.undo()
    pd.testing.assert_frame_equal(stored, evaluate(dataset_for(everyone)).frame)
