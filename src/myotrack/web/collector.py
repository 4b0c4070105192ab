"""Python's cyclic garbage collector: held off while an export or an import builds its rows,
and kept off the objects a process starts with.

Building the tables of 10,000 patients makes millions of small objects that live until the
file is written; each time their number grows by a quarter the collector walks all of them
again (some 13 full passes, about 2 s of an export). They hold no reference cycles, so
:func:`collector_paused` stops the collector for the duration and restores it after: the
first of overlapping callers (threads of one server) stops it, the last one restarts it, and
only if it was running before. Reference counting still frees everything that is not in a
cycle; what is in one waits for the next collection.

A server process starts with some 400,000 objects that live as long as it does (modules,
Django's apps and URL patterns, pandas, Ibis). A full collection walks every object and
holds every thread meanwhile: 150 to 800 ms, about every 5 s under a network's load, and the
slowest requests were those that waited for it. :func:`freeze_started` collects once and
then moves the objects of the process as started out of the collector's reach
(:func:`gc.freeze`, made for this), so that each collection walks what came after.
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


def freeze_started() -> None:
    """Collect once, then keep the collector off every object there is now (:func:`gc.freeze`):
    for a process that has loaded what it will use and is about to serve."""
    gc.collect()
    gc.freeze()
