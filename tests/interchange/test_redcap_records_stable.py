"""The REDCap records file and its list of losses are the same, byte for byte, as the ones
written when the encoding was done one cell at a time: the published cases and a synthetic
cohort with values written in every way the contract takes (bounds, qualitative results,
grades, separators and quotes), classic and longitudinal, with and without notes.

The digests were taken from the cell-by-cell writer on these inputs; a deliberate change of
the records format changes them (and should be read in the diff of a small export first)."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myotrack.evidence.base import load_evidence
from myotrack.interchange.redcap import export_records
from myotrack.interchange.redcap.records import _rows_csv, records_csv
from myotrack.synth import generate
from myotrack.tables import Dataset

LABS = ["<200", "about 300", "raised", "Normal", "1200", "~50", ">= 10", "<=7", "WNL", "elevated"]
GRADES = ["5", "4+", "4-", "3", "1-2", "2-4", "T", "trace", "4 +", "1–2", "4+/5", "0", "5-"]
TEXTS = ['Hôpital "Nord", Lyon', "site\nwith a line break", "=SUM(A1)", "plain", " , "]


def written_every_way() -> Dataset:
    """A 40-patient synthetic cohort with labs, grades and free texts in many spellings."""
    tf = generate(40, seed=11).to_text_frames()
    pts, visits, strength, tx = (
        tf[t].copy() for t in ("patients", "visits", "strength", "treatments")
    )
    labs = itertools.cycle(LABS)
    visits["ck"] = [next(labs) if v else v for v in visits["ck"]]
    grades = itertools.cycle(GRADES)
    strength["grade"] = [next(grades) for _ in range(len(strength))]
    texts = itertools.cycle(TEXTS)
    pts["site"] = [next(texts) for _ in range(len(pts))]
    tx["note"] = [next(texts) if i % 3 == 0 else "" for i in range(len(tx))]
    return Dataset.from_frames(
        name="written every way",
        **{**tf, "patients": pts, "visits": visits, "strength": strength, "treatments": tx},
    )


DIGESTS: dict[tuple[str, bool, bool], str] = {
    (
        "published",
        False,
        False,
    ): "6159574af1c30bbb8064255bcfe223175103dfedc660da709b595d7bca57acbc",  # 564 losses, 4928 cells
    (
        "published",
        False,
        True,
    ): "29a040535a74d4d0a8516972a1bf62465ab51dc21b392b640d3d9058ac185fa3",  # 0 losses, 4928 cells
    (
        "published",
        True,
        False,
    ): "cbfaa1b420c598682f156998fc76f5ad6de717c7f971da41285caba7be7f9b30",  # 564 losses, 4928 cells
    (
        "published",
        True,
        True,
    ): "58b0a6b081f6967859fab62d0db920f1046a44b6afb08212ec448bd41cd49610",  # 0 losses, 4928 cells
    (
        "every way",
        False,
        False,
    ): "9782b8aeb427ee8f26492885b5a1acd1f053516a4b9ea612e20a3be463b56872",  # 70 losses, 10274 cells
    (
        "every way",
        False,
        True,
    ): "87610d255672640d25a92ede2d0d561ca6275bf890c56f5ffa808651aaf14ad3",  # 24 losses, 10274 cells
    (
        "every way",
        True,
        False,
    ): "b2b40af0b86c619f75f4a4103b716260ae1a6ee4f808a8028ccb1d05c4aae926",  # 70 losses, 10274 cells
    (
        "every way",
        True,
        True,
    ): "db13080bfd0ae5483dc5cdce3679ff37f2a21536bcd1ea767f53a23a3f33e08a",  # 24 losses, 10274 cells
}


@pytest.fixture(scope="module")
def datasets() -> dict[str, Dataset]:
    return {"published": load_evidence(), "every way": written_every_way()}


def digest(text: str, losses: object, cells: int) -> str:
    body = text + "\n".join(map(str, losses)) + f"\n{cells}"  # type: ignore[call-overload]
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(("name", "classic", "notes"), sorted(DIGESTS))
def test_records_file_unchanged(
    datasets: dict[str, Dataset], name: str, classic: bool, notes: bool
) -> None:
    text, losses, cells = records_csv(datasets[name], classic=classic, include_notes=notes)
    assert digest(text, losses, cells) == DIGESTS[(name, classic, notes)]


@pytest.mark.parametrize(("name", "classic", "notes"), sorted(DIGESTS))
def test_frame_and_text_agree(
    datasets: dict[str, Dataset], name: str, classic: bool, notes: bool
) -> None:
    frame, losses, cells = export_records(datasets[name], classic=classic, include_notes=notes)
    ds = datasets[name]
    text, losses2, cells2 = records_csv(
        ds, classic=classic, include_notes=notes, text_frames=ds.to_text_frames()
    )
    assert frame.to_csv(index=False) == text
    assert (losses, cells) == (losses2, cells2)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["a", "b", "c", "d", "not_a_column"]),
            st.text(alphabet=',"\r\n \tab%s\u2028', max_size=4),
        ),
        max_size=5,
    )
)
def test_sparse_rows_are_written_as_the_csv_module_writes_them(
    rows: list[dict[str, str]],
) -> None:
    """Rows written as their own values between runs of commas are the csv module's rows
    (minimal quoting, '\\n'), whatever the order of their fields; a field outside the
    columns is left out; a value such as '%s' is written as it is."""
    columns = ["a", "b", "c", "d"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[r.get(c, "") for c in columns] for r in rows])
    assert _rows_csv(columns, rows) == buffer.getvalue()
