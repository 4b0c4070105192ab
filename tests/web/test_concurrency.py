"""Requests in parallel threads, as waitress serves them: writers wait for each other instead of
failing ('database is locked' on SQLite), and parallel log-in guesses never check more
passwords than the lock-out allows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from myotrack.web.accounts.models import LoginThrottle
from myotrack.web.visits.models import Visit
from myotrack.web.visits.services import save_visit

pytestmark = pytest.mark.django_db(transaction=True)


def in_parallel(jobs: list[Callable[[], object]]) -> list[object]:
    """Run every job in its own thread, all released at once; their results or exceptions."""
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = jobs[i]()
        except Exception as err:  # reported to the test, which names it
            results[i] = err
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_sqlite_is_set_up_for_concurrent_writers(settings: Any) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 20_000
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_parallel_visit_saves_wait_for_each_other_and_for_a_long_write(
    users: dict[str, Any], patients: dict[str, Any]
) -> None:
    user, patient = users["data_manager"], patients["A"]

    def long_write() -> str:  # an import's commit holds the write lock for a while
        with transaction.atomic():
            Visit.objects.filter(patient=patient).update(ck=8001)
            time.sleep(1.5)
        return "held"

    def save(day: int) -> Callable[[], object]:
        return lambda: save_visit(
            user, patient, {"date": f"2023-03-{day:02d}", "ck": "900", "ck_uln": "200"}, []
        )

    results = in_parallel([long_write, *(save(d) for d in range(1, 13))])
    failures = [r for r in results if isinstance(r, Exception)]
    assert not failures, failures
    assert Visit.objects.filter(patient=patient).count() == 13


def test_parallel_log_in_guesses_never_pass_the_lock_out(
    users: dict[str, Any], password: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seven wrong guesses and then the right password, all at once: the right one comes after
    the limit of five and must be refused; no more than five passwords are ever checked."""
    checked = []
    original = ModelBackend.authenticate

    def slow_check(self: Any, *args: Any, **kwargs: Any) -> Any:
        checked.append(kwargs.get("password"))
        time.sleep(0.3)  # a real password hash takes this long: the window of the race
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", slow_check)

    def guess(text: str, delay: float = 0.0) -> Callable[[], object]:
        def post() -> object:
            time.sleep(delay)
            client = Client()
            response = client.post(reverse("login"), {"username": "viewer", "password": text})
            return (response.status_code, "_auth_user_id" in client.session)

        return post

    jobs = [guess(f"wrong {i}") for i in range(7)] + [guess(password, delay=0.1)]
    results = in_parallel(jobs)
    assert all(isinstance(r, tuple) and r[0] in (200, 302) for r in results), results
    assert results[-1] == (200, False), "the right password was checked after the lock-out"
    assert len(checked) <= settings.LOCKOUT_FAILURES, checked
    assert LoginThrottle.objects.get(username="viewer").locked_until is not None


def test_sixteen_parallel_log_ins_give_no_server_error(users: dict[str, Any]) -> None:
    def guess(i: int) -> Callable[[], object]:
        def post() -> object:
            response = Client().post(
                reverse("login"), {"username": f"user{i % 4}", "password": "wrong"}
            )
            return response.status_code

        return post

    results = in_parallel([guess(i) for i in range(16)])
    assert results == [200] * 16, results
