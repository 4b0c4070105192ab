"""Apache Spark sessions: for the criteria (``--backend spark``) and for sources that live in
a Spark catalog (``--db spark:...``, ``--omop spark:...``).

A Spark source is named by a URL: ``spark://HOST:PORT`` (a standalone cluster's master) or
``spark:MASTER`` (any master Spark takes: ``spark:local[*]``, ``spark:yarn``,
``spark:k8s://...``), with the tables read by name through the session's catalog
(``--schema`` / ``--cdm-schema`` is the Spark database). A cluster brings its own catalog
(its Hive metastore or Unity Catalog, from its configuration). ``?warehouse=DIR`` gives a
local session a catalog that lasts: a Hive metastore (embedded Derby) and the tables' files
in ``DIR``, so that tables written by one session are found by name in the next.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from myotrack.errors import MyotrackError

SCHEME = "spark:"


def is_spark_url(url: str) -> bool:
    return url.lower().startswith(SCHEME)


@dataclass(frozen=True)
class SparkUrl:
    """A Spark source URL read: the master and, for a local catalog, its warehouse folder."""

    master: str
    warehouse: Path | None = None


def parse_spark_url(url: str) -> SparkUrl:
    """``spark://HOST:PORT`` or ``spark:MASTER``, optionally ``?warehouse=DIR``."""
    if not is_spark_url(url):
        raise MyotrackError(f"not a Spark URL: {url!r} (spark://HOST:PORT or spark:MASTER)")
    body, _, query = url.partition("?")
    master = body if body.lower().startswith("spark://") else body[len(SCHEME) :]
    if not master:
        raise MyotrackError(
            f"{url!r}: name the Spark master (spark://HOST:PORT, spark:local[*], spark:yarn)"
        )
    params = urllib.parse.parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(params) - {"warehouse"})
    if unknown:
        raise MyotrackError(f"{url!r}: unknown parameter {', '.join(unknown)} (known: warehouse)")
    warehouse = params.get("warehouse", [""])[-1]
    return SparkUrl(master, Path(warehouse).resolve() if warehouse else None)


#: The memory page of a local session's tasks (Spark's ``spark.buffer.pageSize``).
LOCAL_PAGE_SIZE = "2m"


def local_driver_memory() -> str | None:
    """The heap of a local session's driver: a quarter of this machine's memory (the Java
    runtime's own default for a heap, which Spark replaces by 1 GB), at least 1 GB.

    ``None`` (Spark decides) when ``SPARK_DRIVER_MEMORY`` or ``--driver-memory`` in
    ``PYSPARK_SUBMIT_ARGS`` names one, or when the machine's memory cannot be read.
    """
    if os.environ.get("SPARK_DRIVER_MEMORY") or "--driver-memory" in os.environ.get(
        "PYSPARK_SUBMIT_ARGS", ""
    ):
        return None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # no sysconf (Windows) or no such name
        return None
    return f"{max(1024, total // 4 // 2**20)}m"


def spark_session(
    master: str = "local[*]", app_name: str = "myotrack", warehouse: Path | None = None
) -> Any:
    """A Spark session: no web UI, UTC, nothing downloaded.

    ``master``: ``local[*]`` (every core of this machine) or a cluster's master URL. A local
    session binds to 127.0.0.1, gives its tasks memory pages of :data:`LOCAL_PAGE_SIZE` and its
    driver the heap :func:`local_driver_memory` (both read when the Java runtime starts: the
    first session of the process decides them).
    ``warehouse``: a folder holding a lasting local catalog (a Hive metastore and the tables'
    files; see the module docstring). Needs pyspark (the ``spark`` extra) and a Java runtime.
    A process has one Spark session: a later call returns the running one.
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName(app_name)
    if master.startswith("local"):
        # one machine: no network interface looked up, a shuffle partition per core or so
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            # small memory pages: the criteria's queries run dozens of aggregations and sorts
            # in one task (the tables are all partitioned by patient), and each holds at least
            # a page; with the pages Spark sizes from the heap (up to 64 MB) a task ran out of
            # memory for a 2,000-patient cohort ('No enough memory for aggregation')
            .config("spark.buffer.pageSize", LOCAL_PAGE_SIZE)
        )
        memory = local_driver_memory()
        if memory is not None:
            builder = builder.config("spark.driver.memory", memory)
    if warehouse is not None:
        warehouse.mkdir(parents=True, exist_ok=True)
        metastore = warehouse / "metastore_db"
        builder = (
            builder.enableHiveSupport()
            .config("spark.sql.warehouse.dir", str(warehouse))
            .config(
                "spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={metastore};create=true",
            )
            # Derby's log in the warehouse, not in the working directory
            .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
        )
    return (
        builder.config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.jars.packages", "")
        .getOrCreate()
    )


def connect_spark(url: str) -> Any:
    """An Ibis connection to the Spark session a Spark source URL names."""
    import ibis

    parsed = parse_spark_url(url)
    return ibis.pyspark.connect(spark_session(parsed.master, warehouse=parsed.warehouse))
