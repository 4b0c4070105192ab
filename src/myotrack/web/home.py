"""The data folder of the registry, read from the environment without loading Django."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """The data folder: ``MYOTRACK_HOME`` or ``~/.myotrack``."""
    raw = os.environ.get("MYOTRACK_HOME", "").strip()
    return Path(raw).expanduser() if raw else Path.home() / ".myotrack"
