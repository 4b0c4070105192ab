"""The evidence base as a GA4GH phenopacket collection, generated on demand.

The collection is not committed: ``myotrack export published --format phenopacket -o DIR``
writes it from the curated CSV folders (the one source), one Phenopacket v2 per published
patient row and ``cohort.json``. These tests are what makes that safe: every published case
converts, parses with the official ``phenopackets`` classes, the collection reads back to the
same evidence base (and so to the same ``myotrack cases`` counts, duplicates counted once), and
two exports of the same data are identical but for their creation time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import phenopackets as pp
import pytest
from google.protobuf import json_format
from typer.testing import CliRunner

from myotrack.cli import app
from myotrack.evidence import case_counts, load_evidence
from myotrack.interchange.compare import compare
from myotrack.interchange.phenopackets import read_phenopackets, write_phenopackets

runner = CliRunner()


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("published_phenopackets")
    res = runner.invoke(app, ["export", "published", "--format", "phenopacket", "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_the_command_writes_every_published_case_and_the_cohort(collection: Path) -> None:
    ev = load_evidence()
    files = {p.stem for p in collection.glob("*.json")} - {"cohort"}
    assert files == set(ev.patient_ids)
    for path in sorted(collection.glob("*.json")):
        if path.stem == "cohort":
            continue
        packet = pp.Phenopacket()
        json_format.Parse(path.read_text(encoding="utf-8"), packet)
        assert packet.id == path.stem
        assert packet.diseases[0].term.id == "ORPHA:206569"
        assert packet.meta_data.external_references, packet.id  # every case cites its source
    cohort = pp.Cohort()
    json_format.Parse((collection / "cohort.json").read_text(encoding="utf-8"), cohort)
    assert {m.id for m in cohort.members} == set(ev.patient_ids)


def test_the_collection_reads_back_to_the_same_evidence_and_counts(collection: Path) -> None:
    ev = load_evidence()
    back = read_phenopackets(collection)
    # the de-identified default export drops free-text notes only
    assert {d.column for d in compare(ev, back).differences} <= {"note"}
    a, b = case_counts(), case_counts(back)
    assert (b.n_patients, b.n_duplicates, b.n_patients_seeds) == (
        a.n_patients,
        a.n_duplicates,
        a.n_patients_seeds,
    )
    assert b.by_therapy[["therapy", "patients"]].equals(a.by_therapy[["therapy", "patients"]])


def test_two_exports_of_the_same_data_are_identical(tmp_path: Path) -> None:
    ev = load_evidence()
    when = datetime(2026, 12, 1, tzinfo=UTC)
    one = write_phenopackets(ev, tmp_path / "a", include_notes=True, created=when)
    two = write_phenopackets(ev, tmp_path / "b", include_notes=True, created=when)
    assert [p.name for p in one.files] == [p.name for p in two.files]
    for x, y in zip(one.files, two.files, strict=True):
        assert json.loads(x.read_text(encoding="utf-8")) == json.loads(
            y.read_text(encoding="utf-8")
        )
