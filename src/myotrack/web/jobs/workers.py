"""The worker threads of a server process: a small pool that runs queued jobs one at a time
each, so that no request waits for a report, an export or an import of many patients."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connections

from . import services

log = logging.getLogger("myotrack.jobs")

#: Seconds a worker waits for a job before it looks at the queue again (a job submitted by
#: another process is seen within this time; one of this process at once).
POLL_SECONDS = 5.0

_wakeup = threading.Event()
_stop = threading.Event()
_threads: list[threading.Thread] = []
_lock = threading.Lock()


def wake() -> None:
    """Tell this process's workers that a job was queued."""
    _wakeup.set()


def _loop(name: str) -> None:
    worker = services.worker_name()
    while not _stop.is_set():
        try:
            close_old_connections()
            services.fail_abandoned(worker)
            job = services.run_next(worker)
        except Exception as err:  # the database went away ...: try again later
            log.error("job worker %s: %s", name, type(err).__name__)
            job = None
        finally:
            connections.close_all()
        if job is None:
            _wakeup.wait(POLL_SECONDS)
            _wakeup.clear()


def _heartbeat() -> None:
    worker = services.worker_name()
    while not _stop.wait(services.BEAT_SECONDS):
        try:
            services.beat(worker)
        except Exception as err:
            log.error("job heartbeat: %s", type(err).__name__)
        finally:
            connections.close_all()


def start(threads: int) -> list[threading.Thread]:
    """Fail the jobs a killed server left running, then start ``threads`` workers and the
    heartbeat (once per process)."""
    with _lock:
        if _threads:
            return list(_threads)
        _stop.clear()
        services.fail_abandoned()
        connections.close_all()
        for i in range(threads):
            t = threading.Thread(target=_loop, args=(f"job-{i + 1}",), name=f"myotrack-job-{i + 1}")
            t.daemon = True
            t.start()
            _threads.append(t)
        beat = threading.Thread(target=_heartbeat, name="myotrack-job-heartbeat", daemon=True)
        beat.start()
        _threads.append(beat)
        return list(_threads)


def stop(timeout: float = 30.0) -> None:
    """Stop the workers after their current job (for tests and a clean shutdown)."""
    with _lock:
        _stop.set()
        _wakeup.set()
        for t in _threads:
            t.join(timeout)
        _threads.clear()
        _wakeup.clear()
