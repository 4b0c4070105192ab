"""Backing up and restoring the registry's database (``myotrack backup`` / ``myotrack restore``).

- SQLite: SQLite's online backup API, a consistent copy taken while the registry serves
  (writers wait for the moment it takes); the copy is one self-contained file. A restore
  copies the backup into the registry's database the same way, in one step.
- PostgreSQL: ``pg_dump --format=custom``; a restore drops the registry's tables and loads
  the dump (``pg_restore`` into ``psql``) in one transaction: all of it or nothing. The
  PostgreSQL client programs are looked for on the PATH, then in /usr/lib/postgresql.

A backup is refused before anything is replaced if it is not a registry backup of this
engine, or comes from a newer myotrack (migrations this one does not know); an older one is
migrated after the restore. Both are audited: the backup in the registry backed up, the
restore in the registry restored (the backup's own trail, then the restore). Restart a running
server after a restore: its cache knows the old data.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader

from myotrack.errors import MyotrackError

from .audit.models import Action
from .audit.services import record

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(MyotrackError):
    """A backup cannot be made or restored; the registry's database is unchanged."""


@dataclass(frozen=True)
class Copy:
    """A backup made or restored: the file, the engine and the rows per table."""

    path: Path
    engine: str
    counts: dict[str, int] = field(default_factory=dict)
    migrated: tuple[str, ...] = ()

    def describe(self) -> str:
        patients = self.counts.get("patients_patient", 0)
        audit = self.counts.get("audit_auditrecord", 0)
        tables = sum(1 for n in self.counts if not n.startswith("django_"))
        return f"{self.engine}: {patients} patients, {audit} audit records, {tables} tables"


def row_counts() -> dict[str, int]:
    """Rows of every table of the registry's database."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = int(cursor.fetchone()[0])
    return counts


def _who() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"uid {os.getuid()}@{socket.gethostname()}"


def _audit(action: Action, summary: str, **data: Any) -> None:
    with transaction.atomic():
        record(None, action, after=data, summary=f"{summary} (by {_who()})")


def _engine() -> str:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backing up a {connection.vendor} database is not supported")
    return connection.vendor


def backup_database(path: Path, overwrite: bool = False) -> Copy:
    """Copy the registry's database to ``path`` (written whole or not at all); audited."""
    engine = _engine()
    path = path.expanduser().resolve()
    if path.exists() and not overwrite:
        raise BackupError(f"{path} exists; choose another file or use --force to replace it")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent}: no such folder")
    counts = row_counts()
    partial = path.with_name(path.name + ".partial")
    try:
        if engine == "sqlite":
            _sqlite_copy(Path(connection.settings_dict["NAME"]), partial)
        else:
            _pg_dump(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    _audit(Action.BACKUP, f"database backed up to {path}", file=str(path), counts=counts)
    return Copy(path, engine, counts)


def restore_database(path: Path) -> Copy:
    """Replace the registry's database with the backup at ``path``; migrate it when it is
    older than this myotrack; audited. Nothing is replaced if the backup is refused."""
    engine = _engine()
    path = path.expanduser().resolve()
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    kind = (
        "sqlite" if head == SQLITE_MAGIC else "postgresql" if head.startswith(PGDUMP_MAGIC) else ""
    )
    if not kind:
        raise BackupError(f"{path} is not a backup made by 'myotrack backup'")
    if kind != engine:
        raise BackupError(
            f"{path} is a backup of an {kind} registry; this registry's database is {engine}"
        )
    migrations = _sqlite_migrations(path) if kind == "sqlite" else _pg_migrations(path)
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    newer = sorted(f"{app}.{name}" for app, name in migrations - known)
    if newer:
        raise BackupError(
            f"{path} comes from a newer myotrack (migrations {', '.join(newer[:5])}); "
            "restore it with that version"
        )
    before = row_counts()
    connections.close_all()
    if kind == "sqlite":
        _sqlite_copy(path, Path(connection.settings_dict["NAME"]))
    else:
        _pg_restore(path)
    connections.close_all()
    migrated = _migrate()
    counts = row_counts()
    _audit(
        Action.RELOAD,
        f"database restored from {path}",
        file=str(path),
        counts=counts,
        replaced=before,
        migrated=list(migrated),
    )
    return Copy(path, engine, row_counts(), migrated)


def _migrate() -> tuple[str, ...]:
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", interactive=False, verbosity=0)
    return tuple(f"{m.app_label}.{m.name}" for m, _ in plan)


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup of ``source`` into ``target`` (a new file or the live database)."""
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target, timeout=60)
    try:
        src.backup(dst)
        if target.name.endswith(".partial"):  # a backup file: one file, checked
            dst.execute("PRAGMA journal_mode=DELETE")
            if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"the copy of {source} did not pass SQLite's check")
    except sqlite3.Error as err:
        raise BackupError(f"cannot copy {source} to {target} ({err})") from err
    finally:
        dst.close()
        src.close()


def _sqlite_migrations(path: Path) -> set[tuple[str, str]]:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (SQLite's check fails)")
            return {(a, n) for a, n in con.execute("SELECT app, name FROM django_migrations")}
        finally:
            con.close()
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{path} is not a backup of the registry ({err})") from err


# --- PostgreSQL ---------------------------------------------------------------------------------


def _program(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name):
        if (folder / name).exists():
            found = str(folder / name)
    if not found:
        raise BackupError(f"{name} is not installed (it comes with the PostgreSQL client)")
    return found


def _pg_env() -> tuple[dict[str, str], str]:
    """The environment the client programs connect with (never a password on a command line)."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env, str(db["NAME"])


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    env, _ = _pg_env()
    done = subprocess.run(command, env=env, capture_output=True, check=False, **kwargs)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{Path(command[0]).name} failed: {message[-1] if message else ''}")
    return done


def _pg_dump(target: Path) -> None:
    _, name = _pg_env()
    _run([_program("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", name])


def _pg_migrations(path: Path) -> set[tuple[str, str]]:
    """The migrations recorded in a dump (its django_migrations rows, read without loading it)."""
    done = _run(
        [_program("pg_restore"), "--data-only", "--table=django_migrations", "--file=-", str(path)]
    )
    rows, copying = set(), False
    for line in done.stdout.decode().splitlines():
        if line.startswith("COPY ") and "django_migrations" in line:
            copying = True
        elif copying and line == "\\.":
            break
        elif copying:
            cells = line.split("\t")
            rows.add((cells[1], cells[2]))
    if not rows:
        raise BackupError(f"{path} is not a backup of the registry (no django_migrations)")
    return rows


def _pg_restore(path: Path) -> None:
    """Drop the registry's tables and load the dump in one transaction: pg_restore writes the
    script, psql runs it after the drops; if pg_restore fails half-way, psql is stopped before
    it commits."""
    env, name = _pg_env()
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    connections.close_all()
    quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
    drop = f"DROP TABLE IF EXISTS {quoted} CASCADE;\n" if tables else ""
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as load_errors:
        restore = subprocess.Popen(
            [_program("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=restore_errors,
        )
        load = subprocess.Popen(
            [
                _program("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--output=/dev/null",
                f"--dbname={name}",
            ],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=load_errors,
        )
        assert restore.stdout is not None and load.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # psql stopped at an error: said below
            load.stdin.write(drop.encode())
            shutil.copyfileobj(restore.stdout, load.stdin)
        if restore.wait() != 0:
            load.kill()
            load.wait()
            raise BackupError(f"pg_restore failed: {_last_line(restore_errors)}")
        with contextlib.suppress(BrokenPipeError):
            load.stdin.close()
        if load.wait() != 0:
            raise BackupError(f"psql failed (nothing was restored): {_last_line(load_errors)}")


def _last_line(errors: Any) -> str:
    errors.seek(0)
    lines = errors.read().decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "no message"
