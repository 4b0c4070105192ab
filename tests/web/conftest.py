"""Test set-up of the registry: Django settings, the database, users, sites and patients.

The same suite runs on SQLite (default) and on PostgreSQL: with ``MYOTRACK_TEST_DB=postgres``
the database is the server at ``MYOTRACK_TEST_POSTGRES_URL`` (``scripts/postgres.sh start``
prints one). ``test_postgres.py`` runs this whole suite that way when the URL is set.
Only tests under tests/web see Django.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

POSTGRES_URL_VAR = "MYOTRACK_TEST_POSTGRES_URL"


def selected_database() -> str:
    return os.environ.get("MYOTRACK_TEST_DB", "sqlite").strip().lower() or "sqlite"


def pytest_configure(config: pytest.Config) -> None:
    import django.conf

    if django.conf.settings.configured:
        raise pytest.UsageError(
            "Django was configured before tests/web/conftest.py could choose the test database: "
            "unset DJANGO_SETTINGS_MODULE (and MYOTRACK_DATABASE_URL) and run again"
        )
    home = Path(tempfile.mkdtemp(prefix="myotrack-test-home-"))
    os.environ["MYOTRACK_HOME"] = str(home)
    os.environ["MYOTRACK_SECRET_KEY"] = "test-only-secret-key-not-for-any-server-0123456789"
    os.environ.pop("MYOTRACK_DEBUG", None)
    if selected_database() == "postgres":
        url = os.environ.get(POSTGRES_URL_VAR, "").strip()
        if not url:
            raise pytest.UsageError(
                f"MYOTRACK_TEST_DB=postgres needs {POSTGRES_URL_VAR} (scripts/postgres.sh start)"
            )
        os.environ["MYOTRACK_DATABASE_URL"] = url
    else:
        os.environ["MYOTRACK_DATABASE_URL"] = f"sqlite:///{home / 'registry.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "myotrack.web.settings"
    import django

    django.setup()


@pytest.fixture(scope="session")
def django_db_modify_db_settings() -> None:
    """On SQLite, the test database is a file like the registry's own (Django's default is
    in memory): WAL, the busy timeout and writers in parallel threads behave as in service."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(Path(db["NAME"]).with_name("test-registry.sqlite3"))
        # a test database need not survive a power cut: no waiting for the disk
        db["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF"


PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def sites(db: Any) -> dict[str, Any]:
    from myotrack.web.accounts.models import Site

    return {"A": Site.objects.create(name="Site A"), "B": Site.objects.create(name="Site B")}


def make_user(username: str, role: str, sites: list[Any], export_identified: bool = False) -> Any:
    from django.contrib.auth.models import User

    from myotrack.web.accounts.models import Profile

    user = User.objects.create_user(username, password=PASSWORD)
    profile = Profile.objects.create(user=user, role=role, export_identified=export_identified)
    profile.sites.set(sites)
    return user


@pytest.fixture
def users(sites: dict[str, Any]) -> dict[str, Any]:
    """One user per role at site A, plus a data manager of site B."""
    return {
        "administrator": make_user("admin", "administrator", []),
        "data_manager": make_user("manager", "data_manager", [sites["A"]]),
        "data_entry": make_user("entry", "data_entry", [sites["A"]]),
        "viewer": make_user("viewer", "viewer", [sites["A"]]),
        "manager_b": make_user("manager_b", "data_manager", [sites["B"]]),
    }


def add_patient(user: Any, site: Any, code: str, **extra: object) -> Any:
    """A synthetic patient with one visit (with grades), one treatment, one event and one
    observation."""
    from myotrack.web.events.services import save_event
    from myotrack.web.observations.services import save_observation
    from myotrack.web.patients.services import create_patient
    from myotrack.web.treatments.services import save_treatment
    from myotrack.web.visits.services import save_visit

    data: dict[str, object] = {
        "patient_id": code,
        "site": site.pk,
        "sex": "F",
        "age_at_onset": "51",
        "antibody": "SRP",
        "index_date": "2023-01-10",
        "name": "Synthetic Person",
        "record_number": "REC-1",
        "notes": "free text",
    }
    data.update(extra)
    patient = create_patient(user, data)
    save_visit(
        user,
        patient,
        {"date": "2023-02-01", "ck": "8000", "ck_uln": "200", "mrc_sum": "40", "mrs": "3"},
        [("shoulder_abductors", "left", "3"), ("shoulder_abductors", "right", "3+")],
    )
    save_treatment(
        user,
        patient,
        {
            "drug": "RTX",
            "start_date": "2023-02-02",
            "dose": "1000",
            "dose_unit": "mg",
            "note": "private",
        },
    )
    save_event(
        user,
        patient,
        {"kind": "adverse_event", "term": "herpes_zoster", "date": "2023-03-01", "note": "private"},
    )
    save_observation(
        user,
        patient,
        {"code": "anti_srp", "value": "positive", "assay": "line blot", "date": "2023-01-20"},
    )
    return patient


@pytest.fixture
def patients(users: dict[str, Any], sites: dict[str, Any]) -> dict[str, Any]:
    """Patient PA-1 at site A and PB-1 at site B, each with a visit, treatment, event and
    observation."""
    return {
        "A": add_patient(users["data_manager"], sites["A"], "PA-1"),
        "B": add_patient(users["manager_b"], sites["B"], "PB-1"),
    }


@pytest.fixture
def output_dir() -> Iterator[Path]:
    base = os.environ.get("MYOTRACK_TEST_OUTPUT", "").strip()
    path = (Path(base) if base else Path(__file__).resolve().parents[2] / "test-output") / "web"
    path.mkdir(parents=True, exist_ok=True)
    yield path


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Tests log in many times; the strong hasher is checked in test_accounts.py."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Outcomes are cached by patient and audit version; every test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    """The password of every user the fixtures make."""
    return PASSWORD


@pytest.fixture
def user_factory(db: Any) -> Any:
    """make_user(username, role, sites, export_identified=False) for tests that need their own."""
    return make_user
