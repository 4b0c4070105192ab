"""myotrack's REDCap data dictionary and the structural check of REDCap's dictionary rules."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from myotrack.interchange.redcap import (
    check_dictionary,
    project_dictionary,
    read_dictionary,
    write_dictionary,
)
from myotrack.interchange.redcap.dictionary import HEADER, Field
from myotrack.interchange.redcap.project import grade_choices, setup_tables
from myotrack.tables import TABLES


def rules(fields: list[Field]) -> list[str]:
    return [p.rule for p in check_dictionary(fields)]


def test_project_dictionary_passes_the_check_and_reads_back(tmp_path: Path) -> None:
    fields = project_dictionary()
    path = write_dictionary(fields, tmp_path / "dict.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert len(HEADER) == 18
    assert check_dictionary(fields, HEADER) == []
    assert read_dictionary(path) == fields
    assert header[0] == "Variable / Field Name"


def test_every_contract_column_has_a_field() -> None:
    notes = {f.annotation for f in project_dictionary() if f.annotation}
    targets = {t for a in notes for t in a.split()[1].split(",")} if notes else set()
    for table, spec in TABLES.items():
        for col in spec.names:
            if table == "strength" and col in ("muscle", "side"):
                continue  # the grid's field names say them
            if col == "patient_id" and table != "patients":
                continue  # the record id
            assert f"{table}.{col}" in targets, f"{table}.{col}"


def test_fields_mirror_the_contract_rules() -> None:
    by = {f.name: f for f in project_dictionary()}
    assert by["patient_id"].form == "demographics" and by["patient_id"].required == "y"
    assert (by["v_mrs"].validation, by["v_mrs"].minimum, by["v_mrs"].maximum) == (
        "integer",
        "0",
        "6",
    )
    assert (by["v_mrc_sum"].validation, by["v_mrc_sum"].maximum) == ("number", "60")
    assert by["sex"].choices == "1, F | 2, M | 3, other | 4, unknown"
    assert by["v_ck_uln"].branching == "[v_ck] <> '' or [v_ck_qualifier] <> ''"
    assert by["tx_dose_unit"].branching == "[tx_dose] <> ''"
    assert by["ev_relapse_type"].branching == "[ev_kind] = '2'"
    assert by["tx_drug_other"].branching == "[tx_drug] = '99'"
    assert by["comorbidities"].type == "checkbox"
    assert by["comorbidities_other"].branching == "[comorbidities(99)] = '1'"
    assert by["tx_note"].type == "notes" and by["tx_note"].identifier == "y"
    assert by["mrc_hip_flexors_left"].choices == by["mrc_neck_flexors_axial"].choices
    assert by["mrc_hip_flexors_both"].branching == "[mrc_more] = '1'"
    assert ("4p", "4+") in grade_choices() and ("1to2", "1-2") in grade_choices()


def test_setup_tables_longitudinal_and_classic() -> None:
    longi = setup_tables()
    assert [e["unique_event_name"] for e in longi["events"]] == ["enrolment_arm_1", "visit_arm_1"]
    assert {"event_name": "visit_arm_1", "form_name": "", "custom_form_label": ""} in longi[
        "repeating"
    ]
    assert "events" not in setup_tables(classic=True)


GOOD = [
    Field("record_id", "enrolment", "text", "Record ID"),
    Field("sex", "enrolment", "dropdown", "Sex", choices="1, F | 2, M"),
    Field("ill", "enrolment", "checkbox", "Illnesses", choices="1, HBV | 2, HCV"),
    Field("age", "enrolment", "text", "Age", validation="integer", minimum="0", maximum="120"),
]


def test_a_small_valid_dictionary_passes() -> None:
    assert rules(GOOD) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "Age"}, "lowercase letters"),
        ({"name": "1age"}, "starting with a letter"),
        ({"name": "a" * 101}, "at most 100"),
        ({"name": "sex"}, "unique"),
        ({"name": "redcap_event_name"}, "REDCap uses itself"),
        ({"type": "textbox"}, "field types are"),
        ({"validation": "integr"}, "validation types"),
        ({"validation": "", "minimum": "0", "maximum": ""}, "needs a validation"),
        ({"minimum": "zero"}, "whole number"),
        ({"minimum": "200"}, "above the maximum"),
        ({"branching": "[nosuch] = '1'"}, "not a field"),
        ({"branching": "[ill(3)] = '1'"}, "not a choice code"),
        ({"branching": "[sex(1)] = '1'"}, "only a checkbox"),
        ({"branching": "([sex] = '1'"}, "parentheses"),
        ({"branching": "[sex] = '1"}, "quote"),
        ({"branching": "sex = '1'"}, "none is named"),
        ({"identifier": "yes"}, "write y"),
        ({"alignment": "middle"}, "alignment"),
    ],
)
def test_broken_fields_are_named(change: dict[str, str], expected: str) -> None:
    fields = [*GOOD[:3], replace(GOOD[3], **change)]
    found = rules(fields)
    assert any(expected in r for r in found), found


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (Field("x", "enrolment", "dropdown", "X"), "needs its choices"),
        (Field("x", "enrolment", "dropdown", "X", choices="1 F | 2 M"), "'code, label' pairs"),
        (Field("x", "enrolment", "radio", "X", choices="1, F | 1, M"), "unique within"),
        (Field("x", "enrolment", "dropdown", "X", choices="a b, F"), "a choice code is"),
        (Field("x", "enrolment", "yesno", "X", choices="1, Yes"), "has no choices"),
        (
            Field("x", "enrolment", "dropdown", "X", choices="1, F", validation="integer"),
            "only text fields",
        ),
        (Field("x", "enrolment", "calc", "X"), "needs its calculation"),
        (Field("x", "enrolment", "calc", "X", choices="[age] * [nosuch]"), "not a field"),
    ],
)
def test_broken_choices_types_and_calculations(field: Field, expected: str) -> None:
    found = rules([*GOOD, field])
    assert any(expected in r for r in found), found


def test_record_id_first_and_forms_together() -> None:
    assert any("record id" in r for r in rules([GOOD[1], GOOD[0]]))
    split = [GOOD[0], replace(GOOD[1], form="other"), GOOD[2]]
    assert any("together" in r for r in rules(split))


def test_wrong_header_is_named() -> None:
    problems = check_dictionary(GOOD, HEADER[:17])
    assert problems and problems[0].row == 1 and "18" in problems[0].rule
