"""The published cases prepared once per process (myotrack.evidence.lookup.corpus) give the
same lookups as preparing them for each lookup."""

from __future__ import annotations

import pandas as pd
import pytest

from myotrack.evidence import EvidenceResult, find_evidence, load_evidence, lookup, make_profile

PROFILES = [
    make_profile("SRP", ["rituximab"]),
    make_profile("HMGCR", ["prednisone", "IVIg"], age=55, sex="F", disease_years=1),
    make_profile("HMGCR", [], comorbidities=["cancer"]),
    make_profile(None, ["prednisone", "methotrexate", "rituximab"], age=30),
    make_profile("seronegative", ["IVIg"]),
]


def _same(a: EvidenceResult, b: EvidenceResult) -> None:
    assert a.matches == b.matches
    assert a.therapies == b.therapies
    assert a.safety == b.safety
    assert a.references == b.references
    pd.testing.assert_frame_equal(a.studies, b.studies)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.describe() or "empty")
def test_the_prepared_corpus_gives_the_lookup_of_a_fresh_one(profile: object) -> None:
    cached = find_evidence(profile)  # type: ignore[arg-type]
    fresh = find_evidence(profile, evidence=load_evidence())  # type: ignore[arg-type]
    assert any(t.engine for t in cached.therapies) or not cached.therapies
    _same(cached, fresh)


def test_the_corpus_is_built_once_and_again_when_the_data_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = lookup.corpus()
    assert lookup.corpus() is first
    version = lookup.data_version()
    assert version == first.version and any(p.endswith("patients.csv") for p, _, _ in version)
    changed = (*version, ("new_paper/patients.csv", 1, 1))
    monkeypatch.setattr(lookup, "data_version", lambda: changed)
    rebuilt = lookup.corpus()
    assert rebuilt is not first and rebuilt.version == changed
    assert rebuilt.dataset.patient_ids == first.dataset.patient_ids


def test_the_data_version_lists_the_files_as_pathlib_does() -> None:
    """Every data file under the evidence folder, in the order of sorted(rglob('*'))."""
    expected = tuple(
        (str(p.relative_to(lookup.DATA_DIR)), st.st_size, st.st_mtime_ns)
        for p in sorted(lookup.DATA_DIR.rglob("*"))
        if p.is_file() and (st := p.stat())
    )
    assert lookup.data_version() == expected
    assert any("/" in path for path, _, _ in expected)  # files in folders are listed too
