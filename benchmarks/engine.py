"""Benchmark of the criteria engine on synthetic cohorts.

    python benchmarks/engine.py [--sizes 1000,10000,100000] [--visits 50] [--seed 1]

For each size, a synthetic cohort (``myotrack.synth.generate``) is written as a CSV folder
beforehand (not timed). Then a fresh child process, so that its peak memory is its own:

1. reads the folder (``myotrack.tables.read_source``): *read*;
2. evaluates every criterion (``myotrack.criteria.evaluate``): *all criteria*;
   *peak RSS* is the child's peak resident memory at that point (``VmHWM``, see ``_rss_mb``)
   (the whole process: Python, pandas, Arrow and DuckDB memory; tracemalloc would miss
   DuckDB's allocations and slow every allocation down);
3. evaluates relapse + favourable recovery at 6 months alone with the engine, and with the two
   references of ``benchmarks/references.py``: (b) one hand-written DuckDB query on the same
   in-memory tables, (a) a per-patient pandas loop, timed on a sample of patients and scaled
   linearly to the whole cohort (said in the table when it was);
4. checks that the three give the same values (all patients for (b), the sample for (a)).

Criterion plans are compiled once per process (cached); that one-off cost is measured on a
10-patient subset before the timed runs and printed separately. Engine and DuckDB timings are
the shortest of ``--repeat`` runs (the machine may be shared; other load only adds time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGET_ALL_S = 5.0  # 100,000 patients x ~50 visits, every criterion
TARGET_VS_DUCKDB = 2.0  # engine / hand-written DuckDB, relapse + recovery
TARGET_VS_LOOP = 50.0  # per-patient loop / engine, relapse + recovery
YARDSTICK_N = 5_000_000  # random doubles sorted by the machine-speed yardstick
YARDSTICK_REPEAT = 5


def _rss_mb() -> float:
    """This process's peak resident memory in MB, its own since it started.

    Linux: ``VmHWM`` of ``/proc/self/status``, the high-water mark of this program's memory.
    Not ``ru_maxrss``: Linux carries it over from the parent through fork and exec, so a child
    of a parent that holds gigabytes (a cohort it has just generated) reports the parent's size.
    Elsewhere ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    # ru_maxrss is in kilobytes on Linux, bytes on macOS
    scale = 1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def _timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def machine_speed() -> float:
    """Seconds NumPy takes to sort the yardstick's random doubles, the shortest of its runs.

    A yardstick printed with the table: this machine's speed drifts by a third over a day, so
    two runs' figures compare only next to their yardsticks.
    """
    import numpy as np

    values = np.random.default_rng(0).random(YARDSTICK_N)
    return min(_timed(np.sort, values)[1] for _ in range(YARDSTICK_REPEAT))


def _best(repeat: int, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """The result and the shortest time of ``repeat`` runs (other load only adds time)."""
    runs = [_timed(fn, *args, **kwargs) for _ in range(repeat)]
    return runs[-1][0], min(t for _, t in runs)


def child(path: str, loop_sample: int, repeat: int) -> dict[str, object]:
    """Measure one cohort (runs in its own process)."""
    from myotrack.criteria import evaluate
    from myotrack.tables import read_source
    from references import CRITERIA, duckdb_reference, loop_reference

    rss_start = _rss_mb()
    ds, read_s = _timed(read_source, path)
    tiny = ds.subset(ds.patient_ids[:10])
    _, plan_all_s = _timed(evaluate, tiny)
    _, plan_rr_s = _timed(evaluate, tiny, criteria=CRITERIA)
    _, all_s = _best(repeat, evaluate, ds)
    rss_peak = _rss_mb()

    engine, engine_s = _best(repeat, evaluate, ds, criteria=CRITERIA)
    ref_b, duck_s = _best(repeat, duckdb_reference, ds)
    ids = ds.patient_ids
    sample = ids if len(ids) <= loop_sample else ids[:loop_sample]
    sub = ds.subset(sample)
    ref_a, loop_sample_s = _timed(loop_reference, sub)

    e = engine.frame.set_index("patient_id")[list(CRITERIA)]
    b = ref_b.set_index("patient_id").loc[e.index, list(CRITERIA)]
    a = ref_a.set_index("patient_id")[list(CRITERIA)]
    return {
        "patients": len(ids),
        "visits": len(ds.visits),
        "read_s": read_s,
        "plan_all_s": plan_all_s,
        "plan_rr_s": plan_rr_s,
        "all_s": all_s,
        "rss_start_mb": rss_start,
        "rss_peak_mb": rss_peak,
        "engine_s": engine_s,
        "duckdb_s": duck_s,
        "loop_sample_s": loop_sample_s,
        "loop_sample_n": len(sample),
        "loop_s": loop_sample_s * len(ids) / len(sample),
        "mismatch_b": int((e.to_numpy() != b.to_numpy()).any(axis=1).sum()),
        "mismatch_a": int((e.loc[a.index].to_numpy() != a.to_numpy()).any(axis=1).sum()),
        "relapse_yes": int((e["relapse"] == "yes").sum()),
        "recovery_yes": int((e["favourable_recovery_6m"] == "yes").sum()),
    }


def prepare(size: int, visits: int, seed: int, root: Path) -> tuple[Path, float, float]:
    """Write the cohort as a CSV folder (kept between runs of the same root)."""
    from myotrack.synth import generate
    from myotrack.tables import write_csv_folder

    folder = root / f"synth-{size}x{visits}-seed{seed}"
    done = folder / ".complete"
    if done.exists():
        return folder, 0.0, 0.0
    ds, gen_s = _timed(generate, size, seed, visits)
    _, write_s = _timed(write_csv_folder, ds, folder)
    done.write_text("ok\n")
    return folder, gen_s, write_s


def _fmt_s(x: float) -> str:
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="1000,10000,100000", help="patient counts, comma-separated")
    ap.add_argument("--visits", type=int, default=50, help="visits per patient (>= 14)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--loop-sample",
        type=int,
        default=2000,
        help="patients the per-patient loop is timed on (then scaled)",
    )
    ap.add_argument(
        "--data-dir",
        help="where the CSV folders are written and kept (default: a temporary folder)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each engine and DuckDB timing; the shortest is shown (default 3)",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.child, args.loop_sample, args.repeat)))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    root = (
        Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="myotrack-bench-"))
    )
    root.mkdir(parents=True, exist_ok=True)
    import duckdb
    import ibis
    import pandas as pd

    print(
        f"myotrack engine benchmark - {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, Ibis {ibis.__version__}, "
        f"pandas {pd.__version__}"
    )
    print(
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(other processes on the machine slow every timing down)"
    )
    speed_start = machine_speed()
    results = []
    try:
        for size in sizes:
            folder, gen_s, write_s = prepare(size, args.visits, args.seed, root)
            if gen_s:
                print(
                    f"  {size:,} patients: generated in {gen_s:.1f} s, CSV folder written in {write_s:.1f} s (not timed below)"
                )
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(folder),
                    "--loop-sample",
                    str(args.loop_sample),
                    "--repeat",
                    str(args.repeat),
                ],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                raise SystemExit(
                    f"the measurement of {size:,} patients failed (exit {proc.returncode})"
                )
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    finally:
        if not args.data_dir:
            shutil.rmtree(root, ignore_errors=True)

    head = (
        "patients",
        "visits",
        "read s",
        "all criteria s",
        "peak RSS MB",
        "rel+rec engine s",
        "(b) DuckDB s",
        "(a) loop s",
        "engine/(b)",
        "(a)/engine",
        "agree",
    )
    rows = []
    for r in results:
        loop = _fmt_s(float(r["loop_s"]))
        if r["loop_sample_n"] < r["patients"]:
            loop += "*"
        agree = (
            "yes"
            if r["mismatch_a"] == 0 and r["mismatch_b"] == 0
            else f"NO ({r['mismatch_b']} b, {r['mismatch_a']} a)"
        )
        rows.append(
            (
                f"{r['patients']:,}",
                f"{r['visits']:,}",
                _fmt_s(r["read_s"]),
                _fmt_s(r["all_s"]),
                f"{r['rss_peak_mb']:.0f}",
                _fmt_s(r["engine_s"]),
                _fmt_s(r["duckdb_s"]),
                loop,
                f"{r['engine_s'] / r['duckdb_s']:.2f}",
                f"{r['loop_s'] / r['engine_s']:.0f}",
                agree,
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    print()
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    print()
    print(
        "read: read_source of the CSV folder; all criteria: evaluate() of all 14 criteria; peak RSS:"
    )
    print(
        "  peak resident memory (VmHWM) of a fresh child process after read + all criteria (Python and imports alone:"
    )
    print(
        f"  {results[0]['rss_start_mb']:.0f} MB); rel+rec: relapse and favourable_recovery_6m alone."
    )
    sampled = [r for r in results if r["loop_sample_n"] < r["patients"]]
    if sampled:
        print(
            f"* (a) timed on the first {sampled[0]['loop_sample_n']:,} patients and scaled linearly "
            "to the cohort (the loop's cost is proportional to the number of patients)."
        )
    print(
        "plan compilation, once per process (not in the table): "
        + ", ".join(
            f"{r['plan_all_s']:.1f} s all / {r['plan_rr_s']:.1f} s rel+rec" for r in results[:1]
        )
    )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"machine speed: NumPy sorted {YARDSTICK_N:,} random doubles in {speed_start:.3f} s at the "
        f"start, {machine_speed():.3f} s at the end (shortest of {YARDSTICK_REPEAT}; compare runs with it)"
    )
    big = [r for r in results if r["patients"] >= 100_000]
    if big:
        r = big[-1]
        print()
        print(f"targets at {r['patients']:,} patients x {args.visits} visits:")
        print(
            f"  all criteria < {TARGET_ALL_S:g} s: {r['all_s']:.2f} s -> {'met' if r['all_s'] < TARGET_ALL_S else 'MISSED'}"
        )
        ratio_b = r["engine_s"] / r["duckdb_s"]
        ratio_a = r["loop_s"] / r["engine_s"]
        print(
            f"  rel+rec within {TARGET_VS_DUCKDB:g}x of (b): {ratio_b:.2f}x -> {'met' if ratio_b <= TARGET_VS_DUCKDB else 'MISSED'}"
        )
        print(
            f"  rel+rec >= {TARGET_VS_LOOP:g}x faster than (a): {ratio_a:.0f}x -> {'met' if ratio_a >= TARGET_VS_LOOP else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
