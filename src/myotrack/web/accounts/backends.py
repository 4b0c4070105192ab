"""Log-in with lock-out: after ``LOCKOUT_FAILURES`` failed attempts a user name is locked for
``LOCKOUT_MINUTES``, whether or not the account exists (so locking tells nothing about which
names exist). A successful log-in clears the counter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import LoginThrottle


class AccountLocked(PermissionDenied):
    """Raised while a user name is locked; the log-in form says until when."""

    def __init__(self, until: datetime):
        self.until = until
        super().__init__(f"locked until {until:%H:%M} UTC")


def _key(username: str) -> str:
    return username.strip().lower()[:150]


def locked_until(username: str) -> datetime | None:
    """When the lock on ``username`` ends, or None when it is not locked."""
    row = LoginThrottle.objects.filter(username=_key(username)).first()
    if row and row.locked_until and row.locked_until > timezone.now():
        return row.locked_until
    return None


def record_failure(username: str) -> None:
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(username=_key(username))
        now = timezone.now()
        if row.locked_until and row.locked_until <= now:
            row.failures = 0
            row.locked_until = None
        row.failures += 1
        if row.failures >= settings.LOCKOUT_FAILURES:
            row.locked_until = now + timedelta(minutes=settings.LOCKOUT_MINUTES)
        row.save()


def clear_failures(username: str) -> None:
    LoginThrottle.objects.filter(username=_key(username)).delete()


class LockoutBackend(ModelBackend):
    """Django's password check, refused while the user name is locked."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("username")
        if not username:
            return None
        until = locked_until(username)
        if until is not None:
            raise AccountLocked(until)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(username)
            if locked_until(username) is not None:
                raise AccountLocked(locked_until(username) or timezone.now())
            return None
        clear_failures(username)
        return user
