"""Round trips on generated datasets (hypothesis): contract -> REDCap -> contract and
contract -> FHIR -> contract keep every value the target holds; every other one is listed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from myotrack.interchange.compare import compare
from myotrack.interchange.fhir import read_fhir, write_fhir
from myotrack.interchange.redcap import (
    project_dictionary,
    read_redcap,
    write_dictionary,
    write_records,
)
from myotrack.synth import generate
from myotrack.tables import Dataset

TEXT = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"
        ),
        min_size=1,
        max_size=24,
    )
    .map(str.strip)
    .filter(bool)
)
GRADES = st.sampled_from(
    ["5", "4+", "4-", "3", "1-2", "2-4", "T", "trace", "4 +", "1–2", "4+/5", "0", "5-"]
)


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    """A synthetic cohort, with free texts and grades written in every way the contract takes."""
    ds = generate(draw(st.integers(1, 6)), draw(st.integers(0, 10**6)))
    tf = ds.to_text_frames()
    pts, tx, st_ = tf["patients"].copy(), tf["treatments"].copy(), tf["strength"].copy()
    pts["site"] = [draw(TEXT) for _ in range(len(pts))]
    pts["index_event"] = [draw(st.one_of(st.just(""), TEXT)) for _ in range(len(pts))]
    if len(tx):
        tx["schedule"] = [draw(TEXT) for _ in range(len(tx))]
        tx["note"] = [draw(st.one_of(st.just(""), TEXT)) for _ in range(len(tx))]
    if len(st_):
        st_["grade"] = [draw(GRADES) for _ in range(len(st_))]
    return Dataset.from_frames(
        name="generated", **{**tf, "patients": pts, "treatments": tx, "strength": st_}
    )


SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(datasets(), st.booleans(), st.booleans())
def test_redcap_round_trip(ds: Dataset, classic: bool, notes: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = write_dictionary(project_dictionary(), Path(tmp) / "dict.csv")
        result = write_records(ds, Path(tmp) / "records.csv", classic=classic, include_notes=notes)
        back = read_redcap(d, Path(tmp) / "records.csv")
    rt = compare(ds, back)
    assert rt.uncovered(result.losses) == []
    assert {x.reason for x in result.losses} <= {
        "a grade written the standard way",
        "free text is not exported de-identified (--include-notes writes it)",
    }


@SETTINGS
@given(datasets(), st.booleans(), st.booleans())
def test_fhir_round_trip(ds: Dataset, ndjson: bool, notes: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = write_fhir(ds, tmp, ndjson=ndjson, include_notes=notes)
        back = read_fhir(tmp)
    rt = compare(ds, back)
    assert rt.uncovered(result.losses) == []
    if notes:
        assert rt.differences == () and result.losses == ()


def test_cells_compared_on_a_generated_cohort(tmp_path: Path) -> None:
    """The numbers of the note: one 50-patient synthetic cohort through both formats."""
    ds = generate(50, 7)
    write_dictionary(project_dictionary(), tmp_path / "dict.csv")
    write_records(ds, tmp_path / "records.csv", include_notes=True)
    redcap = compare(ds, read_redcap(tmp_path / "dict.csv", tmp_path / "records.csv"))
    write_fhir(ds, tmp_path / "fhir", include_notes=True)
    fhir = compare(ds, read_fhir(tmp_path / "fhir"))
    print(f"REDCap, synthetic 50: {redcap.summary()}")
    print(f"FHIR, synthetic 50: {fhir.summary()}")
    assert redcap.differences == () and fhir.differences == ()
    assert (
        redcap.cells
        == fhir.cells
        == sum(f.size for f in ds.to_text_frames().values() if isinstance(f, pd.DataFrame))
    )
