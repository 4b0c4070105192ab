"""Settings of the registry, read from the environment.

- ``MYOTRACK_HOME``: data folder (default ``~/.myotrack``); holds the SQLite database, the
  secret key and pending imports.
- ``MYOTRACK_DATABASE_URL``: a database URL (``postgresql://user:pw@host:5432/name``); the
  default is the SQLite file ``registry.sqlite3`` in the data folder.
- ``MYOTRACK_SECRET_KEY``: the signing key; when absent one is generated once and kept in the
  data folder (readable by its owner only).
- ``MYOTRACK_DEBUG=1``: Django's debug pages (never on a server with patient data).
- ``MYOTRACK_ALLOWED_HOSTS``: comma-separated host names (default: localhost names).
- ``MYOTRACK_HTTPS=1``: cookies only over HTTPS (set it behind a TLS proxy).
- ``MYOTRACK_SESSION_MINUTES``: idle minutes before a session expires (default 30).
- ``MYOTRACK_LOCKOUT_FAILURES`` / ``MYOTRACK_LOCKOUT_MINUTES``: failed log-ins before an
  account is locked, and for how long (default 5 and 15).
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
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _flag("MYOTRACK_HTTPS")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_DIR = HOME / "imports"

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
