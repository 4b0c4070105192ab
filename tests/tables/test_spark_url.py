"""Spark source URLs (no Spark started): the master and the local catalog they name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from myotrack.errors import MyotrackError
from myotrack.interchange.sources import SourceSpec
from myotrack.tables.spark import SparkUrl, is_spark_url, local_driver_memory, parse_spark_url


def test_a_standalone_master_is_kept_whole() -> None:
    assert parse_spark_url("spark://spark-master:7077") == SparkUrl("spark://spark-master:7077")


def test_any_other_master_follows_the_scheme(tmp_path: Path) -> None:
    assert parse_spark_url("spark:local[*]") == SparkUrl("local[*]")
    assert parse_spark_url("spark:yarn") == SparkUrl("yarn")
    assert parse_spark_url(f"spark:local[2]?warehouse={tmp_path}") == SparkUrl(
        "local[2]", tmp_path.resolve()
    )


def test_a_url_without_master_or_with_an_unknown_parameter_is_an_error() -> None:
    with pytest.raises(MyotrackError, match="name the Spark master"):
        parse_spark_url("spark:")
    with pytest.raises(MyotrackError, match="unknown parameter catalog"):
        parse_spark_url("spark:local[1]?catalog=main")


def test_only_spark_urls_are_spark_sources() -> None:
    assert is_spark_url("SPARK://h:7077") and not is_spark_url("postgresql://me@h/db")
    assert SourceSpec(db="spark:local[1]", schema="registry").in_spark
    assert SourceSpec(omop="spark://h:7077", cdm_schema="cdm").in_spark
    assert not SourceSpec(db="duckdb:///x.duckdb").in_spark
    assert not SourceSpec(path=Path("examples/cohort17")).in_spark


def test_a_local_driver_takes_a_quarter_of_the_memory_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Spark's 1 GB default heap is replaced by the Java runtime's own rule (a quarter of the
    machine, at least 1 GB); a heap named in Spark's own variables is left to Spark."""
    monkeypatch.delenv("SPARK_DRIVER_MEMORY", raising=False)
    monkeypatch.delenv("PYSPARK_SUBMIT_ARGS", raising=False)
    monkeypatch.setattr(os, "sysconf", {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 6 * 2**18}.get)
    assert local_driver_memory() == "1536m"  # 6 GiB / 4
    monkeypatch.setattr(os, "sysconf", {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 2**18}.get)
    assert local_driver_memory() == "1024m"  # 1 GiB / 4, raised to the least
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--driver-memory 8g pyspark-shell")
    assert local_driver_memory() is None
    monkeypatch.delenv("PYSPARK_SUBMIT_ARGS")
    monkeypatch.setenv("SPARK_DRIVER_MEMORY", "3g")
    assert local_driver_memory() is None


def test_a_local_driver_without_a_readable_memory_is_left_to_spark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SPARK_DRIVER_MEMORY", raising=False)
    monkeypatch.delenv("PYSPARK_SUBMIT_ARGS", raising=False)

    def unreadable(name: str) -> int:
        raise ValueError(f"unrecognized configuration name {name}")

    monkeypatch.setattr(os, "sysconf", unreadable)
    assert local_driver_memory() is None
