"""``myotrack backup`` / ``myotrack restore``: backup, change, restore, compare (SQLite here, and
PostgreSQL when the suite runs there, see test_postgres.py)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from tests.web.conftest import add_patient
from tests.web.test_serve import clean_env

from myotrack.web.audit.models import AuditRecord
from myotrack.web.backup import BackupError, backup_database, restore_database, row_counts
from myotrack.web.patients.models import Patient
from myotrack.web.patients.services import delete_patient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _client_programs() -> None:
    if connection.vendor == "postgresql" and not all(
        shutil.which(p) or list(Path("/usr/lib/postgresql").glob(f"*/bin/{p}"))
        for p in ("pg_dump", "pg_restore", "psql")
    ):
        pytest.skip("the PostgreSQL client programs are not installed")


def audit_rows() -> list[dict[str, Any]]:
    return list(AuditRecord.objects.order_by("pk").values())


def test_backup_change_restore_gives_back_every_row(
    users: dict[str, Any], sites: dict[str, Any], patients: dict[str, Any], tmp_path: Path
) -> None:
    counts, trail = row_counts(), audit_rows()
    made = backup_database(tmp_path / "registry.backup")
    assert made.counts == counts and made.path.stat().st_size > 0
    backed_up = AuditRecord.objects.get(action="backup")
    assert backed_up.after["file"] == str(made.path)  # type: ignore[index]
    assert backed_up.after["counts"]["patients_patient"] == 2  # type: ignore[index]

    add_patient(users["data_manager"], sites["A"], "LATER-1")  # what the restore takes back
    delete_patient(users["data_manager"], patients["A"])
    assert row_counts() != counts

    restored = restore_database(made.path)
    after = row_counts()
    assert after == {**counts, "audit_auditrecord": counts["audit_auditrecord"] + 1}
    assert restored.counts == after
    assert audit_rows()[:-1] == trail  # the backup's trail, record for record
    last = AuditRecord.objects.order_by("-pk").first()
    assert last is not None and last.action == "reload" and last.username == ""
    assert last.after["file"] == str(made.path)  # type: ignore[index]
    assert last.after["replaced"]["patients_patient"] == 3  # type: ignore[index]
    assert "restored from" in last.summary and "(by " in last.summary
    assert sorted(Patient.objects.values_list("code", flat=True)) == ["PA-1", "PB-1"]
    assert not AuditRecord.objects.filter(action="backup").exists()  # made after the copy


def test_a_file_that_is_no_backup_is_refused_and_nothing_changes(
    patients: dict[str, Any], tmp_path: Path
) -> None:
    counts = row_counts()
    junk = tmp_path / "notes.backup"
    junk.write_text("not a database")
    with pytest.raises(BackupError, match="is not a backup made by 'myotrack backup'"):
        restore_database(junk)
    with pytest.raises(BackupError, match="no such file"):
        restore_database(tmp_path / "missing.backup")
    made = backup_database(tmp_path / "one.backup")
    with pytest.raises(BackupError, match="exists; choose another file or use --force"):
        backup_database(made.path)
    assert row_counts() == {**counts, "audit_auditrecord": counts["audit_auditrecord"] + 1}


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_a_backup_of_a_newer_myotrack_is_refused_an_older_one_migrated(
    patients: dict[str, Any], tmp_path: Path
) -> None:
    made = backup_database(tmp_path / "registry.backup")
    newer, older = tmp_path / "newer.backup", tmp_path / "older.backup"
    for copy, sql in (
        (newer, "INSERT INTO django_migrations (app, name, applied) VALUES ('audit', '9999_x', 0)"),
        (
            older,
            "DELETE FROM django_migrations WHERE app = 'audit' AND name = '0002_backup_actions'",
        ),
    ):
        shutil.copy(made.path, copy)
        with sqlite3.connect(copy) as db:
            db.execute(sql)
    counts = row_counts()
    with pytest.raises(
        BackupError, match=r"comes from a newer myotrack \(migrations audit.9999_x\)"
    ):
        restore_database(newer)
    assert row_counts() == counts
    assert restore_database(older).migrated == ("audit.0002_backup_actions",)


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    env["MYOTRACK_DATABASE_URL"] = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    database, backup = tmp_path / "registry.sqlite3", tmp_path / "saved.backup"

    def myotrack(*args: str, given: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "myotrack.cli", *args],
            env=env,
            input=given,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def count(sql: str) -> int:
        with sqlite3.connect(database) as db:
            return int(db.execute(sql).fetchone()[0])

    migrate = "from myotrack.web import server; server.setup(); server.migrate()"
    subprocess.run([sys.executable, "-c", migrate], env=env, check=True, timeout=300)
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO accounts_site (name) VALUES ('Site A')")
    made = myotrack("backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("backed up the registry (sqlite: 0 patients, 0 audit records")
    assert myotrack("backup", str(backup)).returncode == 1  # exists: --force to replace
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO accounts_site (name) VALUES ('Site B')")
    refused = myotrack("restore", str(backup), given="n\n")
    assert refused.returncode != 0 and count("SELECT COUNT(*) FROM accounts_site") == 2
    done = myotrack("restore", str(backup), "--yes")
    assert done.returncode == 0, done.stderr
    assert "restart the server" in done.stdout
    assert count("SELECT COUNT(*) FROM accounts_site") == 1
    assert count("SELECT COUNT(*) FROM audit_auditrecord WHERE action = 'backup'") == 0
    assert count("SELECT COUNT(*) FROM audit_auditrecord WHERE action = 'reload'") == 1
    wrong = myotrack("restore", str(tmp_path / "nothing.backup"), "--yes")
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
