"""Shared fixtures: the published cases shipped with myotrack, and small data builders."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from myotrack.tables import Dataset, read_source

# every plan compiled by the tests (and the processes they start) is compiled, not read from
# the user's cache; tests/criteria/test_plans.py turns the cache on in a folder of its own
os.environ["MYOTRACK_NO_CACHE"] = "1"

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


POSTGRES_URL = os.environ.get("MYOTRACK_TEST_POSTGRES_URL", "").strip()


@pytest.fixture(scope="session")
def postgres_backend() -> Iterator[object]:
    """An Ibis PostgreSQL connection to the server scripts/test.sh starts (skipped without it)."""
    if not POSTGRES_URL:
        pytest.skip("MYOTRACK_TEST_POSTGRES_URL is not set (scripts/postgres.sh start)")
    import ibis

    con = ibis.connect(POSTGRES_URL)
    yield con
    con.disconnect()


@pytest.fixture()
def pg_schema() -> Iterator[str]:
    """A new, empty schema on the test PostgreSQL server, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("MYOTRACK_TEST_POSTGRES_URL is not set (scripts/postgres.sh start)")
    import ibis

    schema = f"test_{uuid.uuid4().hex[:8]}"
    con = ibis.connect(POSTGRES_URL)
    con.raw_sql(f"create schema {schema}")
    yield schema
    con.raw_sql(f"drop schema {schema} cascade")
    con.disconnect()


@pytest.fixture(scope="session")
def spark_backend() -> Iterator[object]:
    """An Ibis Spark connection on a local session (skipped without pyspark or a Java runtime)."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime for Spark (scripts/test.sh installs one)")
    import ibis

    from myotrack.criteria import spark_session

    session = spark_session("local[2]")
    yield ibis.pyspark.connect(session)
    session.stop()
