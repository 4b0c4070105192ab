"""Benchmark of reading the contract from a database against reading the same CSV folder.

    python benchmarks/sources.py [--sizes 1000,10000] [--visits 20] [--seed 1] [--repeat 3]
    MYOTRACK_TEST_POSTGRES_URL=postgresql://... python benchmarks/sources.py   # adds PostgreSQL

For each size, a synthetic cohort (``myotrack.synth.generate``) is written beforehand (not
timed) as a CSV folder, into a DuckDB file and, with ``MYOTRACK_TEST_POSTGRES_URL``, into a
PostgreSQL schema (``myotrack.tables.database.write_database``). Then each is read into a
validated Dataset: ``read_source`` (the reference), ``read_database`` on DuckDB and on
PostgreSQL. The table gives the shortest of ``--repeat`` runs and the ratio to the CSV folder
in the same run; every reading is checked to give the same tables as the folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd


def _best(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _same(a: Any, b: Any) -> bool:
    """The same rows (a database has no order of its own: compared sorted)."""
    for name in ("patients", "visits", "strength", "treatments", "events", "observations"):
        x, y = a.to_text_frames()[name], b.to_text_frames()[name]
        key = list(x.columns)
        x = x.sort_values(key).reset_index(drop=True)
        y = y.sort_values(key).reset_index(drop=True)
        if not x.equals(y):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--visits", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    import ibis

    from myotrack.synth import generate
    from myotrack.tables import read_source, write_csv_folder
    from myotrack.tables.database import DatabaseSource, connect, read_database, write_database

    pg_url = os.environ.get("MYOTRACK_TEST_POSTGRES_URL", "").strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            ds = generate(size, args.seed, args.visits)
            folder = write_csv_folder(ds, Path(tmp) / f"csv{size}")
            db = Path(tmp) / f"cohort{size}.duckdb"
            con = ibis.connect(f"duckdb:///{db}")
            write_database(ds, con)
            con.disconnect()
            readers: dict[str, Callable[[], Any]] = {
                "CSV folder (reference)": lambda f=folder: read_source(f),
                "DuckDB file": lambda d=db: read_database(
                    DatabaseSource(connect(f"duckdb:///{d}"), None, "bench")
                ),
            }
            schema = None
            if pg_url:
                schema = f"bench_{uuid.uuid4().hex[:8]}"
                pg = ibis.connect(pg_url)
                pg.raw_sql(f"CREATE SCHEMA {schema}")
                write_database(ds, pg, schema)
                readers["PostgreSQL schema"] = lambda s=schema: read_database(
                    DatabaseSource(connect(pg_url), s, "bench")
                )
            try:
                ref_s, ref = _best(args.repeat, readers["CSV folder (reference)"])
                for label, fn in readers.items():
                    secs, got = (ref_s, ref) if label.startswith("CSV") else _best(args.repeat, fn)
                    rows.append(
                        {
                            "patients": size,
                            "visits": len(ds.visits),
                            "source": label,
                            "read (s)": f"{secs:.2f}",
                            "x CSV": f"{secs / ref_s:.2f}",
                            "same tables": "yes" if _same(got, ref) else "NO",
                        }
                    )
            finally:
                if schema:
                    ibis.connect(pg_url).raw_sql(f"DROP SCHEMA {schema} CASCADE")
    print(pd.DataFrame(rows).to_string(index=False))
    return 0 if all(r["same tables"] == "yes" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
