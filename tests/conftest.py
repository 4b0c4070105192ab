"""Shared fixtures: the published cases shipped with myotrack, and small data builders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from myotrack.tables import Dataset, read_source

EVIDENCE = Path(__file__).resolve().parents[1] / "src" / "myotrack" / "evidence" / "data"


def seed_folder(prefix: str) -> Path:
    """The five-table folder of one seed paper (e.g. '002')."""
    matches = sorted(p for p in EVIDENCE.iterdir() if p.is_dir() and p.name.startswith(prefix))
    assert matches, f"no evidence folder for seed {prefix}"
    return matches[0]


@pytest.fixture(scope="session")
def seed() -> object:
    def load(prefix: str) -> Dataset:
        return read_source(seed_folder(prefix))

    return load


def make(
    patients: list[dict],
    visits: list[dict] | None = None,
    strength: list[dict] | None = None,
    treatments: list[dict] | None = None,
    events: list[dict] | None = None,
) -> Dataset:
    """A validated Dataset from lists of row dicts (synthetic test data)."""
    return Dataset.from_frames(
        name="test",
        patients=pd.DataFrame(patients),
        visits=pd.DataFrame(visits) if visits else None,
        strength=pd.DataFrame(strength) if strength else None,
        treatments=pd.DataFrame(treatments) if treatments else None,
        events=pd.DataFrame(events) if events else None,
    )
