"""A structural check of a data dictionary against REDCap's rules, before REDCap sees it.

Checked (each broken rule is one :class:`~myotrack.errors.Problem` naming the row, column and
field): the 18 columns; field names (lowercase letters, digits and underscores, starting with
a letter, at most 100 characters, unique, not REDCap's own ``redcap_*`` names); form names
(the same syntax, each form's rows together); the first field is the record id (a ``text``
field of the first form, without branching logic); field types; choices (``code, label``
pairs separated by ``|``, codes of letters, digits and underscores or numbers, unique) where
the type needs them and nowhere else; validation names from REDCap's list, only on text
fields, min and max only with a validation and written as it wants; Identifier, Required and
Matrix Ranking ``y`` or empty; custom alignment; matrix groups (radio or checkbox fields in a
row sharing their choices); branching logic and calculations: balanced brackets, parentheses
and quotes, every ``[field]`` an existing field (``[event][field]`` allowed), every
``[field(code)]`` a checkbox and one of its codes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from myotrack.errors import Problem
from myotrack.interchange.redcap.dictionary import HEADER, Field, parse_choices

FIELD_TYPES = (
    "text",
    "notes",
    "dropdown",
    "radio",
    "checkbox",
    "calc",
    "file",
    "descriptive",
    "slider",
    "yesno",
    "truefalse",
    "sql",
)
CHOICE_TYPES = ("dropdown", "radio", "checkbox")
#: REDCap's built-in text validation types (the validation_name column of its
#: redcap_validation_types table).
VALIDATIONS = (
    "alpha_only",
    "date_dmy",
    "date_mdy",
    "date_ymd",
    "datetime_dmy",
    "datetime_mdy",
    "datetime_ymd",
    "datetime_seconds_dmy",
    "datetime_seconds_mdy",
    "datetime_seconds_ymd",
    "email",
    "integer",
    "mrn_10d",
    "mrn_generic",
    "number",
    "number_1dp",
    "number_2dp",
    "number_3dp",
    "number_4dp",
    "number_comma_decimal",
    "number_1dp_comma_decimal",
    "number_2dp_comma_decimal",
    "number_3dp_comma_decimal",
    "number_4dp_comma_decimal",
    "phone",
    "phone_australia",
    "phone_uk",
    "postalcode_australia",
    "postalcode_canada",
    "postalcode_french",
    "postalcode_germany",
    "postalcode_uk",
    "ssn",
    "time",
    "time_hh_mm_ss",
    "time_mm_ss",
    "vmrn",
    "zipcode",
)
ALIGNMENTS = ("", "LV", "LH", "RV", "RH")
RESERVED = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
    "redcap_csrf_token",
)
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CODE = re.compile(r"^(-?[0-9]+(\.[0-9]+)?|[A-Za-z0-9_]+)$")
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_NAME = 100
#: a field reference in logic: [field], [field(code)] or [field:modifier]
REF = re.compile(r"\[([^\[\]]*)\]")


def check_dictionary(
    fields: Sequence[Field], header: Sequence[str] | None = None, label: str = "data dictionary"
) -> list[Problem]:
    """Every rule of REDCap's that the dictionary breaks (empty when it is valid)."""
    out: list[Problem] = []

    def bad(row: int | None, column: str | None, value: object, rule: str) -> None:
        out.append(Problem(label, row, column, value, rule))

    if header is not None and tuple(h.strip() for h in header) != HEADER:
        bad(
            1,
            None,
            None,
            f"the dictionary has {len(header)} columns; REDCap's are the 18: {', '.join(HEADER)}",
        )
    if not fields:
        bad(None, None, None, "the dictionary has no fields")
        return out
    by_name = {f.name: f for f in fields}
    seen: set[str] = set()
    forms_done: set[str] = set()
    current_form = ""
    for i, f in enumerate(fields):
        row = i + 2
        for what, name in (("Variable / Field Name", f.name), ("Form Name", f.form)):
            if not NAME.match(name):
                bad(
                    row,
                    what,
                    name,
                    "use only lowercase letters, digits and underscores, starting with a letter",
                )
            if len(name) > MAX_NAME:
                bad(row, what, name, f"at most {MAX_NAME} characters")
        if f.name in seen:
            bad(row, "Variable / Field Name", f.name, "field names are unique in a project")
        seen.add(f.name)
        if f.name in RESERVED or (
            f.name.endswith("_complete") and f.name[: -len("_complete")] == f.form
        ):
            bad(row, "Variable / Field Name", f.name, "a name REDCap uses itself")
        if f.form != current_form:
            if f.form in forms_done:
                bad(
                    row,
                    "Form Name",
                    f.form,
                    "the rows of one form are together (this form appeared above)",
                )
            forms_done.add(current_form)
            current_form = f.form
        if f.type not in FIELD_TYPES:
            bad(row, "Field Type", f.type, f"field types are {', '.join(FIELD_TYPES)}")
        if not f.label and f.type != "descriptive":
            bad(row, "Field Label", None, "every field has a label")
        _check_choices(f, row, bad)
        _check_validation(f, row, bad)
        for what, value in (
            ("Identifier?", f.identifier),
            ("Required Field?", f.required),
            ("Matrix Ranking?", f.matrix_ranking),
        ):
            if value not in ("", "y"):
                bad(row, what, value, "write y or leave it empty")
        if f.alignment not in ALIGNMENTS:
            bad(row, "Custom Alignment", f.alignment, "alignment is LV, LH, RV or RH (or empty)")
        if f.branching:
            for rule in _logic_problems(f.branching, by_name):
                bad(row, "Branching Logic (Show field only if...)", f.branching, rule)
        if f.type == "calc":
            if not f.choices:
                bad(
                    row,
                    "Choices, Calculations, OR Slider Labels",
                    None,
                    "a calc field needs its calculation",
                )
            for rule in _logic_problems(f.choices, by_name):
                bad(row, "Choices, Calculations, OR Slider Labels", f.choices, rule)
    first = fields[0]
    if first.type != "text" or first.branching:
        bad(
            2,
            "Variable / Field Name",
            first.name,
            "the first field is the record id: a text field without branching logic",
        )
    _check_matrices(fields, bad)
    return out


def _check_choices(f: Field, row: int, bad) -> None:  # type: ignore[no-untyped-def]
    column = "Choices, Calculations, OR Slider Labels"
    if f.type in CHOICE_TYPES:
        pairs = parse_choices(f.choices)
        if not f.choices.strip():
            bad(row, column, None, f"a {f.type} field needs its choices: '1, label | 2, label'")
            return
        if pairs is None:
            bad(row, column, f.choices, "choices are 'code, label' pairs separated by '|'")
            return
        codes = [c for c, _ in pairs]
        for c, lab in pairs:
            if not CODE.match(c):
                bad(row, column, c, "a choice code is a number, or letters, digits and underscores")
            if not lab:
                bad(row, column, c, "every choice has a label")
        dup = {c for c in codes if codes.count(c) > 1}
        if dup:
            bad(row, column, ", ".join(sorted(dup)), "choice codes are unique within a field")
    elif f.type in ("yesno", "truefalse", "notes", "file", "descriptive") and f.choices:
        bad(row, column, f.choices, f"a {f.type} field has no choices")


def _check_validation(f: Field, row: int, bad) -> None:  # type: ignore[no-untyped-def]
    column = "Text Validation Type OR Show Slider Number"
    if f.validation:
        if f.type == "slider":
            if f.validation != "number":
                bad(
                    row,
                    column,
                    f.validation,
                    "a slider takes 'number' here (show the number) or nothing",
                )
        elif f.type != "text":
            bad(row, column, f.validation, "only text fields have a validation")
        elif f.validation not in VALIDATIONS:
            bad(
                row,
                column,
                f.validation,
                "not one of REDCap's validation types (integer, number, date_ymd, ...)",
            )
    for what, value in (("Text Validation Min", f.minimum), ("Text Validation Max", f.maximum)):
        if not value:
            continue
        if not f.validation or f.type != "text":
            bad(row, what, value, "a minimum or maximum needs a validation type")
        elif f.validation in ("integer",) and not re.match(r"^-?[0-9]+$", value):
            bad(row, what, value, "an integer field's limit is a whole number")
        elif f.validation.startswith("number") and not NUMBER.match(value):
            bad(row, what, value, "a number field's limit is a number")
        elif (
            f.validation.startswith("date_")
            and not DATE.match(value)
            and value not in ("today", "now")
        ):
            bad(row, what, value, "a date field's limit is written YYYY-MM-DD")
    if NUMBER.match(f.minimum) and NUMBER.match(f.maximum) and float(f.minimum) > float(f.maximum):
        bad(row, "Text Validation Min", f.minimum, "the minimum is above the maximum")


def _logic_problems(logic: str, fields: dict[str, Field]) -> list[str]:
    problems = []
    depth = 0
    quote: str | None = None
    for ch in logic:
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                break
    if quote:
        problems.append("a quote is not closed")
    if depth != 0:
        problems.append("parentheses do not match")
    outside = REF.sub("", re.sub(r"'[^']*'|\"[^\"]*\"", "", logic))
    if "[" in outside or "]" in outside:
        problems.append("square brackets do not match: refer to a field as [field_name]")
    refs = REF.findall(logic)
    if not refs:
        problems.append("logic refers to fields as [field_name]; none is named")
    for ref in refs:
        name, _, rest = ref.partition("(")
        name = name.split(":")[0].strip()
        if name not in fields:
            if (
                not rest
                and NAME.match(name)
                and name.endswith(tuple(f"_arm_{n}" for n in range(1, 100)))
            ):
                continue  # [event_name][field] in a longitudinal project
            problems.append(f"[{ref}] is not a field of this dictionary")
            continue
        if rest:
            code = rest.rstrip(")").strip()
            target = fields[name]
            if target.type != "checkbox":
                problems.append(f"[{ref}]: only a checkbox field is written with a choice code")
            elif code not in {c for c, _ in target.choice_list()}:
                problems.append(f"[{ref}]: {code} is not a choice code of {name}")
    return problems


def _check_matrices(fields: Sequence[Field], bad) -> None:  # type: ignore[no-untyped-def]
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(fields):
        if f.matrix_group:
            groups.setdefault(f.matrix_group, []).append(i)
    for name, rows in groups.items():
        if rows != list(range(rows[0], rows[0] + len(rows))):
            bad(
                rows[0] + 2,
                "Matrix Group Name",
                name,
                "the fields of a matrix group are in consecutive rows",
            )
        members = [fields[i] for i in rows]
        if any(m.type not in ("radio", "checkbox") for m in members):
            bad(
                rows[0] + 2, "Matrix Group Name", name, "matrix fields are radio or checkbox fields"
            )
        if len({m.choices for m in members}) > 1:
            bad(
                rows[0] + 2,
                "Matrix Group Name",
                name,
                "the fields of a matrix group share their choices",
            )
