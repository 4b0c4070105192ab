"""Running the registry: the health endpoint, errors logged by kind and place (never patient
data) when served by ``myotrack serve``, and staged imports that expire."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import time
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from myotrack.web import importer
from myotrack.web.logs import WithoutPatientData

pytestmark = pytest.mark.django_db


def test_health_needs_no_log_in_and_says_the_database_is_reachable(client: Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}
    assert "sessionid" not in response.cookies
    assert client.post("/health").status_code == 405


def test_health_reports_an_unreachable_database(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> None:
        raise OperationalError("could not connect to server at 10.0.0.1 (password ...)")

    monkeypatch.setattr(connection, "cursor", down)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "unreachable",
        "error": "OperationalError",
    }


def test_the_privacy_filter_keeps_the_error_kind_when_it_runs_twice() -> None:
    try:
        raise RuntimeError("value PA-1 Synthetic Person")
    except RuntimeError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal: %s", ("/x",), sys.exc_info()
        )
    record.status_code = 500  # type: ignore[attr-defined]
    for _ in range(2):
        assert WithoutPatientData().filter(record)
    assert record.getMessage().startswith("500 RuntimeError at ")
    assert "in test_the_privacy_filter" in record.getMessage()
    assert "PA-1" not in record.getMessage() and record.exc_info is None


SERVED_ERROR = """
import io, sys
from myotrack.web import server
server.setup(sys.argv[1])
server.migrate()
from myotrack.web.accounts.views import LoginView

def broken(self, request, *args, **kwargs):
    raise RuntimeError("value PA-1 Synthetic Person broke something")

LoginView.get = broken
app = server.application()  # what 'myotrack serve' hands to waitress
environ = {
    "REQUEST_METHOD": "GET", "PATH_INFO": "/accounts/login/", "SERVER_NAME": "localhost",
    "SERVER_PORT": "8000", "HTTP_HOST": "localhost", "wsgi.input": io.BytesIO(),
    "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
}
status = []
app(environ, lambda s, h, exc_info=None: status.append(s))
print(status[0])
"""


def test_a_server_error_is_logged_with_its_kind_and_place_only(tmp_path: Path) -> None:
    """Under 'myotrack serve' a 500 was logged as '500 /path' only (Django was set up
    twice, and the privacy filter ran twice)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "MYOTRACK"))}
    env["MYOTRACK_HOME"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, "-c", SERVED_ERROR, f"sqlite:///{tmp_path / 'r.sqlite3'}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.stdout.strip() == "500 Internal Server Error", run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("500 ")]
    assert len(errors) == 1, run.stderr
    assert errors[0].startswith("500 /accounts/login/ RuntimeError at ")
    assert errors[0].endswith(" in broken"), errors
    assert "PA-1" not in run.stderr and "Synthetic" not in run.stderr


def zipped(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("patients.csv", text)
    return buffer.getvalue()


@pytest.fixture
def staging(settings: Any, tmp_path: Path) -> Path:
    settings.IMPORT_DIR = tmp_path / "imports"
    settings.IMPORT_KEEP_HOURS = 24
    return settings.IMPORT_DIR


def age(path: Path, hours: float) -> None:
    when = time.time() - hours * 3600
    for p in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.utime(p, (when, when))


def test_staged_imports_expire_at_the_next_upload(
    users: dict[str, Any], sites: dict[str, Any], staging: Path
) -> None:
    user, site = users["data_manager"], sites["A"]
    old = importer.stage(user, SimpleUploadedFile("old.zip", zipped("patient_id\nP1\n")), site)
    book = staging / "0123abcd.xlsx"  # a workbook left by an earlier upload
    book.write_bytes(b"x")
    recent = importer.stage(user, SimpleUploadedFile("new.zip", zipped("patient_id\nP2\n")), site)
    age(importer.staged_path(old.token, old.filename), 25)
    age(book, 30)
    latest = importer.stage(user, SimpleUploadedFile("last.zip", zipped("patient_id\nP3\n")), site)
    left = sorted(p.name for p in staging.iterdir())
    assert left == sorted([recent.token, latest.token])
    with pytest.raises(importer.ImportRefused, match="no longer available"):
        importer.preview(user, old.token, old.filename, site)


def test_the_expire_imports_command_deletes_old_staged_imports(
    users: dict[str, Any], sites: dict[str, Any], staging: Path
) -> None:
    user, site = users["data_manager"], sites["A"]
    one = importer.stage(user, SimpleUploadedFile("a.zip", zipped("patient_id\nP1\n")), site)
    two = importer.stage(user, SimpleUploadedFile("b.zip", zipped("patient_id\nP2\n")), site)
    age(importer.staged_path(one.token, one.filename), 3)
    out = StringIO()
    call_command("expire_imports", stdout=out)
    assert "0 staged imports" in out.getvalue() and len(list(staging.iterdir())) == 2
    call_command("expire_imports", "--hours", "2", stdout=out)
    assert "1 staged import older than 2 hours deleted" in out.getvalue()
    assert [p.name for p in staging.iterdir()] == [two.token]
