"""Contract v2 in the registry: every new column is stored, entered, shown, imported and
exported; observations and reference ranges are kept; warnings never block a save or an
import, and are shown; rows saved before contract v2 read unchanged."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from myotrack.tables import TABLES, Dataset, read_source
from myotrack.web.analysis.outcomes import version
from myotrack.web.audit.models import AuditRecord
from myotrack.web.events.models import Event
from myotrack.web.events.services import save_event
from myotrack.web.export import dataset_for
from myotrack.web.observations.models import Observation
from myotrack.web.observations.services import delete_observation, save_observation
from myotrack.web.patients.models import Patient
from myotrack.web.patients.services import create_patient, update_patient
from myotrack.web.records import RecordInvalid, warnings_of
from myotrack.web.treatments.models import Treatment
from myotrack.web.treatments.services import save_treatment
from myotrack.web.visits.models import ReferenceRange, StrengthGrade, Visit
from myotrack.web.visits.services import save_visit

pytestmark = pytest.mark.django_db

#: A source using every form contract v2 adds (written as a clinic or a paper writes them).
SOURCE = {
    "patients": """
patient_id,sex,age_at_onset,antibody,other_antibodies,statin_exposure,comorbidities,site,source
RT-1,F,52,SRP,Ro52,no,hypertension,Site A,
RT-2,M,61,,,yes,gout,Site A,
""",
    "visits": """
patient_id,day,day_earliest,day_latest,ck,ck_uln,ldh,ldh_uln,alt,ast,aldolase,hbdh,mrc_sum,mrs,prednisone_mg_day,lab,source
RT-1,0,,,>10000,,~600,250,normal,<=40,elevated,,38,3,60,L1,
RT-1,120..150,,,~4000,200,,,,,,300,46,2,20,,
RT-1,6 months,,,<200,,normal,,,,,,52,1,5,L1,
RT-2,-3,,,8500,180,,,,,,,40,3,,,
RT-2,400,380,420,elevated,,,,,,,,48,2,,L2,
""",
    "strength": """
patient_id,day,day_earliest,day_latest,muscle,side,grade,source
RT-1,0,,,proximal lower limb,both,3,
RT-1,0,,,deltoids,left,4-,
RT-1,120..150,,,hip flexors,both,4-5,
RT-1,120..150,,,neck flexors,,4+,
RT-2,-3,,,proximal_upper_limb,,3,
RT-2,400,380,420,quadriceps femoris,right,4,
""",
    "treatments": """
patient_id,drug,start_day,start_day_earliest,start_day_latest,end_day,line,dose,dose_unit,dose_per,route,schedule,protocol,stop_reason,reported_response,note,source
RT-1,prednisone,0,,,~200,1,1,mg/kg/day,,oral,daily,,remission,yes,tapered,
RT-1,IVIG,about 2 weeks,,,,2,2,g/kg per course,,IV,monthly,ivig_induction,,partial,,
RT-1,drugxyz,,,,,3,60 mg,,,SC,weekly,,intolerance,no,unknown drug,
RT-2,rituximab,10..20,,,,1,1000,mg,administration,IV,x2,rtx_a,,unknown,,
""",
    "events": """
patient_id,day,end_day,sequence,kind,relapse_type,term,grade,treatment,note,source
RT-1,30,45,1,hospitalisation,,,,,"pneumonia, discharged",
RT-1,250..280,,2,relapse_reported,both,,,,,
RT-1,,,3,worsening,,,,,during rehabilitation,
RT-2,15,,,adverse_event,,infusion_reaction,2,rituximab,,
RT-2,500,,,improvement,,,,,,
""",
    "observations": """
patient_id,day,code,value,unit,assay,sequence,note,source
RT-1,-10,anti_srp,positive,,line blot,,,
RT-1,0,b_cells_cd19,0,cells/uL,flow cytometry,,after RTX,
RT-1,5..9,biopsy_necrosis,severe,,,,,
RT-1,,dysphagia,present,,,1,,
RT-2,0,anti_hmgcr,positive,CU,ELISA,,,
RT-2,30,six_minute_walk,320,m,,,,
RT-2,60,weird_code,42,,,,,
""",
    "reference_ranges": """
site,lab,analyte,uln,source
Site A,,ldh,240,
Site A,L1,ck,190,lab sheet
Site A,L2,ck,170,
""",
}


def write_source(folder: Path, tables: dict[str, str] = SOURCE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text.strip() + "\n")
    return folder


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for f in sorted(folder.glob("*.csv")):
            archive.write(f, f.name)
    return buffer.getvalue()


@pytest.fixture
def manager(client: Client, users: dict[str, Any]) -> Client:
    profile = users["data_manager"].profile
    profile.export_identified = True
    profile.save()
    client.force_login(users["data_manager"])
    return client


def staged(client: Client, name: str, data: bytes, site: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("transfer:import"), {"file": SimpleUploadedFile(name, data), "site": site.pk}
    )
    assert response.status_code == 302, response.context["form"].errors
    return client.get(response["Location"]).context["preview"]


def commit(client: Client, preview: Any) -> None:
    response = client.post(
        reverse("transfer:import_commit", kwargs={"token": preview.token}), {"commit": "1"}
    )
    assert response.status_code == 302


def assert_same_tables(mine: Dataset, theirs: Dataset) -> None:
    """Every cell of every table (derived columns too) and the reference ranges."""
    for table in TABLES:
        pd.testing.assert_frame_equal(mine.table(table), theirs.table(table), obj=table)
    assert (mine.reference_ranges is None) == (theirs.reference_ranges is None)
    if theirs.reference_ranges is not None:
        pd.testing.assert_frame_equal(mine.reference_ranges, theirs.reference_ranges)
    texts, expected = mine.to_text_frames(), theirs.to_text_frames()
    assert set(texts) == set(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(texts[name], frame, obj=f"{name} as text")


# --- import -> export -> read ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["zip", "xlsx"])
def test_round_trip_keeps_every_v2_cell(
    manager: Client, sites: dict[str, Any], tmp_path: Path, fmt: str
) -> None:
    folder = write_source(tmp_path / "source")
    source = read_source(folder)
    preview = staged(manager, "v2.zip", zipped(folder), sites["A"])
    assert preview.ok, preview.problems
    assert preview.counts["observations"] == 7
    assert preview.counts["reference_ranges"] == 3
    # warnings are listed apart from the problems, each with its place
    warned = {(p.file, p.row, p.column) for p in preview.warnings}
    assert ("v2.zip: treatments.csv", 4, "drug") in warned
    assert ("v2.zip: observations.csv", 8, "code") in warned
    assert ("v2.zip: patients.csv", 3, "antibody") in warned  # taken from the observations
    page = manager.get(reverse("transfer:import_preview", kwargs={"token": preview.token}))
    assert "drugxyz" in page.content.decode() and "kept as written" in page.content.decode()
    commit(manager, preview)

    imported = Patient.objects.filter(code__in=["RT-1", "RT-2"])
    assert imported.count() == 2
    # stored as written: the ULN from the ranges and the antibody from the observations are
    # filled when the registry reads its rows, as the reader fills them for the file
    first = Visit.objects.get(patient__code="RT-1", day=0)
    assert (first.ck, first.ck_bound, first.ck_uln, first.lab) == (10000.0, ">", None, "L1")
    assert (first.alt, first.alt_state, first.ast, first.ast_bound) == (None, "normal", 40.0, "<=")
    assert Patient.objects.get(code="RT-2").antibody == ""
    assert ReferenceRange.objects.filter(site=sites["A"]).count() == 3
    ranged = Visit.objects.get(patient__code="RT-1", day=135)
    assert (ranged.day_earliest, ranged.day_latest, ranged.date) == (120, 150, None)
    region = StrengthGrade.objects.get(patient__code="RT-1", muscle="proximal_lower_limb")
    assert (region.side, region.grade, region.visit) == ("both", "3", first)
    ivig = Treatment.objects.get(patient__code="RT-1", drug="ivig")
    assert (ivig.dose, ivig.dose_unit, ivig.dose_per) == (2.0, "g/kg", "course")
    relapse = Event.objects.get(kind="relapse_reported")
    assert (relapse.relapse_type, relapse.sequence, relapse.day_earliest) == ("both", 2, 250)
    assert Event.objects.get(kind="hospitalisation").end_day == 45
    assert Observation.objects.filter(patient__code="RT-1").count() == 4

    assert_same_tables(dataset_for(imported, identified=True), source)

    response = manager.post(reverse("transfer:export"), {"format": fmt, "identified": "on"})
    assert response.status_code == 200
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(response.content)
    assert_same_tables(read_source(path), source)


def test_deidentified_export_leaves_observation_notes_out(
    manager: Client, sites: dict[str, Any], tmp_path: Path
) -> None:
    folder = write_source(tmp_path / "source")
    commit(manager, staged(manager, "v2.zip", zipped(folder), sites["A"]))
    data = manager.post(reverse("transfer:export"), {"format": "zip"}).content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        observations = pd.read_csv(
            io.BytesIO(archive.read("observations.csv")), dtype=str, keep_default_na=False
        )
    assert {"observations.csv", "reference_ranges.csv"} <= names
    assert "identifiers.csv" not in names
    assert set(observations["note"]) == {""}
    assert "after RTX" not in data.decode("latin-1")
    assert list(observations["code"])[:2] == ["anti_srp", "b_cells_cd19"]


def test_preview_lists_warnings_apart_also_beside_errors(
    manager: Client, sites: dict[str, Any], tmp_path: Path
) -> None:
    tables = dict(SOURCE)
    tables["visits"] = tables["visits"].replace("RT-2,-3,,,8500,180", "RT-2,-3,,,8500,-5")
    folder = write_source(tmp_path / "broken", tables)
    preview = staged(manager, "v2.zip", zipped(folder), sites["A"])
    assert not preview.ok
    assert [(p.file, p.row, p.column) for p in preview.problems] == [
        ("v2.zip: visits.csv", 5, "ck_uln")
    ]
    assert ("v2.zip: treatments.csv", 4, "drug") in {
        (p.file, p.row, p.column) for p in preview.warnings
    }
    assert all(p.is_warning for p in preview.warnings)
    assert not Patient.objects.exists()


def test_imported_reference_ranges_are_per_site(
    manager: Client, users: dict[str, Any], sites: dict[str, Any], tmp_path: Path
) -> None:
    """A range without a site is for every site of the file's patients; a range for a site
    the user may not import into, or another limit than the site has, is a problem."""
    tables = {
        "patients": "patient_id,site\nS-1,\n",
        "visits": "patient_id,day,ck\nS-1,0,900\n",
        "reference_ranges": "site,lab,analyte,uln\n,,ck,200\n,,alt,45\n",
    }
    commit(
        manager, staged(manager, "a.zip", zipped(write_source(tmp_path / "a", tables)), sites["A"])
    )
    stored = {(r.site.name, r.lab, r.analyte, r.uln) for r in ReferenceRange.objects.all()}
    assert stored == {("Site A", "", "ck", 200.0), ("Site A", "", "alt", 45.0)}
    assert dataset_for(Patient.objects.filter(code="S-1")).visits["ck_uln"].tolist() == [200.0]
    audit = AuditRecord.objects.filter(model="visits.referencerange", action="create")
    assert audit.count() == 2 and {a.site_pk for a in audit} == {sites["A"].pk}

    # the same ranges again are not added twice
    tables["patients"] = "patient_id,site\nS-2,\n"
    tables["visits"] = "patient_id,day,ck\nS-2,0,900\n"
    preview = staged(manager, "b.zip", zipped(write_source(tmp_path / "b", tables)), sites["A"])
    assert preview.ok and preview.counts["reference_ranges"] == 0

    tables["patients"] = "patient_id,site\nS-3,\n"
    tables["visits"] = "patient_id,day,ck\nS-3,0,900\n"
    tables["reference_ranges"] = "site,lab,analyte,uln\n,,ck,180\nSite B,,ck,200\n"
    preview = staged(manager, "c.zip", zipped(write_source(tmp_path / "c", tables)), sites["A"])
    rules = {(p.file, p.row, p.column): p.rule for p in preview.problems}
    assert "already has the upper limit 200" in rules[("c.zip: reference_ranges.csv", 2, "uln")]
    assert "sites you may import into" in rules[("c.zip: reference_ranges.csv", 3, "site")]
    assert ReferenceRange.objects.count() == 2

    # a new range of the site changes the outcomes of its patients: their cache is renewed
    first = Patient.objects.get(code="S-1").pk
    cached = version([first])
    tables["reference_ranges"] = "site,lab,analyte,uln\nSite A,L9,ck,150\n"
    commit(
        manager, staged(manager, "d.zip", zipped(write_source(tmp_path / "d", tables)), sites["A"])
    )
    assert ReferenceRange.objects.count() == 3 and version([first]) > cached


# --- the services ----------------------------------------------------------------------------

#: A visit's enzymes as a laboratory or a paper reports them.
LAB_TEXT = {
    "day": "60",
    "ck": ">10000",
    "ldh": "~4000",
    "alt": "normal",
    "ast": "<=40",
    "aldolase": "markedly elevated",
    "lab": "L1",
}


def test_lab_values_written_as_text_are_stored_as_number_bound_and_state(
    users: dict[str, Any], patients: dict[str, Any]
) -> None:
    patient = patients["A"]
    visit = save_visit(users["data_entry"], patient, LAB_TEXT)
    visit.refresh_from_db()
    assert (visit.ck, visit.ck_bound, visit.ck_state) == (10000.0, ">", "")
    assert (visit.ldh, visit.ldh_bound) == (4000.0, "~")
    assert (visit.alt, visit.alt_state) == (None, "normal")
    assert (visit.ast, visit.ast_bound) == (40.0, "<=")
    assert (visit.aldolase, visit.aldolase_state) == (None, "elevated")
    assert visit.ck_uln is None and warnings_of(visit) == []
    assert [visit.written(e) for e in ("ck", "ldh", "alt", "ast", "aldolase", "hbdh")] == [
        ">10000",
        "~4000",
        "normal",
        "<=40",
        "elevated",
        "",
    ]

    # a site's reference range gives the ULN when the registry reads its rows (its lab first)
    ReferenceRange.objects.create(site=patient.site, lab="", analyte="ck", uln=250)
    ReferenceRange.objects.create(site=patient.site, lab="L1", analyte="ck", uln=170)
    ds = dataset_for(Patient.objects.filter(pk=patient.pk))
    got = dict(zip(ds.visits["day"], ds.visits["ck_uln"], strict=True))
    assert got[60] == 170.0  # laboratory L1
    assert got[22] == 200.0  # the conftest visit gives its own ULN: kept
    Visit.objects.filter(pk=visit.pk).update(lab="")
    ds = dataset_for(Patient.objects.filter(pk=patient.pk))
    assert dict(zip(ds.visits["day"], ds.visits["ck_uln"], strict=True))[60] == 250.0
    assert Visit.objects.get(pk=visit.pk).ck_uln is None  # stored as given


def test_uncertain_days_keep_their_range_and_get_no_date(
    users: dict[str, Any], patients: dict[str, Any]
) -> None:
    user, patient = users["data_entry"], patients["A"]
    visit = save_visit(
        user, patient, {"day": "120..150", "mrc_sum": "50"}, [("proximal_lower_limb", "both", "4")]
    )
    assert (visit.day, visit.day_earliest, visit.day_latest, visit.date) == (135, 120, 150, None)
    grade = StrengthGrade.objects.get(visit=visit)
    assert (grade.day, grade.day_earliest, grade.day_latest, grade.date) == (135, 120, 150, None)
    # saved again as the form shows it (day 135, its range): still no date
    visit = save_visit(
        user,
        patient,
        {"day": "135", "day_earliest": "120", "day_latest": "150", "mrc_sum": "51"},
        visit=visit,
    )
    assert visit.date is None
    with pytest.raises(RecordInvalid) as caught:
        save_visit(user, patient, {"day": "100", "day_earliest": "120", "day_latest": "150"})
    assert [(p.table, p.index) for p in caught.value.problems] == [("visits", 0)]

    course = save_treatment(
        user, patient, {"drug": "IVIG", "start_day": "~6 months", "end_date": "2024-01-10"}
    )
    assert course.start_date is None and course.start_day_earliest is not None
    assert (course.end_day, course.end_day_earliest) == (365, None)

    # a new index date: dated rows follow their dates, uncertain ones keep their days
    data = {"patient_id": patient.code, "site": patient.site_id, "index_date": "2023-01-01"}
    update_patient(users["data_manager"], patient, {**data, "antibody": "SRP"})
    visit.refresh_from_db()
    course.refresh_from_db()
    assert (visit.day, visit.day_earliest, visit.date) == (135, 120, None)
    assert (course.end_day, course.end_date) == (374, dt.date(2024, 1, 10))
    assert course.start_date is None


def test_treatment_event_and_observation_columns(
    users: dict[str, Any], patients: dict[str, Any]
) -> None:
    user, patient = users["data_entry"], patients["A"]
    course = save_treatment(
        user, patient, {"drug": "prednisone", "start_day": "0", "dose": "1 mg/kg/day"}
    )
    assert (course.dose, course.dose_unit, course.dose_per) == (1.0, "mg/kg", "day")
    course = save_treatment(
        user,
        patient,
        {"drug": "ivig", "start_day": "30", "dose": "2", "dose_unit": "g/kg", "dose_per": "course"},
        course,
    )
    assert (course.drug, course.dose_unit, course.dose_per) == ("ivig", "g/kg", "course")

    event = save_event(
        user,
        patient,
        {
            "kind": "relapse_reported",
            "relapse_type": "biochemical",
            "day": "200..230",
            "end_date": "2023-09-01",
            "sequence": "2",
        },
    )
    assert (event.day, event.day_earliest, event.date) == (215, 200, None)
    assert (event.end_day, event.end_date, event.relapse_type) == (
        (dt.date(2023, 9, 1) - dt.date(2023, 1, 10)).days,
        dt.date(2023, 9, 1),
        "biochemical",
    )
    assert save_event(user, patient, {"kind": "worsening", "sequence": "3"}).sequence == 3
    with pytest.raises(RecordInvalid) as caught:
        save_event(user, patient, {"kind": "death", "day": "50", "end_day": "40"})
    assert "end_day" in {p.column for p in caught.value.problems}

    observation = save_observation(
        user, patient, {"code": "Anti-HMGCR", "value": "negative", "day": "~40", "unit": ""}
    )
    assert (observation.code, observation.day_earliest, observation.date) == (
        "anti_hmgcr",
        36,
        None,
    )
    with pytest.raises(RecordInvalid) as caught:
        save_observation(user, patient, {"code": "anti_srp", "value": "maybe", "day": "3"})
    assert [p.column for p in caught.value.problems] == ["value"]
    kept = save_observation(user, patient, {"code": "grip strength", "value": "22", "day": "3"})
    [warning] = warnings_of(kept)
    assert warning.column == "code" and "kept as written" in warning.message
    assert Observation.objects.filter(patient=patient).count() == 3  # with the conftest one


def test_observations_are_audited_soft_deleted_and_restored(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    patient = patients["A"]
    observation = Observation.objects.get(patient=patient)
    assert observation.date == dt.date(2023, 1, 20) and observation.day == 10
    created = AuditRecord.objects.get(
        model="observations.observation", action="create", object_id=observation.pk
    )
    assert created.patient_pk == patient.pk and created.site_pk == patient.site_id
    delete_observation(users["data_manager"], observation)
    assert not Observation.objects.filter(pk=observation.pk).exists()
    client.force_login(users["administrator"])
    items = client.get(reverse("audit:trash")).context["items"]
    assert ("observation", observation.pk) in [(k, o.pk) for k, o in items]
    url = reverse("audit:restore", kwargs={"kind": "observation", "pk": observation.pk})
    assert client.post(url).status_code == 302
    assert Observation.objects.filter(pk=observation.pk).exists()
    trail = AuditRecord.objects.filter(model="observations.observation", object_id=observation.pk)
    assert list(trail.values_list("action", flat=True)) == ["restore", "delete", "create"]


def test_warnings_are_those_of_the_saved_row_only(
    users: dict[str, Any], sites: dict[str, Any]
) -> None:
    user = users["data_entry"]
    patient = create_patient(
        user, {"patient_id": "Q-1", "site": sites["A"].pk, "comorbidities": "gout"}
    )
    assert [w.column for w in warnings_of(patient)] == ["comorbidities"]
    # the patient's own warning is not repeated on each of its rows
    assert warnings_of(save_treatment(user, patient, {"drug": "rituximab"})) == []
    visit = save_visit(user, patient, {"day": "0"}, [("quads and glutes", "left", "4")])
    assert [(w.table, w.index, w.column) for w in warnings_of(visit)] == [("strength", 0, "muscle")]
    visit = save_visit(user, patient, {"day": "1"}, [("hip_flexors", "left", "4")], visit)
    assert warnings_of(visit) == []  # the kept grade's warning was shown when it was saved


# --- the migration ----------------------------------------------------------------------------

PUBLISHED = Path(__file__).resolve().parents[2] / "src" / "myotrack" / "evidence" / "data"
#: The registry's state before contract v2.
V1 = [
    ("visits", "0001_initial"),
    ("treatments", "0001_initial"),
    ("events", "0001_initial"),
    ("observations", None),
]
V1_MODELS = {
    "visits": ("visits", "Visit"),
    "strength": ("visits", "StrengthGrade"),
    "treatments": ("treatments", "Treatment"),
    "events": ("events", "Event"),
}


def stored_values(model: Any, row: pd.Series) -> dict[str, object]:
    """A dataset row as the values of a (historical) model's fields of the same names."""
    out: dict[str, object] = {}
    for field in model._meta.concrete_fields:
        if field.name not in row.index or field.name in ("id", "patient", "site"):
            continue
        value = row[field.name]
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            value = "" if field.get_internal_type() in ("CharField", "TextField") else None
        out[field.name] = value.item() if hasattr(value, "item") else value
    return out


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_v1_row_and_value() -> None:
    """Rows written before contract v2 (a v1 cohort: synthetic patients and one with CKs
    written as bounds, entered through the v1 models) keep every value, and read as the same
    dataset as their files."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from myotrack.synth import generate

    bounded = Dataset.from_frames(
        name="v1",
        patients=pd.DataFrame({"patient_id": ["V1-B"], "sex": ["F"], "antibody": ["SRP"]}),
        visits=pd.DataFrame(
            {"patient_id": "V1-B", "day": [0, 30], "ck": [">10000", "<200"], "ck_uln": 200}
        ),
        treatments=pd.DataFrame(
            {
                "patient_id": "V1-B",
                "drug": ["RTX"],
                "start_day": [1],
                "dose": [1000],
                "dose_unit": ["mg"],
            }
        ),
    )
    source = Dataset.concat([generate(12, seed=3), bounded], name="v1 cohort")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(V1)
    try:
        old = MigrationExecutor(connection).loader.project_state(V1[:3]).apps
        site = old.get_model("accounts", "Site").objects.create(name="Published")
        patient_model = old.get_model("patients", "Patient")
        patients = {}
        for i, code in enumerate(source.patient_ids):
            values = stored_values(patient_model, source.patients.iloc[i])
            patients[code] = patient_model.objects.create(code=code, site=site, **values)
        written: dict[str, list[tuple[int, dict[str, object]]]] = {}
        for table, (app, name) in V1_MODELS.items():
            model = old.get_model(app, name)
            frame = source.table(table)
            written[table] = []
            for i in range(len(frame)):
                values = stored_values(model, frame.iloc[i])
                obj = model.objects.create(patient=patients[frame.iloc[i]["patient_id"]], **values)
                written[table].append((obj.pk, values))
        assert written["visits"] and any(v["ck_bound"] for _, v in written["visits"])
    finally:
        MigrationExecutor(connection).migrate(latest)

    from myotrack.web.events.models import Event as NewEvent
    from myotrack.web.treatments.models import Treatment as NewTreatment
    from myotrack.web.visits.models import StrengthGrade as NewGrade
    from myotrack.web.visits.models import Visit as NewVisit

    new_models = {
        "visits": NewVisit,
        "strength": NewGrade,
        "treatments": NewTreatment,
        "events": NewEvent,
    }
    for table, rows in written.items():
        for pk, values in rows:
            obj = new_models[table].objects.get(pk=pk)
            assert {k: getattr(obj, k) for k in values} == values, (table, pk)
            for extra in set(new_models[table].CONTRACT_FIELDS) - set(values):
                assert getattr(obj, extra) in (None, ""), (table, pk, extra)

    back = dataset_for(Patient.objects.all(), identified=True)
    for table in TABLES:
        mine = by_patient(back.table(table).drop(columns=["site"], errors="ignore"))
        theirs = by_patient(source.table(table).drop(columns=["site"], errors="ignore"))
        pd.testing.assert_frame_equal(mine, theirs, obj=table)


def by_patient(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by patient id, each patient's rows in their order (as the registry exports them)."""
    return frame.sort_values("patient_id", kind="stable").reset_index(drop=True)
