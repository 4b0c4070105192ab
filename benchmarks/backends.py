"""Benchmark of the criteria engine on each backend: DuckDB, PostgreSQL and Spark.

    python benchmarks/backends.py [--sizes 10000,100000] [--backends duckdb,postgres,spark]
        [--postgres-url URL] [--spark-master local[*]] [--spark-driver-memory 4g]
        [--data-dir DIR] [--repeat 2] [--no-all] [--memory-limit 4GB]

For each size a synthetic cohort (``myotrack.synth.generate``, 50 visits per patient) is
written as a CSV folder beforehand (not timed). Then, per backend, a fresh child process:

1. reads the folder (``read_source``, not in the table: the same for every backend);
2. *load*: hands the tables to the backend (DuckDB: the engine's Arrow tables; PostgreSQL:
   ``COPY`` into temporary tables; Spark: DataFrames from Arrow);
3. *all criteria*: every criterion on the loaded tables (derived tables stored, results
   fetched and converted; on DuckDB ``evaluate``, which includes the load);
4. *rel+rec*: relapse and favourable recovery at 6 months alone, the engine against one
   hand-written query of the same two criteria on the same backend and the same loaded
   tables (``references.backend_sql``), and whether the two agree for every patient. On
   DuckDB both work within the same memory: the engine's ceiling (700 MB, or
   ``--memory-limit``, which sets ``MYOTRACK_MEMORY_LIMIT``);
5. *peak RSS*: the child's ``ru_maxrss`` (the Python process: for PostgreSQL the server's
   memory is not in it, for Spark the JVM's is not).

Times are the shortest of ``--repeat`` runs. The yardstick (NumPy sorting 5 million doubles)
is printed at the start and the end: figures from two runs compare only next to it.

``--no-all`` skips step 3 (every criterion), for a sweep of sizes that measures how the
cost grows with the patients: a second table gives, per backend and size, the engine's
rel+rec time per 1,000 patients and its ratio to the smallest size's (1.00 for a cost that
grows linearly; below 1 while a fixed cost per query still dominates).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from engine import _fmt_s  # noqa: E402  (benchmarks/engine.py, next to this file)

TARGET = {"duckdb": 1.5, "postgres": 2.0, "pyspark": 2.0}  # rel+rec engine / hand-written


def _connect(backend: str, url: str, master: str):  # type: ignore[no-untyped-def]
    import ibis

    if backend == "postgres":
        return ibis.connect(url)
    if backend == "spark":
        from myotrack.criteria import spark_session

        return ibis.pyspark.connect(spark_session(master))
    return None


def child(
    path: str, backend: str, url: str, master: str, repeat: int, with_all: bool = True
) -> dict[str, object]:
    import numpy as np
    import pandas as pd

    from engine import _best, _rss_mb, _timed
    from myotrack.criteria import ORDER, Params, evaluate
    from myotrack.criteria.backends import drop, upload
    from myotrack.criteria.engine import _run, memory_limit, plan
    from myotrack.tables import read_source
    from references import CRITERIA, backend_sql, duckdb_reference

    ds, _ = _timed(read_source, path)
    n = len(ds.patients)
    ids = ds.patients["patient_id"].to_numpy(dtype=object)
    keys = pd.Series(np.arange(n))
    con = _connect(backend, url, master)
    out: dict[str, object] = {"backend": backend, "patients": n, "visits": len(ds.visits)}
    if con is None:  # the default engine: in-process DuckDB
        from myotrack.criteria.prepare import arrow_tables

        pl = plan(tuple(ORDER), Params())
        evaluate(ds.subset(ds.patient_ids[:10]))  # plans compiled once, not timed
        evaluate(ds.subset(ds.patient_ids[:10]), criteria=CRITERIA)
        _, out["load_s"] = _best(repeat, arrow_tables, ds, pl.columns)
        if with_all:
            _, out["all_s"] = _best(repeat, evaluate, ds)
        engine, out["rr_s"] = _best(repeat, evaluate, ds, criteria=CRITERIA)
        limit = memory_limit()
        out["memory_limit"] = limit
        ref, out["ref_s"] = _best(repeat, duckdb_reference, ds, None, limit)
    else:
        name = con.name
        pl_all = plan(tuple(ORDER), Params(), name)
        pl_rr = plan(CRITERIA, Params(), name)
        loads = []
        for _ in range(repeat):
            (tables, created), t = _timed(upload, con, ds, None)
            loads.append(t)
            if len(loads) < repeat:
                drop(con, created)
        out["load_s"] = min(loads)
        try:
            if with_all:
                _, out["all_s"] = _best(repeat, _run, con, pl_all, tables, keys, ids)
            engine, out["rr_s"] = _best(repeat, _run, con, pl_rr, tables, keys, ids)
            names = {t: tables[t].get_name() for t in tables}
            sql = backend_sql(name, names)
            ref_t, out["ref_s"] = _best(repeat, lambda: con.sql(sql).to_pandas())
            ref = ref_t.assign(patient_id=ids[ref_t["patient_id"].to_numpy()])
        finally:
            drop(con, created)
    out["rss_peak_mb"] = _rss_mb()
    e = engine.frame.set_index("patient_id")[list(CRITERIA)]
    r = ref.set_index("patient_id").loc[e.index, list(CRITERIA)]
    out["mismatch"] = int((e.to_numpy() != r.to_numpy()).any(axis=1).sum())
    return out


def _growth(rows: list[dict]) -> None:  # type: ignore[type-arg]
    """Per backend and size: rel+rec seconds per 1,000 patients, and against the smallest."""
    by: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for r in rows:
        by.setdefault(r["backend"], []).append(r)
    lines = []
    for backend, rs in by.items():
        rs = sorted(rs, key=lambda r: r["patients"])
        if len(rs) < 2:
            continue
        base = rs[0]["rr_s"] / rs[0]["patients"]
        for r in rs:
            per = r["rr_s"] / r["patients"]
            lines.append(
                (
                    backend,
                    f"{r['patients']:,}",
                    f"{r['visits']:,}",
                    _fmt_s(r["rr_s"]),
                    f"{per * 1000:.2f}",
                    f"{per / base:.2f}",
                    f"{r['wall_s']:.0f}",
                )
            )
    if not lines:
        return
    head = ("backend", "patients", "visits", "rel+rec s", "s per 1,000", "vs smallest", "wall s")
    widths = [max([len(h), *(len(t[i]) for t in lines)]) for i, h in enumerate(head)]
    print()
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for t in lines:
        print("  ".join(c.rjust(w) for c, w in zip(t, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--backends", default="duckdb,postgres,spark")
    ap.add_argument("--postgres-url", default=os.environ.get("MYOTRACK_TEST_POSTGRES_URL", ""))
    ap.add_argument("--spark-master", default="local[*]")
    ap.add_argument("--data-dir", help="where the CSV folders are written and kept")
    ap.add_argument("--visits", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument(
        "--spark-driver-memory", help="the Spark driver's heap (e.g. 8g; Spark's default: 1g)"
    )
    ap.add_argument("--no-all", action="store_true", help="skip every-criterion timing")
    ap.add_argument(
        "--memory-limit",
        help="DuckDB's working memory for the engine and the hand-written query (e.g. 4GB; "
        "the engine's default: 700MB)",
    )
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        path, backend = args.child
        if args.spark_driver_memory:  # read by pyspark when it starts the JVM
            os.environ["PYSPARK_SUBMIT_ARGS"] = (
                f"--driver-memory {args.spark_driver_memory} pyspark-shell"
            )
        r = child(path, backend, args.postgres_url, args.spark_master, args.repeat, not args.no_all)
        print(json.dumps(r))
        return 0

    from engine import machine_speed, prepare

    if args.memory_limit:  # read by the engine in each child (MYOTRACK_MEMORY_LIMIT)
        os.environ["MYOTRACK_MEMORY_LIMIT"] = args.memory_limit

    root = Path(args.data_dir or tempfile.mkdtemp(prefix="myotrack-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    speed = machine_speed()
    rows = []
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        folder, _, _ = prepare(size, args.visits, args.seed, root)
        for backend in (b.strip() for b in args.backends.split(",") if b.strip()):
            if backend == "postgres" and not args.postgres_url:
                print(f"  {backend}: skipped (no --postgres-url)")
                continue
            start = time.perf_counter()
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(folder),
                    backend,
                    "--postgres-url",
                    args.postgres_url,
                    "--spark-master",
                    args.spark_master,
                    "--repeat",
                    str(args.repeat),
                    *(["--no-all"] if args.no_all else []),
                    *(
                        ["--spark-driver-memory", args.spark_driver_memory]
                        if args.spark_driver_memory
                        else []
                    ),
                ],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                print(proc.stderr[-3000:], file=sys.stderr)
                print(f"  {backend} at {size:,} patients failed (exit {proc.returncode})")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            r["wall_s"] = time.perf_counter() - start
            rows.append(r)
            print(
                f"  {backend} at {size:,} patients: rel+rec {r['rr_s']:.2f} s, hand-written "
                f"{r['ref_s']:.2f} s, wall {r['wall_s']:.0f} s"
                + (f", both within {r['memory_limit']}" if "memory_limit" in r else ""),
                flush=True,
            )
    head: tuple[str, ...] = ("backend", "patients", "load s", "all criteria s", "peak RSS MB")
    head += ("rel+rec engine s", "hand-written s", "engine/hand", "target", "agree")
    table = []
    for r in rows:
        ratio = r["rr_s"] / r["ref_s"]
        target = TARGET.get("pyspark" if r["backend"] == "spark" else r["backend"], 2.0)
        table.append(
            (
                r["backend"],
                f"{r['patients']:,}",
                _fmt_s(r["load_s"]),
                _fmt_s(r["all_s"]) if "all_s" in r else "-",
                f"{r['rss_peak_mb']:.0f}",
                _fmt_s(r["rr_s"]),
                _fmt_s(r["ref_s"]),
                f"{ratio:.2f}",
                f"<= {target:g} {'met' if ratio <= target else 'MISSED'}",
                "yes" if r["mismatch"] == 0 else f"NO ({r['mismatch']})",
            )
        )
    widths = [max([len(h), *(len(t[i]) for t in table)]) for i, h in enumerate(head)]
    print()
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for t in table:
        print("  ".join(c.rjust(w) for c, w in zip(t, widths, strict=True)))
    _growth(rows)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"machine speed: NumPy sorted 5,000,000 random doubles in {speed:.3f} s at the start, "
        f"{machine_speed():.3f} s at the end"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
