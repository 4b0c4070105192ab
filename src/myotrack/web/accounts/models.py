"""Sites (data-access groups), roles and the log-in lock-out counter."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Site(models.Model):
    """A centre or any group of patients whose data only its members may see."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    DATA_MANAGER = "data_manager", "Data manager"
    DATA_ENTRY = "data_entry", "Data entry"
    VIEWER = "viewer", "Viewer (read only)"


class Profile(models.Model):
    """A user's role, sites and the right to export identified data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    sites = models.ManyToManyField(Site, blank=True, related_name="members")
    export_identified = models.BooleanField(
        default=False, help_text="may export names, record numbers, calendar dates and notes"
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class LoginThrottle(models.Model):
    """Failed log-ins of one user name (known or not) and until when it is locked."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.username
