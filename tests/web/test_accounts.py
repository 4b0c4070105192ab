"""Log-in, lock-out, sessions, CSRF, password hashing, error pages and migrations."""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from myotrack.web.accounts.models import LoginThrottle

pytestmark = pytest.mark.django_db


PASSWORD = "correct horse battery staple 42"  # the users fixture's password (conftest.py)


def log_in(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


def test_log_in_and_out(client: Client, users: dict[str, Any]) -> None:
    response = log_in(client, "viewer", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("patients:list")
    assert client.get(reverse("patients:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("patients:list")).status_code == 302


def test_lock_out_after_repeated_failures(
    client: Client, users: dict[str, Any], settings: Any
) -> None:
    for _ in range(settings.LOCKOUT_FAILURES):
        response = log_in(client, "viewer", "wrong password")
        assert response.status_code == 200
    response = log_in(client, "viewer", PASSWORD)  # right password, but locked
    assert response.status_code == 200
    assert "locked until" in response.content.decode()
    assert "_auth_user_id" not in client.session
    throttle = LoginThrottle.objects.get(username="viewer")
    throttle.locked_until = timezone.now() - timedelta(seconds=1)
    throttle.save()
    assert log_in(client, "viewer", PASSWORD).status_code == 302
    assert not LoginThrottle.objects.filter(username="viewer").exists()


def test_unknown_names_lock_the_same_way(client: Client, db: Any, settings: Any) -> None:
    for _ in range(settings.LOCKOUT_FAILURES):
        log_in(client, "nobody-here", "x")
    assert "locked until" in log_in(client, "Nobody-Here", "x").content.decode()


def test_admin_log_in_is_locked_too(client: Client, users: dict[str, Any], settings: Any) -> None:
    users["administrator"].is_staff = True
    users["administrator"].save()
    for _ in range(settings.LOCKOUT_FAILURES):
        client.post(reverse("admin:login"), {"username": "admin", "password": "wrong"})
    client.post(reverse("admin:login"), {"username": "admin", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_session_expires_when_idle(client: Client, users: dict[str, Any], settings: Any) -> None:
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_COOKIE_AGE <= 8 * 3600
    log_in(client, "viewer", PASSWORD)
    assert client.get(reverse("patients:list")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_csrf_is_required(users: dict[str, Any], sites: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["data_entry"])
    response = client.post(reverse("patients:create"), {"patient_id": "C1", "site": sites["A"].pk})
    assert response.status_code == 403
    assert (
        client.post(reverse("login"), {"username": "viewer", "password": PASSWORD}).status_code
        == 403
    )


def test_strong_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [
        h for h in __import__("myotrack.web.settings", fromlist=["x"]).PASSWORD_HASHERS
    ]
    encoded = make_password("a long passphrase for the registry")
    hasher = identify_hasher(encoded)
    assert hasher.algorithm == "pbkdf2_sha256"
    assert int(encoded.split("$")[1]) >= 600_000
    assert check_password("a long passphrase for the registry", encoded)


def test_error_pages_show_no_patient_data(
    client: Client,
    users: dict[str, Any],
    patients: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    assert not settings.DEBUG
    client.force_login(users["data_manager"])
    page = client.get(reverse("patients:detail", kwargs={"patient": patients["B"].pk}))
    assert page.status_code == 404 and b"PB-1" not in page.content and b"Not found" in page.content

    import myotrack.web.patients.views as views

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("value PA-1 Synthetic Person broke something")

    logged = StringIO()
    handler = logging.StreamHandler(logged)
    loggers = [logging.getLogger("django.request"), logging.getLogger("myotrack")]
    for logger in loggers:
        logger.addHandler(handler)
    client.raise_request_exception = False
    try:
        # a failing analysis keeps the patient page and says so
        monkeypatch.setattr(views, "patient_results", broken)
        page = client.get(reverse("patients:detail", kwargs={"patient": patients["A"].pk}))
        assert page.status_code == 200 and b"could not be computed" in page.content
        assert b"Synthetic Person broke" not in page.content
        # any other failure is a plain 500 page
        monkeypatch.setattr(views, "filtered", broken)
        page = client.get(reverse("patients:list"))
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    assert page.status_code == 500
    assert b"PA-1" not in page.content and b"Synthetic" not in page.content
    text = logged.getvalue()
    assert text.count("RuntimeError") == 2 and "in broken" in text, text
    assert "Synthetic" not in text and "PA-1" not in text


def test_migrations_are_complete() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
