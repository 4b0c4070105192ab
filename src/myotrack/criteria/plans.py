"""Compiled plans kept on disk, so that a process does not compile again what an earlier one did.

Building and compiling every criterion to DuckDB SQL takes some 3 s of Python, in every new
process (each ``myotrack outcomes``, the first evaluation of a web server or a report). The text
depends only on this package's own files (the criteria, the vocabularies), the libraries that
write it, the criteria asked for and the parameters; a plan is kept under a name drawn from all
of them (:func:`key`), so that any change to one of them names another file and an old plan is
never read again:

- every file of the installed ``myotrack`` package, by content (a SHA-256 over the files in
  order of their paths), so that an edited criterion or vocabulary is a new key, editable
  installs included;
- the versions of Python, Ibis, sqlglot and DuckDB;
- the criteria (in order) and the parameters' ``repr`` (a frozen dataclass of plain values).

A plan is a JSON file (text and names only: no patient data, nothing that runs as Python when
read), written whole or not at all (written beside it, then renamed). A file that cannot be read
or is not a plan is ignored (and written again); a folder that cannot be written only means
that the next process compiles again.

The folder: ``MYOTRACK_CACHE_DIR``, else ``$XDG_CACHE_HOME/myotrack``, else
``~/.cache/myotrack``; ``MYOTRACK_NO_CACHE=1`` turns the cache off (nothing read or written).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

#: Changed whenever what a plan file holds changes shape.
FORMAT = "1"

#: The distributions whose code writes the plan's text or decides its forms.
LIBRARIES = ("ibis-framework", "sqlglot", "duckdb")

#: Plans in the cache folder: each ``plan-<key>.json``.
_PREFIX = "plan-"


def folder() -> Path | None:
    """The cache folder (see the module), or None when the cache is off."""
    if os.environ.get("MYOTRACK_NO_CACHE", "").strip() not in ("", "0"):
        return None
    own = os.environ.get("MYOTRACK_CACHE_DIR", "").strip()
    if own:
        return Path(own).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        return Path(xdg) / "myotrack"
    try:
        return Path.home() / ".cache" / "myotrack"
    except (RuntimeError, KeyError):  # no home folder to be found: no cache
        return None


@functools.cache
def package_digest() -> str:
    """:func:`digest` of the installed ``myotrack`` package, once per process (some 40 ms)."""
    return digest(Path(__file__).resolve().parents[1])


def digest(root: Path) -> str:
    """SHA-256 over every file under ``root`` (its path and content), compiled bytecode
    (``__pycache__``) aside."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if "__pycache__" not in p.parts):
        if path.is_file():
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


@functools.cache  # read from the installed metadata once per process
def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "none"


def key(criteria: tuple[str, ...], params: object) -> str:
    """The plan's name: from everything its text depends on (see the module)."""
    parts = [
        FORMAT,
        package_digest(),
        platform.python_version(),
        *(f"{name}={_version(name)}" for name in LIBRARIES),
        "\n".join(criteria),
        repr(params),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def load(name: str) -> dict[str, Any] | None:
    """The plan kept under ``name`` as written by :func:`save`, or None (none kept, the cache
    off, or a file that cannot be read as JSON)."""
    where = folder()
    if where is None:
        return None
    try:
        got = json.loads((where / f"{_PREFIX}{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return got if isinstance(got, dict) else None


def save(name: str, plan: dict[str, Any]) -> None:
    """Keep ``plan`` (plain JSON values) under ``name``; nothing when the folder cannot be
    made or written (the cache is a saving, never a requirement)."""
    where = folder()
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, part = tempfile.mkstemp(dir=where, prefix=".part-", suffix=".json")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(plan, out)
        os.replace(part, where / f"{_PREFIX}{name}.json")
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(part)
