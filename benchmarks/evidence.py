"""Benchmark of the similar-case lookup (the patient page's comparison with the published patients).

    python benchmarks/evidence.py [--patients 50] [--seed 7] [--published 40] [--repeat 3]

The published cases are prepared once beforehand, as a server does (``lookup.corpus()``; its
one-off cost is printed). Then, for the profiles of ``--patients`` synthetic patients
(``myotrack.synth.generate(N, seed, 14)``, ``profile_from_source``) and of the first
``--published`` published patients (each compared without itself), the CPU time per lookup
(``time.process_time``) of:

- *before*: the straightforward reading (``tests/evidence/lookup_reference.py``: the lookup
  as written before the published patients were prepared as plain values, pandas row by row,
  with each patient's ordered courses prepared once beforehand as it had them);
- *after*: ``myotrack.evidence.lookup.find_evidence`` with the prepared corpus.

Each is the shortest of ``--repeat`` passes over the profiles (the machine may be shared:
other load only adds time). Both give the same results (``tests/evidence/test_lookup_same.py``);
the benchmark checks the matches of every profile as well.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.evidence import lookup_reference  # noqa: E402

from myotrack.evidence import lookup  # noqa: E402
from myotrack.evidence.profile import Profile, profile_from_source  # noqa: E402
from myotrack.synth import generate  # noqa: E402


def per_call(run: Callable[[Profile], object], profiles: Sequence[Profile], repeat: int) -> float:
    """The shortest of ``repeat`` passes, in CPU seconds per lookup."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        for p in profiles:
            run(p)
        best = min(best, time.process_time() - t)
    return best / len(profiles)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--published", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    t = time.process_time()
    c = lookup.corpus()
    prepared = time.process_time() - t

    synthetic = generate(args.patients, args.seed, 14)
    groups = {
        f"synthetic ({args.patients}, seed {args.seed})": [
            profile_from_source(synthetic, pid) for pid in synthetic.patient_ids
        ],
        f"published ({args.published})": [
            profile_from_source(c.dataset, pid) for pid in c.dataset.patient_ids[: args.published]
        ],
    }

    def after(p: Profile) -> object:
        return lookup.find_evidence(p, exclude=[p.patient_id] if p.patient_id else [])

    def before(p: Profile) -> object:
        exclude = (p.patient_id,) if p.patient_id else ()
        return lookup_reference.find_evidence(p, c.dataset, c.verdicts, exclude, courses=courses)

    courses = lookup_reference.prepare_courses(c.dataset)  # kept once per process before

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"corpus prepared once: {prepared:.2f} s CPU")
    print(f"{'profiles':<28} {'before s/call':>14} {'after s/call':>13} {'ratio':>7}")
    for name, profiles in groups.items():
        for p in profiles:  # the same matches, and every lazy cache warm before timing
            assert after(p).matches == before(p).matches  # type: ignore[attr-defined]
        b = per_call(before, profiles, args.repeat)
        a = per_call(after, profiles, args.repeat)
        print(f"{name:<28} {b:>14.4f} {a:>13.4f} {b / a:>6.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
