"""REDCap records: export to the flat import format and read back, classic and longitudinal,
raw and label values; errors named by record, event, instrument, instance and field."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from myotrack.errors import InvalidData
from myotrack.evidence.base import load_evidence
from myotrack.interchange.compare import compare
from myotrack.interchange.redcap import (
    project_dictionary,
    read_redcap,
    write_dictionary,
    write_records,
)
from myotrack.interchange.redcap.records import EVENT, REPEAT_INSTANCE, REPEAT_INSTRUMENT
from tests.conftest import make


@pytest.fixture(scope="module")
def evidence():  # type: ignore[no-untyped-def]
    return load_evidence()


def project(tmp_path: Path, ds, **kw):  # type: ignore[no-untyped-def]
    write_dictionary(project_dictionary(), tmp_path / "dict.csv")
    result = write_records(ds, tmp_path / "records.csv", **kw)
    return tmp_path / "dict.csv", tmp_path / "records.csv", result


def test_published_cases_round_trip_with_notes(tmp_path: Path, evidence) -> None:  # type: ignore[no-untyped-def]
    d, r, result = project(tmp_path, evidence, include_notes=True)
    back = read_redcap(d, r)
    rt = compare(evidence, back)
    print(f"REDCap, published cases, notes included: {rt.summary()}")
    assert result.losses == ()
    assert rt.differences == () and rt.cells > 5000


def test_published_cases_round_trip_de_identified_lists_the_notes(tmp_path: Path, evidence) -> None:  # type: ignore[no-untyped-def]
    d, r, result = project(tmp_path, evidence)
    rt = compare(evidence, read_redcap(d, r))
    print(f"REDCap, published cases, de-identified: {rt.summary()}; {len(result.losses)} listed")
    assert rt.uncovered(result.losses) == []
    assert {x.column for x in result.losses} == {"note"}
    assert len(rt.differences) == len(result.losses)


def test_records_format(tmp_path: Path, evidence) -> None:  # type: ignore[no-untyped-def]
    _, r, _ = project(tmp_path, evidence)
    f = pd.read_csv(r, dtype=str, keep_default_na=False)
    assert list(f.columns[:4]) == ["patient_id", EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE]
    assert set(f[EVENT]) == {"enrolment_arm_1", "visit_arm_1"}
    visits = f[f[EVENT] == "visit_arm_1"]
    assert set(visits[REPEAT_INSTRUMENT]) == {""} and visits[REPEAT_INSTANCE].ne("").all()
    assert set(f[REPEAT_INSTRUMENT]) == {"", "treatment", "clinical_event", "observation"}
    demographics = f[(f[EVENT] == "enrolment_arm_1") & (f[REPEAT_INSTRUMENT] == "")]
    assert len(demographics) == len(evidence.patients)


def test_classic_project_round_trip(tmp_path: Path, evidence) -> None:  # type: ignore[no-untyped-def]
    d, r, _ = project(tmp_path, evidence, classic=True, include_notes=True)
    f = pd.read_csv(r, dtype=str, keep_default_na=False)
    assert EVENT not in f.columns and "visit" in set(f[REPEAT_INSTRUMENT])
    assert compare(evidence, read_redcap(d, r)).differences == ()


def to_labels(dictionary: Path, records: Path, out: Path) -> Path:
    """The records as REDCap's 'CSV (labels)' export writes them: labels as headers and values."""
    from myotrack.interchange.redcap import read_dictionary

    fields = {f.name: f for f in read_dictionary(dictionary)}
    frame = pd.read_csv(records, dtype=str, keep_default_na=False)
    headers = []
    for c in frame.columns:
        name, _, code = c.partition("___")
        f = fields.get(name)
        if f is None:
            headers.append(
                {
                    EVENT: "Event Name",
                    REPEAT_INSTRUMENT: "Repeat Instrument",
                    REPEAT_INSTANCE: "Repeat Instance",
                }[c]
            )
            continue
        if code:
            label = dict(f.choice_list())[code]
            frame[c] = frame[c].map({"1": "Checked", "0": "Unchecked", "": ""})
            headers.append(f"{f.label} (choice={label})")
        else:
            if f.type in ("dropdown", "radio"):
                frame[c] = frame[c].map(lambda v, ch=dict(f.choice_list()): ch.get(v, v))
            headers.append(f.label)
    frame.columns = headers
    frame.to_csv(out, index=False)
    return out


def test_label_export_reads_the_same(tmp_path: Path, evidence) -> None:  # type: ignore[no-untyped-def]
    d, r, _ = project(tmp_path, evidence, include_notes=True)
    labels = to_labels(d, r, tmp_path / "labels.csv")
    back = read_redcap(d, labels, values="label")
    assert compare(evidence, back).differences == ()
    assert compare(evidence, read_redcap(d, labels)).differences == ()  # auto


def grade_seven_export(tmp_path: Path) -> tuple[Path, Path]:
    ds = make(
        [{"patient_id": "P1", "sex": "F"}],
        visits=[{"patient_id": "P1", "day": d, "mrc_sum": 50} for d in (0, 30, 60, 90)],
        strength=[
            {"patient_id": "P1", "day": d, "muscle": "hip_flexors", "side": "left", "grade": "4"}
            for d in (0, 30, 60, 90)
        ],
    )
    d, r, _ = project(tmp_path, ds)
    f = pd.read_csv(r, dtype=str, keep_default_na=False)
    row = (f[EVENT] == "visit_arm_1") & (f[REPEAT_INSTANCE] == "3")
    assert row.sum() == 1
    f.loc[row, "mrc_hip_flexors_left"] = "7"
    f.to_csv(r, index=False)
    return d, r


def test_an_mrc_grade_7_in_instance_3_rejects_the_whole_export(tmp_path: Path) -> None:
    d, r = grade_seven_export(tmp_path)
    with pytest.raises(InvalidData) as err:
        read_redcap(d, r)
    (problem,) = err.value.problems
    text = str(problem)
    print(text)
    for part in (
        "record 'P1'",
        "event 'visit_arm_1'",
        "instance 3",
        "field 'mrc_hip_flexors_left'",
        "strength.grade",
        "value '7'",
        "MRC grade is 0-5",
    ):
        assert part in text, part
    assert problem.row == 5  # the records file's row (header = 1)


def test_a_bad_choice_code_is_named(tmp_path: Path) -> None:
    ds = make([{"patient_id": "P1", "sex": "F"}])
    d, r, _ = project(tmp_path, ds)
    f = pd.read_csv(r, dtype=str, keep_default_na=False)
    f.loc[0, "sex"] = "9"
    f.to_csv(r, index=False)
    with pytest.raises(InvalidData) as err:
        read_redcap(d, r)
    text = str(err.value.problems[0])
    assert "record 'P1', event 'enrolment_arm_1', instrument 'demographics'" in text
    assert "field 'sex' (patients.sex)" in text and "sex must be one of" in text


def test_unknown_columns_and_empty_record_ids(tmp_path: Path) -> None:
    ds = make([{"patient_id": "P1"}])
    d, r, _ = project(tmp_path, ds)
    f = pd.read_csv(r, dtype=str, keep_default_na=False)
    f["nosuch"] = "x"
    f.loc[len(f)] = {**dict.fromkeys(f.columns, ""), "sex": "1", EVENT: "enrolment_arm_1"}
    f.to_csv(r, index=False)
    with pytest.raises(InvalidData) as err:
        read_redcap(d, r)
    rules = [p.rule for p in err.value.problems]
    assert any("not a field of the data dictionary" in x for x in rules)
    assert any("record id is empty" in x for x in rules)


def test_values_the_project_cannot_hold_are_listed(tmp_path: Path) -> None:
    ds = make(
        [{"patient_id": "P1"}],
        visits=[{"patient_id": "P1", "day": 0, "ck": "<200", "ck_uln": 200}],
        strength=[
            {"patient_id": "P1", "day": 0, "muscle": "hip flexion", "side": "left", "grade": "4 +"},
            {
                "patient_id": "P1",
                "day": 0,
                "muscle": "elbow_flexors",
                "side": "axial",
                "grade": "trace",
            },
        ],
    )
    d, r, result = project(tmp_path, ds)
    reasons = {x.reason for x in result.losses}
    assert "a grade written the standard way" in reasons
    assert any("no field for elbow_flexors (axial)" in x for x in reasons)
    rt = compare(ds, read_redcap(d, r))
    assert rt.uncovered(result.losses) == []
    assert "4+" in {x.written_as for x in result.losses}
