"""The registry read as plain values (:func:`myotrack.web.export.dataset_for`) gives exactly the
tables the model instances' ``row()`` give, on the demo data (every published case, as
``myotrack serve --demo`` loads them) with a reference range of the demo site."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from myotrack.tables import TABLES, Dataset, read_source
from myotrack.tables.schema import REFERENCE_RANGES


def _instance_dataset(patients: Any, identified: bool) -> Dataset:
    """The former reading: one model instance and its ``row()`` per row."""
    from myotrack.web.events.models import Event
    from myotrack.web.export import FREE_TEXT
    from myotrack.web.observations.models import Observation
    from myotrack.web.records import frames_of
    from myotrack.web.treatments.models import Treatment
    from myotrack.web.visits.models import ReferenceRange, StrengthGrade, Visit

    live = patients.filter(deleted_at__isnull=True)

    def rows(model: Any) -> list[dict[str, object]]:
        qs = model.objects.filter(patient__in=live).select_related("patient")
        return [o.row() for o in qs.order_by("patient__code", "pk")]

    tables: dict[str, list[dict[str, object]]] = {
        "patients": [p.row() for p in live.select_related("site").order_by("code")],
        "visits": rows(Visit),
        "strength": rows(StrengthGrade),
        "treatments": rows(Treatment),
        "events": rows(Event),
        "observations": rows(Observation),
    }
    ranges = ReferenceRange.objects.filter(site__in=live.values("site")).select_related("site")
    found = [r.row() for r in ranges.order_by("site__name", "lab", "analyte")]
    if found:
        tables[REFERENCE_RANGES.name] = found
    if not identified:
        for table, columns in FREE_TEXT.items():
            for row in tables[table]:
                for column in columns:
                    row[column] = None
        for row in tables["patients"]:
            if not row.get("source"):
                row["index_event"] = None
    return Dataset.from_frames(name="registry", **frames_of(tables))


@pytest.fixture
def demo(db: Any) -> Any:
    from django.contrib.auth.models import User

    from myotrack.web.accounts.models import Site
    from myotrack.web.importer import add_dataset
    from myotrack.web.patients.models import Patient
    from myotrack.web.server import published_sources
    from myotrack.web.visits.models import ReferenceRange

    site = Site.objects.create(name="Published cases (demo)")
    user = User.objects.create_superuser("demo-admin", password="demo-password-0123456789")
    for folder in published_sources():
        ds = read_source(folder)
        add_dataset(user, ds, {code: site for code in ds.patient_ids}, f"demo: {folder.name}")
    ReferenceRange.objects.create(site=site, lab="", analyte="ck", uln=200.0, source="lab sheet")
    return Patient.objects.all()


@pytest.mark.parametrize("identified", [False, True])
def test_values_give_the_same_tables_as_instances(demo: Any, identified: bool) -> None:
    from myotrack.web.export import dataset_for

    new = dataset_for(demo, identified=identified)
    old = _instance_dataset(demo, identified)
    assert len(new.patient_ids) > 100 and len(new.treatments) > 100
    assert new.patient_ids == old.patient_ids
    for name in TABLES:
        pd.testing.assert_frame_equal(new.table(name), old.table(name))
    assert new.reference_ranges is not None and old.reference_ranges is not None
    pd.testing.assert_frame_equal(new.reference_ranges, old.reference_ranges)
    assert new.to_text_frames().keys() == old.to_text_frames().keys()
    for name, frame in new.to_text_frames().items():
        pd.testing.assert_frame_equal(frame, old.to_text_frames()[name])
