"""Starting the registry: set up Django, prepare the database (or a demo), serve with waitress.

``myotrack serve`` calls these; nothing here parses arguments or prints.
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from myotrack.errors import MyotrackError

DEMO_SITE = "Published cases (demo)"
#: Room for the rest of an upload's form (the site, the CSRF token, multipart boundaries).
FORM_BYTES = 1024 * 1024
DEMO_USER = "demo-admin"


class ServerError(MyotrackError):
    """The registry cannot start (no database yet, port in use ...)."""


@dataclass(frozen=True)
class Demo:
    """What ``serve --demo`` made: where, who, and the password shown once."""

    database: Path
    username: str
    password: str
    patients: int
    sources: tuple[str, ...]


def setup(database_url: str | None = None) -> None:
    """Configure Django for this process (the database URL overrides the environment)."""
    import sys

    if database_url:
        if "myotrack.web.settings" in sys.modules:
            raise ServerError("the registry settings were loaded before the database was chosen")
        os.environ["MYOTRACK_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myotrack.web.settings")
    import django

    django.setup()


def published_sources() -> list[Path]:
    """The folders of published cases shipped with myotrack (one per paper)."""
    import myotrack.evidence

    data = Path(myotrack.evidence.__file__).resolve().parent / "data"
    return sorted(p for p in data.iterdir() if (p / "patients.csv").exists())


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def prepare_demo(home: Path) -> Demo:
    """A fresh demo database in ``home``: the published cases as a demo site and an
    administrator with a new random password. Replaces an earlier demo database."""
    database = home / "demo.sqlite3"
    home.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    setup(f"sqlite:///{database}")
    migrate()

    from django.contrib.auth.models import User
    from django.db import transaction

    from myotrack.tables import read_source

    from .accounts.models import Profile, Role, Site
    from .importer import add_dataset

    password = secrets.token_urlsafe(12)
    sources = published_sources()
    with transaction.atomic():
        site = Site.objects.create(name=DEMO_SITE)
        user = User.objects.create_superuser(DEMO_USER, password=password)
        profile = Profile.objects.create(user=user, role=Role.ADMINISTRATOR, export_identified=True)
        profile.sites.set([site])
        count = 0
        for folder in sources:
            ds = read_source(folder)
            add_dataset(user, ds, {code: site for code in ds.patient_ids}, f"demo: {folder.name}")
            count += len(ds.patient_ids)
    return Demo(database, DEMO_USER, password, count, tuple(p.name for p in sources))


def check_ready() -> None:
    """Refuse to serve a database that has not been migrated."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as err:  # the driver's own error: unreachable server, bad URL ...
        raise ServerError(
            f"cannot open the registry database ({type(err).__name__}); check MYOTRACK_DATABASE_URL"
        ) from err
    if pending:
        raise ServerError(
            "the registry database is not set up (or is older than this myotrack): "
            "run 'myotrack serve --migrate' once, or 'myotrack serve --demo' for a demo"
        )


def application() -> Any:
    """The WSGI application of this process, which :func:`setup` has configured already.

    Not ``myotrack.web.wsgi`` (for other WSGI servers): importing it would set Django up a
    second time, and with it the logging, so that each record passed the privacy filter twice
    and lost the kind and place of its error the second time."""
    from django.core.handlers.wsgi import WSGIHandler

    return WSGIHandler()


def serve(host: str = "127.0.0.1", port: int = 8000, threads: int | None = None) -> None:
    """Serve the registry with waitress until interrupted, with the worker threads of the
    background jobs (:mod:`myotrack.web.jobs`; the jobs a killed server left running are
    failed first), the drawing processes of the patient pages' timelines and similar-case
    lookup (:mod:`myotrack.web.analysis.render`) and, in the background, the outcomes of the
    patients whose stored ones are stale (:mod:`myotrack.web.analysis.refresh`). ``threads``
    (``MYOTRACK_THREADS`` by default) serve requests; one that waits for a drawing process holds
    a thread but no CPU. A request body larger than an
    upload may be (plus the form around it) is refused before it is read whole. Behind a TLS
    proxy (``MYOTRACK_PROXY_SSL_HEADER``) waitress keeps the proxy's ``X-Forwarded-Proto`` from
    ``MYOTRACK_TRUSTED_PROXY`` (it drops forwarding headers from anyone else)."""
    from django.conf import settings
    from waitress import serve as waitress_serve

    proxy: dict[str, Any] = {}
    if settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https"):
        proxy = {
            "trusted_proxy": settings.TRUSTED_PROXY,
            "trusted_proxy_headers": {"x-forwarded-proto"},
        }
    from myotrack.evidence.lookup import prepare_corpus

    from .analysis import refresh, render
    from .jobs import workers

    workers.start(settings.JOB_WORKERS)
    # the timelines and the similar-case lookup (with its published cases), in processes of
    # their own; in this one when there are none
    render.start(settings.RENDER_PROCESSES)
    if not render.started():
        prepare_corpus()  # in the background
    # the stored outcomes of new or changed patients, in the background; then settle()
    refresh.start(then=settle)
    if threading.current_thread() is threading.main_thread():
        # a stop asked for by the system (SIGTERM) ends as Ctrl+C does: through the clean-up
        signal.signal(signal.SIGTERM, _stop_serving)
    try:
        waitress_serve(
            application(),
            host=host,
            port=port,
            threads=threads or settings.THREADS,
            ident="myotrack",
            max_request_body_size=settings.IMPORT_MAX_UPLOAD_BYTES + FORM_BYTES,
            **proxy,
        )
    except OSError as err:
        raise ServerError(
            f"cannot listen on {host}:{port} ({err.strerror}); choose another --port"
        ) from err
    finally:
        refresh.stop(timeout=5)
        render.stop()


def settle() -> None:
    """Once the server has started (after the first pass of the background refresh, which
    builds what evaluating patients needs: :func:`myotrack.web.analysis.outcomes.prepare`):
    every page's view and template loaded, then the cyclic garbage collector kept off all
    that the process holds (:func:`~myotrack.web.collector.freeze_started`), so that its full
    collections, which stop every thread, walk what requests made since and not the 400,000
    objects the process lives with."""
    from django.conf import settings
    from django.template.loader import get_template
    from django.urls import get_resolver

    from .collector import freeze_started

    get_resolver().url_patterns  # noqa: B018 (imports every view)
    for folder in (Path(d) for t in settings.TEMPLATES for d in t["DIRS"]):
        for path in sorted(folder.rglob("*.html")):
            get_template(path.relative_to(folder).as_posix())
    freeze_started()


def _stop_serving(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def create_admin(username: str) -> str:
    """A new administrator of every site with a random password (returned, to print once)."""
    from django.contrib.auth.models import User

    from .accounts.models import Profile, Role

    if User.objects.filter(username=username).exists():
        raise ServerError(
            f"user {username!r} exists already; change its password in 'Users & sites'"
        )
    password = secrets.token_urlsafe(12)
    user = User.objects.create_superuser(username, password=password)
    Profile.objects.create(user=user, role=Role.ADMINISTRATOR)
    return password
