"""Benchmark of reading and validating a CSV folder, and of ``myotrack outcomes`` end to end.

    python benchmarks/reading.py [--sizes 10000,100000] [--seed 1] [--data-dir DIR]

For each size, a synthetic cohort (``myotrack synth``: follow-up as in seed 004, about 28
visits a patient) is written as a CSV folder beforehand (not timed). Each measurement then runs
in a fresh child process, so that its peak memory (``VmHWM``: Python, pandas, Arrow and
DuckDB alike) is its own:

- *myotrack read*: ``myotrack.tables.read_source`` (read, validate, type: the Dataset);
- *DuckDB read*: DuckDB's ``read_csv`` of every file into a DuckDB table;
- *Arrow read*: ``pyarrow.csv.read_csv`` of every file (types inferred);
- *myotrack outcomes*: the ``myotrack outcomes FOLDER --format csv`` command (every criterion),
  output kept in memory, imports included (no progress bars: stderr is not a terminal). The
  benchmark's plans are kept in a folder of its own (``MYOTRACK_CACHE_DIR``, removed after):
  *first run* is one run with that folder emptied (the plan compiled beside the read, as the
  first run of a new version does); the others read the plan the first kept, as every later
  run does;
- *DuckDB read + query*: DuckDB's ``read_csv`` of the same files and the hand-written query of
  ``benchmarks/references.py`` (relapse and favourable recovery at 6 months; the grade's whole
  number and an empty CK bound written into the SQL, as the synthetic files need), whose
  answers are checked against the outcomes' (``agree``); imports included.

Times are the shortest of ``--repeat`` runs (the machine may be shared; other load only adds
time); the ratios compare figures of the same run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGET_OUTCOMES_VS_DUCKDB = 3.0  # myotrack outcomes / (DuckDB read + hand-written query)
TARGET_PEAK_MB = 1500.0  # myotrack outcomes at 100,000 patients
FILES = ("patients", "visits", "strength", "treatments", "events")


def _rss_mb() -> float:
    from engine import _rss_mb as peak  # the process's own peak (not ru_maxrss: see there)

    return peak()


def _duckdb():  # type: ignore[no-untyped-def]
    import duckdb

    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    con.execute("SET enable_progress_bar = false")
    return con


def _duckdb_tables(con, folder: Path, derived: bool) -> int:  # type: ignore[no-untyped-def]
    rows = 0
    for name in FILES:
        extra = ""
        if derived and name == "strength":
            extra = ", CAST(regexp_extract(CAST(grade AS VARCHAR), '^([0-5])', 1) AS INTEGER) AS grade_whole"
        if derived and name == "visits":
            extra = ", '' AS ck_bound"
        con.execute(f"CREATE TABLE {name} AS SELECT *{extra} FROM read_csv('{folder / name}.csv')")
        rows += con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
    return rows


def measure(what: str, folder: Path) -> dict[str, object]:
    """One measurement in this (fresh) process."""
    result: dict[str, object] = {}
    # the reads are timed without their imports; the end-to-end runs with them
    if what == "myotrack_read":
        from myotrack.tables import read_source

        start = time.perf_counter()
        ds = read_source(folder)
        result["rows"] = sum(len(ds.table(n)) for n in FILES)
    elif what == "duckdb_read":
        import duckdb  # noqa: F401

        start = time.perf_counter()
        result["rows"] = _duckdb_tables(_duckdb(), folder, derived=False)
    elif what == "arrow_read":
        import pyarrow.csv as pcsv

        start = time.perf_counter()
        result["rows"] = sum(pcsv.read_csv(folder / f"{n}.csv").num_rows for n in FILES)
    elif what == "myotrack_outcomes":
        start = time.perf_counter()
        from myotrack.cli import app

        buffer = io.StringIO()
        with redirect_stdout(buffer):
            app(["outcomes", str(folder), "--format", "csv"], standalone_mode=False)
        result["outcomes"] = buffer.getvalue()
    elif what == "duckdb_query":
        start = time.perf_counter()
        from references import duckdb_sql

        con = _duckdb()
        _duckdb_tables(con, folder, derived=True)
        result["reference"] = con.execute(duckdb_sql()).df().to_json(orient="records")
    else:
        raise SystemExit(f"unknown measurement {what}")
    result["seconds"] = time.perf_counter() - start
    result["peak_mb"] = _rss_mb()
    return result


def _child(what: str, folder: Path) -> dict[str, object]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", what, str(folder), "--result", out.name],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(f"the measurement {what} of {folder} failed (exit {proc.returncode})")
        loaded: dict[str, object] = json.loads(Path(out.name).read_text())
        return loaded


def _best(what: str, folder: Path, repeat: int) -> dict[str, object]:
    runs = [_child(what, folder) for _ in range(repeat)]
    best = min(runs, key=lambda r: float(r["seconds"]))  # type: ignore[arg-type]
    best["peak_mb"] = max(float(r["peak_mb"]) for r in runs)  # type: ignore[arg-type]
    return best


def _agree(outcomes: str, reference: str) -> int:
    """Patients whose relapse or favourable_recovery_6m differ between the two."""
    import pandas as pd

    from references import CRITERIA

    e = pd.read_csv(io.StringIO(outcomes), dtype=str).set_index("patient_id")[list(CRITERIA)]
    b = pd.read_json(io.StringIO(reference), orient="records", dtype=str)
    b = b.set_index("patient_id").loc[e.index, list(CRITERIA)]
    return int((e.to_numpy() != b.to_numpy()).any(axis=1).sum())


def prepare(size: int, seed: int, root: Path) -> Path:
    """Write the cohort as a CSV folder (kept between runs of the same root)."""
    from myotrack.synth import generate
    from myotrack.tables import write_csv_folder

    folder = root / f"synth-{size}-seed{seed}"
    done = folder / ".complete"
    if not done.exists():
        start = time.perf_counter()
        write_csv_folder(generate(size, seed), folder)
        done.write_text("ok\n")
        print(f"  {size:,} patients written in {time.perf_counter() - start:.0f} s (not timed)")
    return folder


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="10000,100000", help="patient counts, comma-separated")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", help="where the CSV folders are written and kept")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each measurement (shortest)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        what, folder = args.child
        Path(args.result).write_text(json.dumps(measure(what, Path(folder))))
        return 0

    import duckdb
    import pandas as pd
    import pyarrow as pa

    print(
        f"myotrack reading benchmark - {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}, pyarrow {pa.__version__}, "
        f"pandas {pd.__version__}"
    )
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    root = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="myotrack-"))
    root.mkdir(parents=True, exist_ok=True)
    # the children's compiled plans: in a folder of this run's own (see the module)
    plans = Path(tempfile.mkdtemp(prefix="myotrack-plans-"))
    os.environ["MYOTRACK_CACHE_DIR"] = str(plans)
    os.environ.pop("MYOTRACK_NO_CACHE", None)
    results = []
    try:
        for size in (int(s) for s in args.sizes.split(",") if s.strip()):
            folder = prepare(size, args.seed, root)
            shutil.rmtree(plans, ignore_errors=True)
            first = _child("myotrack_outcomes", folder)  # compiles and keeps the plan
            r = {
                w: _best(w, folder, args.repeat)
                for w in (
                    "arrow_read",
                    "duckdb_read",
                    "myotrack_read",
                    "duckdb_query",
                    "myotrack_outcomes",
                )
            }
            r["myotrack_outcomes_first"] = first
            kept = r["myotrack_outcomes"]  # peak memory: of every run, the first included
            kept["peak_mb"] = max(float(kept["peak_mb"]), float(first["peak_mb"]))
            r["size"] = {"patients": size, "rows": r["myotrack_read"]["rows"]}
            r["mismatch"] = {
                "n": _agree(
                    str(r["myotrack_outcomes"]["outcomes"]), str(r["duckdb_query"]["reference"])
                )
            }
            results.append(r)
    finally:
        shutil.rmtree(plans, ignore_errors=True)
        if not args.data_dir:
            shutil.rmtree(root, ignore_errors=True)

    def s(r: dict, w: str) -> float:  # type: ignore[type-arg]
        return float(r[w]["seconds"])

    def mb(r: dict, w: str) -> str:  # type: ignore[type-arg]
        return f"{float(r[w]['peak_mb']):.0f}"

    print()
    print("reading (seconds; peak RSS MB):")
    _table(
        (
            "patients",
            "rows",
            "Arrow s",
            "DuckDB s",
            "myotrack s",
            "myotrack/DuckDB",
            "myotrack/Arrow",
            "Arrow MB",
            "DuckDB MB",
            "myotrack MB",
        ),
        [
            (
                f"{r['size']['patients']:,}",
                f"{r['size']['rows']:,}",
                f"{s(r, 'arrow_read'):.2f}",
                f"{s(r, 'duckdb_read'):.2f}",
                f"{s(r, 'myotrack_read'):.2f}",
                f"{s(r, 'myotrack_read') / s(r, 'duckdb_read'):.1f}",
                f"{s(r, 'myotrack_read') / s(r, 'arrow_read'):.1f}",
                mb(r, "arrow_read"),
                mb(r, "duckdb_read"),
                mb(r, "myotrack_read"),
            )
            for r in results
        ],
    )
    print()
    print("end to end: myotrack outcomes (every criterion) vs DuckDB read + hand-written query")
    print("(relapse and favourable recovery at 6 months); first run: the plan compiled, as the")
    print("first run of a version does; outcomes: the plan kept by it, as every later run:")
    _table(
        (
            "patients",
            "DuckDB+query s",
            "first run s",
            "outcomes s",
            "outcomes/(DuckDB+query)",
            "DuckDB+query MB",
            "outcomes MB",
            "agree",
        ),
        [
            (
                f"{r['size']['patients']:,}",
                f"{s(r, 'duckdb_query'):.2f}",
                f"{s(r, 'myotrack_outcomes_first'):.2f}",
                f"{s(r, 'myotrack_outcomes'):.2f}",
                f"{s(r, 'myotrack_outcomes') / s(r, 'duckdb_query'):.1f}",
                mb(r, "duckdb_query"),
                mb(r, "myotrack_outcomes"),
                "yes" if r["mismatch"]["n"] == 0 else f"NO ({r['mismatch']['n']} patients)",
            )
            for r in results
        ],
    )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    big = [r for r in results if r["size"]["patients"] >= 100_000]
    if big:
        r = big[-1]
        ratio = s(r, "myotrack_outcomes") / s(r, "duckdb_query")
        peak = float(r["myotrack_outcomes"]["peak_mb"])
        print()
        print(f"targets at {r['size']['patients']:,} patients:")
        print(
            f"  outcomes within {TARGET_OUTCOMES_VS_DUCKDB:g}x of DuckDB read + query: "
            f"{ratio:.1f}x -> {'met' if ratio <= TARGET_OUTCOMES_VS_DUCKDB else 'MISSED'}"
        )
        print(
            f"  outcomes peak RSS < {TARGET_PEAK_MB:.0f} MB: {peak:.0f} MB -> "
            f"{'met' if peak < TARGET_PEAK_MB else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
