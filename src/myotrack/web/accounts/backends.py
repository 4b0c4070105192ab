"""Log-in with lock-out: after ``LOCKOUT_FAILURES`` failed attempts a user name is locked for
``LOCKOUT_MINUTES``, whether or not the account exists (so locking tells nothing about which
names exist). A successful log-in clears the counter.

An attempt is counted before its password is checked, in one transaction that holds the
counter's row (``select_for_update``; on SQLite the transaction takes the write lock when it
begins): parallel guesses are counted one after the other, and a guess beyond the limit is
refused without its password being checked, however many arrive at once.
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


def begin_attempt(username: str) -> None:
    """Count an attempt as failed until it succeeds; raise AccountLocked when the name is
    locked (then the password is not checked). The attempt that reaches the limit locks."""
    now = timezone.now()
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(username=_key(username))
        locked = row.locked_until if row.locked_until and row.locked_until > now else None
        if locked is None:
            if row.locked_until:  # a lock that has ended starts a new count
                row.failures, row.locked_until = 0, None
            row.failures += 1
            if row.failures >= settings.LOCKOUT_FAILURES:
                row.locked_until = now + timedelta(minutes=settings.LOCKOUT_MINUTES)
            row.save()
    if locked is not None:
        raise AccountLocked(locked)


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
        begin_attempt(username)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            until = locked_until(username)
            if until is not None:
                raise AccountLocked(until)
            return None
        clear_failures(username)
        return user
