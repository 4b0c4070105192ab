"""Every validation rule names the file, the row, the column, the value and the rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from myotrack.errors import InvalidData, Problem
from myotrack.tables import read_source, validate_source


def write(folder: Path, **tables: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text.strip() + "\n")
    return folder


PATIENTS = "patient_id,sex,antibody\nP1,F,SRP\nP2,M,HMGCR\n"


def only(problems: list[Problem], column: str) -> Problem:
    hits = [p for p in problems if p.column == column]
    assert len(hits) == 1, problems
    return hits[0]


@pytest.mark.parametrize(
    ("table", "text", "column", "row", "words"),
    [
        (
            "strength",
            "patient_id,day,muscle,side,grade\nP1,0,deltoid,left,4+\nP1,0,hip_flexors,left,6\n",
            "grade",
            3,
            "MRC scale",
        ),
        ("visits", "patient_id,day,mrs\nP1,0,2\nP1,30,7\n", "mrs", 3, "0 to 6"),
        ("visits", "patient_id,day,ck,ck_uln\nP1,0,-12,200\n", "ck", 2, "CK cannot be negative"),
        (
            "treatments",
            "patient_id,drug,start_day,end_day\nP1,MTX,10,400\nP1,AZA,100,50\n",
            "end_day",
            3,
            "end_day is before start_day",
        ),
        (
            "visits",
            "patient_id,day,ck,ck_uln\nP1,0,100,200\nP9,3,100,200\n",
            "patient_id",
            3,
            "unknown patient",
        ),
        (
            "treatments",
            "patient_id,drug,start_day\nP1,Rituxmab,0\n",
            "drug",
            2,
            "closest known names: rituximab",
        ),
    ],
)
def test_each_rule_names_row_and_column(
    tmp_path: Path, table: str, text: str, column: str, row: int, words: str
) -> None:
    src = write(tmp_path / "src", patients=PATIENTS, **{table: text})
    problems = validate_source(src)
    p = only(problems, column)
    assert p.file == f"{table}.csv"
    assert p.row == row
    assert p.value is not None and str(p.value) in text
    assert words in p.rule
    assert f"row {row}" in str(p) and f"column '{column}'" in str(p)


def test_duplicate_patient_ids(tmp_path: Path) -> None:
    src = write(tmp_path / "s", patients="patient_id,sex\nP1,F\nP2,M\nP1,F\n")
    p = only(validate_source(src), "patient_id")
    assert (p.file, p.row, p.value) == ("patients.csv", 4, "P1")
    assert "duplicate" in p.rule


def test_unknown_drug_suggests_closest_names(tmp_path: Path) -> None:
    src = write(tmp_path / "s", patients=PATIENTS, treatments="patient_id,drug\nP1,mycophenolat\n")
    p = only(validate_source(src), "drug")
    assert "mycophenolate" in p.rule


def test_every_problem_is_listed_and_nothing_is_returned(tmp_path: Path) -> None:
    src = write(
        tmp_path / "s",
        patients="patient_id,sex,antibody\nP1,F,SRP\nP1,X,SRP\n",
        visits="patient_id,day,ck,ck_uln,mrs\nP1,0,-1,200,9\nP2,x,100,,\n",
    )
    with pytest.raises(InvalidData) as err:
        read_source(src)
    columns = sorted(str(p.column) for p in err.value.problems)
    assert columns == ["ck", "day", "mrs", "patient_id", "patient_id", "sex"]
    assert "nothing was imported" in str(err.value)


def test_synonyms_resolve_to_canonical_drug_names(tmp_path: Path) -> None:
    """Names as the seeds write them (001 Table 3, 002 Table 1) resolve to one drug each."""
    rows = [
        "RTX",
        "MabThera",
        "IVIG",
        "PSL",
        "PDN",
        "MEP",
        "IVMP",
        "CTX",
        "HiCy",
        "PLEX",
        "autoHCT",
        "ASCT",
        "CsA",
        "MMF",
    ]
    text = "patient_id,drug\n" + "".join(f"P1,{r}\n" for r in rows)
    ds = read_source(write(tmp_path / "s", patients=PATIENTS, treatments=text))
    assert list(ds.treatments["drug"]) == [
        "rituximab",
        "rituximab",
        "ivig",
        "prednisone",
        "prednisone",
        "methylprednisolone",
        "methylprednisolone",
        "cyclophosphamide",
        "hicy",
        "plasma_exchange",
        "autohct",
        "autohct",
        "cyclosporine",
        "mycophenolate",
    ]


def test_unknown_column_is_reported_with_suggestion(tmp_path: Path) -> None:
    src = write(
        tmp_path / "s", patients=PATIENTS, visits="patient_id,day,ck,ck_ULN\nP1,0,100,200\n"
    )
    problems = validate_source(src)
    assert any(p.column == "ck_ULN" and "ck_uln" in p.rule for p in problems)


def test_ck_bound_is_kept(tmp_path: Path) -> None:
    """000 text: 'CK was > 10 000 U/L (normal < 200)'; values with a bound are kept as written."""
    src = write(
        tmp_path / "s",
        patients=PATIENTS,
        visits="patient_id,day,ck,ck_uln\nP1,0,>10000,200\nP1,60,<200,200\n",
    )
    ds = read_source(src)
    assert list(ds.visits["ck"]) == [10000.0, 200.0]
    assert list(ds.visits["ck_bound"]) == [">", "<"]


def test_excel_problems_name_the_sheet(tmp_path: Path) -> None:
    book = tmp_path / "b.xlsx"
    with pd.ExcelWriter(book) as w:
        pd.DataFrame({"patient_id": ["P1"], "sex": ["F"]}).to_excel(
            w, sheet_name="patients", index=False
        )
        pd.DataFrame({"patient_id": ["P1"], "day": [0], "mrs": [8]}).to_excel(
            w, sheet_name="visits", index=False
        )
    p = only(validate_source(book), "mrs")
    assert p.file == "b.xlsx, sheet visits" and p.row == 2


@pytest.mark.parametrize("bad", ["inf", "1e30", "-inf"])
def test_infinite_or_huge_numbers_are_problems_not_crashes(tmp_path: Path, bad: str) -> None:
    src = write(
        tmp_path / "s", patients=PATIENTS, visits=f"patient_id,day,ck,ck_uln\nP1,{bad},{bad},200\n"
    )
    problems = validate_source(src)
    assert {p.column for p in problems} == {"day", "ck"}


def test_a_bound_needs_a_number(tmp_path: Path) -> None:
    src = write(tmp_path / "s", patients=PATIENTS, visits="patient_id,day,ck,ck_uln\nP1,0,<,200\n")
    assert "is not a laboratory value" in only(validate_source(src), "ck").rule


def test_row_numbers_count_blank_lines(tmp_path: Path) -> None:
    """A spreadsheet shows blank lines as rows: the bad value on line 4 is row 4."""
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "patients.csv").write_text("patient_id,sex\nP1,F\n\nP2,Q\n")
    assert only(validate_source(tmp_path / "s"), "sex").row == 4


def test_many_unknown_values_are_all_accounted_for(tmp_path: Path) -> None:
    text = "patient_id,drug\n" + "".join(f"P1,nodrug{i}\n" for i in range(60))
    problems = validate_source(write(tmp_path / "s", patients=PATIENTS, treatments=text))
    assert len(problems) == 51 and "10 more rows" in problems[-1].rule


def test_ck_bound_is_not_an_input_column(tmp_path: Path) -> None:
    src = write(
        tmp_path / "s",
        patients=PATIENTS,
        visits="patient_id,day,ck,ck_bound,ck_uln\nP1,0,100,<,200\n",
    )
    assert any(p.column == "ck_bound" and "unknown column" in p.rule for p in validate_source(src))


def test_comorbidities_are_checked_against_the_vocabulary(tmp_path: Path) -> None:
    src = write(
        tmp_path / "s", patients="patient_id,comorbidities\nP1,hbv;cirrhosis\nP2,HBV;cirrhossis\n"
    )
    p = only(validate_source(src), "comorbidities")
    assert p.row == 3 and "cirrhossis" in p.rule and "cirrhosis" in p.rule


def _read_numbers(cells: list[str]) -> np.ndarray:
    from myotrack.tables.parsing import blank_mask, parse_numbers, strip_text

    text = strip_text(pd.Series(cells, dtype=object))
    return parse_numbers(text, blank_mask(text))


def test_plain_numbers_are_read_as_python_reads_them() -> None:
    """Up to 15 significant digits as pandas reads them; beyond, correctly rounded (pandas
    keeps only 17 digits, leading zeros included); minus zero is zero; whatever the column."""
    rng = np.random.default_rng(7)
    short = [
        f"{s}{int(i)}.{int(f):0{w}d}" if w else f"{s}{int(i)}"
        for s, i, f, w in zip(
            rng.choice(["", "-", "+"], 5000),
            rng.integers(1, 10**6, 5000),
            rng.integers(0, 10**6, 5000),
            rng.integers(0, 7, 5000),
            strict=True,
        )
    ] + ["", "  ", "5.", ".5", "007"]
    text = pd.Series(short, dtype=object).str.strip()
    expected = pd.to_numeric(text.where(text != "", None), errors="coerce")
    np.testing.assert_array_equal(
        _read_numbers(short), expected.to_numpy(dtype=float, na_value=np.nan)
    )
    odd = [
        "71.95364052594351899913",
        "950.4304727815131",
        "00000000000000000000.5",
        "000000000000.0055807302150",
        "0.30000000000000004",
    ]
    for column in (odd, [*odd, "4.85e3"], [*odd, "n/a"]):  # Arrow alone, or with pandas
        assert list(_read_numbers(column)[: len(odd)]) == [float(v) for v in odd]
    assert not np.signbit(_read_numbers(["-0", "-0.0", "1"])).any()
    assert not np.signbit(_read_numbers(["-0", "x"])).any()


def test_not_plainly_written_numbers_are_left_to_pandas() -> None:
    cells = ["4.85e3", "1E2", "nan", "inf", "1,5", "0x10", "\u0661\u0662", "12 mg", "0e999"]
    got = _read_numbers(cells)
    expected = pd.to_numeric(pd.Series(cells), errors="coerce").to_numpy(dtype=float)
    np.testing.assert_array_equal(got, expected)


def test_range_checks_see_the_number_as_written(tmp_path: Path) -> None:
    """0.99999999999999994 is below 1 (pandas read it as 1.0 and let it pass)."""
    visits = "patient_id,day,ck,ck_uln\nP1,0,100,0.99999999999999994\n"
    src = write(tmp_path / "s", patients=PATIENTS, visits=visits)
    assert "ck_uln must be >= 1 U/L" in [
        p.rule for p in validate_source(src) if p.column == "ck_uln"
    ]


def test_a_number_with_an_exponent_is_still_read(tmp_path: Path) -> None:
    visits = "patient_id,day,ck,ck_uln\nP1,0,4.85e3,200\n"
    src = write(tmp_path / "s", patients=PATIENTS, visits=visits)
    assert read_source(src).visits["ck"].tolist() == [4850.0]
