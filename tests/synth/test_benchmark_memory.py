"""The benchmarks' peak memory is the measured process's own, not its parent's.

On Linux ``ru_maxrss`` survives fork and exec: a child started by a parent holding a large
cohort would report the parent's size (every measurement of ``benchmarks/reading.py`` once
showed the 4 GB of the parent that had just generated the 100,000-patient folder).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc only")
def test_child_peak_is_its_own() -> None:
    held = np.ones(400 * 2**20 // 8)  # 400 MB resident in this (the parent) process
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); "
        "from engine import _rss_mb; print(_rss_mb())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert held.sum() > 0
    assert float(out.stdout) < 300  # a bare Python and NumPy: well under the parent's 400 MB
