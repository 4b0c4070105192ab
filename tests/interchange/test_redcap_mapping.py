"""An existing REDCap project: a suggested mapping, reviewed as TOML, read with its errors."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from myotrack.errors import InvalidData
from myotrack.interchange.redcap import load_mapping, read_redcap
from myotrack.interchange.redcap.dictionary import parse_dictionary
from myotrack.interchange.redcap.mapping import dump_mapping
from myotrack.interchange.redcap.suggest import suggest_mapping

HEAD = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,Text Validation Type OR Show Slider Number,'
    "Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),"
    "Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation"
)
ROWS = [
    ("study_id", "baseline", "text", "Study ID", "", ""),
    ("gender", "baseline", "radio", "Gender", "1, Male | 2, Female | 3, Prefer not to say", ""),
    ("onset_date", "baseline", "text", "Date of onset of weakness", "", "date_ymd"),
    (
        "msa",
        "baseline",
        "dropdown",
        "Myositis specific antibody",
        "1, Anti-SRP | 2, Anti-HMGCR | 3, Negative",
        "",
    ),
    ("visit_date", "clinic_visit", "text", "Visit date", "", "date_ymd"),
    ("cpk", "clinic_visit", "text", "CPK (U/L)", "", "number"),
    ("cpk_uln", "clinic_visit", "text", "CPK upper limit of normal", "", "number"),
    (
        "deltoid_r",
        "clinic_visit",
        "dropdown",
        "Deltoid right",
        "0, 0/5 | 1, 1/5 | 2, 2/5 | 3, 3/5 | 4, 4/5 | 45, 4+/5 | 5, 5/5",
        "",
    ),
    (
        "deltoid_l",
        "clinic_visit",
        "dropdown",
        "Deltoid left",
        "0, 0/5 | 1, 1/5 | 2, 2/5 | 3, 3/5 | 4, 4/5 | 45, 4+/5 | 5, 5/5",
        "",
    ),
    ("rankin", "clinic_visit", "text", "Modified Rankin score", "", "integer"),
    (
        "med_name",
        "medication",
        "dropdown",
        "Medication",
        "1, Rituximab | 2, IVIG | 3, Prednisolone | 4, Other",
        "",
    ),
    ("med_start", "medication", "text", "Start date", "", "date_ymd"),
    ("med_dose", "medication", "text", "Dose", "", "number"),
    ("comments", "medication", "notes", "Comments", "", ""),
]


def dictionary_text() -> str:
    lines = [HEAD]
    for name, form, ftype, label, choices, validation in ROWS:
        lines.append(f'{name},{form},,{ftype},"{label}","{choices}",,{validation},,,,,,,,,,')
    return "\n".join(lines) + "\n"


RECORDS = textwrap.dedent(
    """\
    study_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,gender,onset_date,msa,visit_date,cpk,cpk_uln,deltoid_r,deltoid_l,rankin,med_name,med_start,med_dose,comments,baseline_complete
    L-01,baseline_arm_1,,,2,2021-03-01,1,,,,,,,,,,,2
    L-01,visit_1_arm_1,,,,,,2021-05-30,8400,200,3,45,3,,,,,
    L-01,visit_2_arm_1,,,,,,2021-08-28,900,200,4,5,2,,,,,
    L-01,baseline_arm_1,medication,1,,,,,,,,,,1,2021-06-01,1000,first course,
    L-02,baseline_arm_1,,,1,2020-01-10,2,,,,,,,,,,,2
    L-02,visit_1_arm_1,,,,,,2020-02-09,12000,170,2,2,4,,,,,
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "redcap_dictionary.csv").write_text(dictionary_text())
    (tmp_path / "redcap_records.csv").write_text(RECORDS)
    return tmp_path


def test_suggestion_names_the_columns(project: Path) -> None:
    fields = parse_dictionary((project / "redcap_dictionary.csv").read_text())
    s = suggest_mapping(fields)
    by = s.mapping.by_field()
    assert s.mapping.record_id == "study_id" and s.mapping.index_date == "onset_date"
    assert by["gender"].targets == ("patients.sex",) and by["gender"].choices == {
        "1": "M",
        "2": "F",
    }
    assert "3 (Prefer not to say)" in s.comments["gender"]
    assert by["msa"].choices == {"1": "SRP", "2": "HMGCR", "3": "seronegative"}
    assert by["visit_date"].targets == ("visits.day", "strength.day") and by["visit_date"].date
    assert by["cpk"].targets == ("visits.ck",) and by["cpk_uln"].targets == ("visits.ck_uln",)
    assert (by["deltoid_r"].muscle, by["deltoid_r"].side) == ("shoulder_abductors", "right")
    assert by["deltoid_l"].choices is not None and by["deltoid_l"].choices["45"] == "4+"
    assert by["rankin"].targets == ("visits.mrs",)
    assert by["med_name"].choices == {"1": "rituximab", "2": "ivig", "3": "prednisone"}
    assert by["med_start"].targets == ("treatments.start_day",) and by["med_start"].date
    assert "comments" in dict(s.unmapped)


def test_suggested_toml_reads_the_project(project: Path) -> None:
    fields = parse_dictionary((project / "redcap_dictionary.csv").read_text())
    s = suggest_mapping(fields)
    reviewed = replace(
        s.mapping, constants={"treatments.dose_unit": "mg"}
    )  # the project has no unit
    toml = project / "redcap_mapping.toml"
    toml.write_text(dump_mapping(reviewed, s.comments, s.unmapped))
    mapping = load_mapping(toml)
    assert mapping == reviewed
    ds = read_redcap(project / "redcap_dictionary.csv", project / "redcap_records.csv", mapping)
    tf = ds.to_text_frames()
    assert tf["patients"][["patient_id", "sex", "antibody"]].values.tolist() == [
        ["L-01", "F", "SRP"],
        ["L-02", "M", "HMGCR"],
    ]
    assert tf["visits"][["patient_id", "day", "ck", "ck_uln", "mrs"]].values.tolist()[0] == [
        "L-01",
        "90",
        "8400",
        "200",
        "3",
    ]
    grades = tf["strength"].query("patient_id == 'L-01' and day == '90'")
    assert sorted(zip(grades.side, grades.grade, strict=True)) == [("left", "4+"), ("right", "3")]
    assert tf["treatments"][["drug", "start_day", "dose"]].values.tolist() == [
        ["rituximab", "92", "1000"]
    ]


def test_errors_name_record_event_instrument_instance_and_field(project: Path) -> None:
    fields = parse_dictionary((project / "redcap_dictionary.csv").read_text())
    s = suggest_mapping(fields)
    bad = RECORDS.replace(
        "L-01,visit_2_arm_1,,,,,,2021-08-28,900,200,4,5,2",
        "L-01,visit_2_arm_1,,,,,,2021-08-28,900,200,4,5,9",
    )
    bad = bad.replace("1,2021-06-01,1000", "4,2021-06-01,1000")
    (project / "redcap_records.csv").write_text(bad)
    with pytest.raises(InvalidData) as err:
        mapping = replace(s.mapping, constants={"treatments.dose_unit": "mg"})
        read_redcap(project / "redcap_dictionary.csv", project / "redcap_records.csv", mapping)
    texts = [str(p) for p in err.value.problems]
    assert any(
        "record 'L-01', event 'visit_2_arm_1', instrument 'clinic_visit'" in t
        and "field 'rankin' (visits.mrs)" in t
        and "mrs must be 0 to 6" in t
        for t in texts
    ), texts
    # a drug outside the vocabulary is kept as written (a warning), never an error
    assert not any("field 'med_name'" in t for t in texts), texts


def test_bad_mapping_entries_are_named(tmp_path: Path) -> None:
    toml = tmp_path / "m.toml"
    toml.write_text(
        '[record]\nid = "x"\n[fields.a]\nto = "visits.nosuch"\n[fields.b]\nto = "nosuch.day"\npart = "half"\n'
    )
    with pytest.raises(InvalidData) as err:
        load_mapping(toml)
    rules = " | ".join(p.rule for p in err.value.problems)
    assert (
        "not a column of visits" in rules
        and "unknown table 'nosuch'" in rules
        and "part must be" in rules
    )
