"""Settings of the registry, read from the environment.

- ``MYOTRACK_HOME``: data folder (default ``~/.myotrack``); holds the SQLite database, the
  secret key and pending imports.
- ``MYOTRACK_DATABASE_URL``: a database URL (``postgresql://user:pw@host:5432/name``); the
  default is the SQLite file ``registry.sqlite3`` in the data folder.
- ``MYOTRACK_SQLITE_TIMEOUT``: seconds a request waits for another one's write to an SQLite
  database before it fails (default 30).
- ``MYOTRACK_SECRET_KEY``: the signing key; when absent one is generated once and kept in the
  data folder (readable by its owner only).
- ``MYOTRACK_DEBUG=1``: Django's debug pages (never on a server with patient data).
- ``MYOTRACK_ALLOWED_HOSTS``: comma-separated host names (default: localhost names).
- ``MYOTRACK_HTTPS=1``: served over HTTPS (behind a TLS proxy): cookies only over HTTPS, and
  HSTS (``Strict-Transport-Security``) for ``MYOTRACK_HSTS_SECONDS`` (default one year).
- ``MYOTRACK_PROXY_SSL_HEADER=1``: trust the proxy's ``X-Forwarded-Proto: https`` (or name
  another header, e.g. ``X-Forwarded-Scheme``) to tell that the browser used HTTPS. Set it only
  when the proxy sets that header on every request: a client could send it too.
  ``MYOTRACK_TRUSTED_PROXY``: the proxy's address, whose forwarding headers ``myotrack serve``
  keeps (default 127.0.0.1; waitress drops them from anyone else).
- ``MYOTRACK_CSRF_TRUSTED_ORIGINS``: comma-separated origins forms may be posted from, such as
  ``https://registry.example.org``; needed when the proxy does not pass the browser's Host.
- ``MYOTRACK_SESSION_MINUTES``: idle minutes before a session expires (default 30).
- ``MYOTRACK_LOCKOUT_FAILURES`` / ``MYOTRACK_LOCKOUT_MINUTES``: failed log-ins before an
  account is locked, and for how long (default 5 and 15).
- Limits of one import (:mod:`myotrack.web.intake`): ``MYOTRACK_IMPORT_MAX_UPLOAD_MB`` (the
  file, default 100), ``MYOTRACK_IMPORT_MAX_MEMBERS`` (files in the archive, default 100),
  ``MYOTRACK_IMPORT_MAX_UNPACKED_MB`` (everything unpacked, default 512),
  ``MYOTRACK_IMPORT_MAX_ROWS`` (per table, default 1,000,000), ``MYOTRACK_IMPORT_MAX_COLUMNS``
  (default 200), ``MYOTRACK_IMPORT_MAX_CELL_CHARS`` (default 32,767, as in Excel).
- ``MYOTRACK_IMPORT_KEEP_HOURS``: hours a staged import (its preview) is kept before it is
  deleted (default 24).
- Background jobs (:mod:`myotrack.web.jobs`): a report, export or import of more than
  ``MYOTRACK_JOB_THRESHOLD`` patients (default 200) runs as a job, by one of
  ``MYOTRACK_JOB_WORKERS`` worker threads of each server process (default 2); a user has at
  most ``MYOTRACK_JOB_LIMIT`` jobs queued or running (default 2); a finished job and its file
  are kept ``MYOTRACK_JOB_KEEP_HOURS`` (default 24).
- ``MYOTRACK_THREADS``: threads of ``myotrack serve`` that serve requests (default 32). Each
  holds a database connection; a request that waits for a drawing process holds a thread.
- ``MYOTRACK_RENDER_PROCESSES``: processes of ``myotrack serve`` that draw the patient pages'
  timelines and compare patients with the published ones (default 1; 0 does it in the
  server's own process), at a lower priority than the server (:mod:`myotrack.web.analysis.render`).
- ``MYOTRACK_JOB_DIR``: the folder of finished jobs' files (default ``jobs`` in the data
  folder); ``MYOTRACK_IMPORT_DIR``: the folder of staged imports (default ``imports`` in the
  data folder). With server processes on several machines, each must be a folder all of them
  share: a job may run on one machine and its file be downloaded through another.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from myotrack.web.home import data_home


def _secret_key(home: Path) -> str:
    given = os.environ.get("MYOTRACK_SECRET_KEY", "").strip()
    if given:
        return given
    path = home / "secret_key"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _proxy_header(text: str) -> tuple[str, str] | None:
    """('HTTP_X_FORWARDED_PROTO', 'https') for '1' (or the header named), None when unset."""
    text = text.strip()
    if not text or text.lower() in ("0", "false", "no", "off"):
        return None
    name = "X-Forwarded-Proto" if text.lower() in ("1", "true", "yes", "on") else text
    return ("HTTP_" + name.upper().replace("-", "_"), "https")


def _folder(name: str, default: Path) -> Path:
    """The folder named by the environment variable ``name``, else ``default``."""
    text = os.environ.get(name, "").strip()
    return Path(text).expanduser() if text else default


def _number(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip().replace("_", "").replace(",", "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {text!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


HOME = data_home()
BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = _secret_key(HOME)
DEBUG = _flag("MYOTRACK_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("MYOTRACK_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "myotrack.web.accounts",
    "myotrack.web.audit",
    "myotrack.web.patients",
    "myotrack.web.visits",
    "myotrack.web.treatments",
    "myotrack.web.events",
    "myotrack.web.observations",
    "myotrack.web.transfer",
    "myotrack.web.analysis",
    "myotrack.web.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "myotrack.web.headers.SecurityHeaders",
]

ROOT_URLCONF = "myotrack.web.urls"
WSGI_APPLICATION = "myotrack.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "myotrack.web.policy.context",
            ],
            "builtins": ["myotrack.web.templatetags.registry"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("MYOTRACK_DATABASE_URL", "").strip()
        or f"sqlite:///{HOME / 'registry.sqlite3'}",
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with 'database is locked': WAL lets
    # reads go on during a write; a transaction takes the write lock when it begins (a read
    # that later writes cannot be refused half-way); a locked database is waited for.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": _number("MYOTRACK_SQLITE_TIMEOUT", 30),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = ["myotrack.web.accounts.backends.LockoutBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "patients:list"
LOGOUT_REDIRECT_URL = "login"

LOCKOUT_FAILURES = int(os.environ.get("MYOTRACK_LOCKOUT_FAILURES", "5"))
LOCKOUT_MINUTES = int(os.environ.get("MYOTRACK_LOCKOUT_MINUTES", "15"))

SESSION_COOKIE_AGE = 60 * int(os.environ.get("MYOTRACK_SESSION_MINUTES", "30"))
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: an idle timeout
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
HTTPS = _flag("MYOTRACK_HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = _number("MYOTRACK_HSTS_SECONDS", 365 * 24 * 3600) if HTTPS else 0
SECURE_PROXY_SSL_HEADER = _proxy_header(os.environ.get("MYOTRACK_PROXY_SSL_HEADER", ""))
TRUSTED_PROXY = os.environ.get("MYOTRACK_TRUSTED_PROXY", "").strip() or "127.0.0.1"
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("MYOTRACK_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
#: Pages load nothing from elsewhere and run no inline script; inline styles are allowed for
#: the SVG figures. The cohort report page sets its own (:mod:`myotrack.web.headers`).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_DIR = _folder("MYOTRACK_IMPORT_DIR", HOME / "imports")
MB = 1024 * 1024
IMPORT_MAX_UPLOAD_BYTES = _number("MYOTRACK_IMPORT_MAX_UPLOAD_MB", 100) * MB
IMPORT_MAX_MEMBERS = _number("MYOTRACK_IMPORT_MAX_MEMBERS", 100)
IMPORT_MAX_UNPACKED_BYTES = _number("MYOTRACK_IMPORT_MAX_UNPACKED_MB", 512) * MB
IMPORT_MAX_ROWS = _number("MYOTRACK_IMPORT_MAX_ROWS", 1_000_000)
IMPORT_MAX_COLUMNS = _number("MYOTRACK_IMPORT_MAX_COLUMNS", 200)
IMPORT_MAX_CELL_CHARS = _number("MYOTRACK_IMPORT_MAX_CELL_CHARS", 32_767)
IMPORT_KEEP_HOURS = _number("MYOTRACK_IMPORT_KEEP_HOURS", 24)
JOB_DIR = _folder("MYOTRACK_JOB_DIR", HOME / "jobs")
JOB_THRESHOLD = _number("MYOTRACK_JOB_THRESHOLD", 200)
JOB_WORKERS = _number("MYOTRACK_JOB_WORKERS", 2)
THREADS = _number("MYOTRACK_THREADS", 32)
RENDER_PROCESSES = (
    0
    if os.environ.get("MYOTRACK_RENDER_PROCESSES", "").strip() == "0"
    else _number("MYOTRACK_RENDER_PROCESSES", 1)
)
JOB_LIMIT_PER_USER = _number("MYOTRACK_JOB_LIMIT", 2)
JOB_KEEP_HOURS = _number("MYOTRACK_JOB_KEEP_HOURS", 24)

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = HOME / "static"

# Nothing about patients reaches a log: requests are not logged with their data, errors are
# logged by type and place only, and nobody is sent e-mail with a traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"without_patient_data": {"()": "myotrack.web.logs.WithoutPatientData"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {
            "handlers": ["console"],
            "level": "ERROR",
            "filters": ["without_patient_data"],
            "propagate": False,
        },
        "django.security": {
            "handlers": ["console"],
            "level": "WARNING",
            "filters": ["without_patient_data"],
            "propagate": False,
        },
        "django.db.backends": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "myotrack": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
ADMINS: list[tuple[str, str]] = []
