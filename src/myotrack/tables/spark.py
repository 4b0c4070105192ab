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


def spark_session(
    master: str = "local[*]", app_name: str = "myotrack", warehouse: Path | None = None
) -> Any:
    """A Spark session: no web UI, UTC, nothing downloaded.

    ``master``: ``local[*]`` (every core of this machine) or a cluster's master URL.
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
        )
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
