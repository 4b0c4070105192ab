"""Python's cyclic garbage collector held off while an export or an import builds its rows.

Building the tables of 10,000 patients makes millions of small objects that live until the
file is written; each time their number grows by a quarter the collector walks all of them
again (some 13 full passes, about 2 s of an export). They hold no reference cycles, so
:func:`collector_paused` stops the collector for the duration and restores it after: the
first of overlapping callers (threads of one server) stops it, the last one restarts it, and
only if it was running before. Reference counting still frees everything that is not in a
cycle; what is in one waits for the next collection.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector off inside the block (reentrant, thread-safe)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
