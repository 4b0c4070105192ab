"""The slow parts of a patient page, drawn in processes of their own.

Drawing the timeline (matplotlib) and comparing a patient with the published patients take a
few tenths of a second of CPU each, in Python: in the server's own process they would hold its
interpreter lock, and every other request would wait for them. ``myotrack serve`` therefore
starts ``MYOTRACK_RENDER_PROCESSES`` processes (default 1; :func:`start`) that do only this,
at a lower scheduling priority than the server (``nice``), so the server's requests go first on
a busy machine and the parts of pages wait instead. The request reads the patient's rows
(:func:`myotrack.web.export.registry_frames`, a few milliseconds) and hands them over
(:func:`draw_timeline`, :func:`compare`); the process validates them into the dataset (most of
the CPU after the drawing itself) and returns the SVG text or the comparison. Nothing else
crosses: no database, no Django.

Without :func:`start` (tests, management commands) both are computed in the calling thread.
Each process prepares the published cases once when it starts; :func:`ready` says whether they
are prepared (the page says so while they are not).
"""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import pandas as pd

from myotrack.errors import MyotrackError
from myotrack.evidence import EvidenceResult, find_evidence, profile_from_source
from myotrack.evidence.lookup import corpus, corpus_ready
from myotrack.plots.course import patient_course
from myotrack.plots.timeline import timeline_figure
from myotrack.tables import Dataset

from ..collector import freeze_started

T = TypeVar("T")

#: How much lower the drawing processes' priority is than the server's (``os.nice``).
NICENESS = 10
#: Seconds a request waits for its part before it gives up (the page says so).
WAIT_SECONDS = 120.0

_lock = threading.Lock()
_pool: list[ProcessPoolExecutor] = []
_processes: list[int] = []  # how many were asked for
_ready: list[Any] = []  # a multiprocessing Event: the published cases are prepared


class RenderBusy(MyotrackError):
    """A part of a page waited longer than :data:`WAIT_SECONDS` for a drawing process."""


#: A patient's tables as the registry reads them (:func:`myotrack.web.export.registry_frames`).
Frames = dict[str, pd.DataFrame]


def dataset(frames: Frames) -> Dataset:
    """The frames validated (:func:`myotrack.web.export.dataset_for`'s dataset)."""
    return Dataset.from_frames(name="registry", **frames)


def draw_timeline(frames: Frames, code: str, relapse: tuple[float, ...]) -> str:
    """The patient's timeline (:func:`myotrack.plots.timeline.timeline_figure`) as SVG text."""
    figure = timeline_figure(patient_course(dataset(frames), code, relapse))
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def compare(frames: Frames, code: str) -> EvidenceResult:
    """The patient compared with the published patients (the patient left out)."""
    return find_evidence(profile_from_source(dataset(frames), code), exclude=[code])


def _exit_with_parent() -> None:
    """End this drawing process when the server process ends, however it ends (a killed
    server runs no clean-up, and the pool's queue would keep its processes waiting)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="myotrack-render-parent", daemon=True).start()


def _initialise(ready: Any) -> None:
    _exit_with_parent()
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    corpus()  # the published cases, once per process
    freeze_started()  # they, and what draws, live as long as the process
    ready.set()


def start(processes: int) -> None:
    """Start the drawing processes (once per server process); 0 draws in the request."""
    with _lock:
        if _pool or processes <= 0:
            return
        # a new interpreter, not a fork of a process that runs threads
        context = multiprocessing.get_context("spawn")
        ready = context.Event()
        _pool.append(
            ProcessPoolExecutor(
                max_workers=processes,
                mp_context=context,
                initializer=_initialise,
                initargs=(ready,),
            )
        )
        _ready[:] = [ready]
        _processes[:] = [processes]
        _pool[0].submit(int)  # start the processes now, not at the first page


def stop() -> None:
    with _lock:
        for pool in _pool:
            pool.shutdown(wait=True, cancel_futures=True)
        _pool.clear()
        _ready.clear()


def _restart(broken: ProcessPoolExecutor) -> None:
    """New drawing processes in place of a broken pool (once, whichever request saw it)."""
    with _lock:
        if not _pool or _pool[0] is not broken:
            return  # already replaced (or stopped)
        processes = _processes[0]
        broken.shutdown(wait=False, cancel_futures=True)
        _pool.clear()
        _ready.clear()
    start(processes)


def started() -> bool:
    return bool(_pool)


def ready() -> bool:
    """Whether the published cases are prepared where the comparison runs."""
    return _ready[0].is_set() if _ready else corpus_ready()


def run(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` in a drawing process when they are started, else here."""
    pool = _pool[0] if _pool else None
    if pool is None:
        return function(*args)
    try:
        future = pool.submit(function, *args)
        return future.result(timeout=WAIT_SECONDS)
    except BrokenProcessPool:  # a drawing process died (killed, out of memory): new ones
        _restart(pool)
        raise RenderBusy(
            "the process that draws this part stopped and was started again; reload the page "
            "in a few seconds"
        ) from None
    except TimeoutError:
        future.cancel()
        raise RenderBusy(
            f"the server is busy: this part was not ready within {WAIT_SECONDS:.0f} s; "
            "reload the page later"
        ) from None
