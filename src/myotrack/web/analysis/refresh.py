"""Keeping the stored outcomes current in the background, so that a patient page reads its
patient's outcomes instead of computing them.

A server process starts one thread (:func:`start`) that computes the outcomes of every live
patient whose stored row is missing or stale (:func:`refresh_stale`), in batches, when the
server starts and whenever it is woken (:func:`wake`: after an import). As it starts it also
builds what evaluating patients needs once per process (:func:`~.outcomes.prepare`: the
columns of the outcomes table, the criteria compiled for the registry's database), which the
first patient page or cohort report would otherwise wait for. A page that needs a
patient whose row is still stale computes it itself, as before; both store the same row. The
thread works at the pace of one batch at a time, so requests are served between batches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connections

from ..logs import raised_at
from ..patients.models import Patient
from .models import PatientOutcome
from .outcomes import outcomes_for, patient_versions, prepare

log = logging.getLogger("myotrack.web.analysis")

#: Patients evaluated per engine call.
BATCH = 2000

_wakeup = threading.Event()
_stop = threading.Event()
_lock = threading.Lock()
_threads: list[threading.Thread] = []


def stale_patients() -> list[int]:
    """The live patients (by pk, in pk order) whose stored outcomes are missing or stale."""
    live = Patient.objects.filter(deleted_at__isnull=True)
    versions = patient_versions(live)
    stored = dict(
        PatientOutcome.objects.filter(patient__in=live.values("pk")).values_list(
            "patient_id", "version"
        )
    )
    return sorted(pk for pk, v in versions.items() if stored.get(pk) != v)


def refresh_stale(batch: int = BATCH, progress: Callable[[int, int], None] | None = None) -> int:
    """Compute and store the outcomes of every stale patient; the number computed.
    ``progress(done, total)`` is called after each batch."""
    stale = stale_patients()
    for start in range(0, len(stale), batch):
        outcomes_for(Patient.objects.filter(pk__in=stale[start : start + batch]))
        if progress is not None:
            progress(min(start + batch, len(stale)), len(stale))
    return len(stale)


def wake() -> None:
    """Tell this process's refresher that patients may be stale (new or changed in bulk)."""
    _wakeup.set()


def _loop(then: Callable[[], Any] | None) -> None:
    _wakeup.set()  # once at start
    first = True
    while not _stop.is_set():
        _wakeup.wait()
        _wakeup.clear()
        if _stop.is_set():
            break
        try:
            close_old_connections()
            done = refresh_stale()
            if first:
                prepare()
            if done:
                log.info("outcomes computed in the background for %d patients", done)
        except Exception as err:  # the database went away ...: at the next wake-up
            log.error("background outcomes: %s%s", type(err).__name__, raised_at(err))
        finally:
            connections.close_all()
        if first and then is not None:
            try:
                then()
            except Exception as err:  # never the end of the refresher
                log.error("after the first refresh: %s%s", type(err).__name__, raised_at(err))
        first = False


def start(then: Callable[[], Any] | None = None) -> None:
    """Start this process's refresher (once); it refreshes at once, then calls ``then`` (once,
    after its first pass: the server's :func:`~myotrack.web.server.settle`)."""
    with _lock:
        if _threads and _threads[0].is_alive():
            _wakeup.set()
            return
        _stop.clear()
        thread = threading.Thread(target=_loop, args=(then,), name="myotrack-outcomes", daemon=True)
        thread.start()
        _threads[:] = [thread]


def stop(timeout: float = 60.0) -> None:
    """Stop the refresher after the batch it is computing."""
    with _lock:
        _stop.set()
        _wakeup.set()
        for thread in _threads:
            thread.join(timeout)
        _threads.clear()
