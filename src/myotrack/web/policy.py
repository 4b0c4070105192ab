"""The one permission policy of the registry.

Every view, every service function and every export asks this object; nothing else decides
who may see or change what. Two questions are kept apart:

- *Which patients can this user see at all?* Those of the user's sites (all sites for an
  administrator of every site: a superuser, or an administrator whose profile lists no site). A patient of another site does not exist for the user: asking for it gives
  404, never 403, so that a URL tells nothing about other sites.
- *What may the user do with what they can see?* Their role decides: a permitted patient with a
  forbidden action gives 403.

| permission        | viewer | data entry | data manager | administrator |
|-------------------|:------:|:----------:|:------------:|:-------------:|
| view              |   x    |     x      |      x       |       x       |
| export            |   x    |     x      |      x       |       x       |
| edit (add/change) |        |     x      |      x       |       x       |
| delete            |        |            |      x       |       x       |
| import            |        |            |      x       |       x       |
| audit             |        |            |      x       |       x       |
| restore           |        |            |              |       x       |
| export identified | with the profile's right | | |   x       |
| manage users      |        |            |              | of their sites |
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest

from .accounts.models import Role, Site
from .patients.models import Patient


class Perm(StrEnum):
    VIEW = "view"
    EXPORT = "export"
    EDIT = "edit"
    DELETE = "delete"
    IMPORT = "import"
    AUDIT = "audit"
    RESTORE = "restore"
    EXPORT_IDENTIFIED = "export_identified"


ADMINISTRATOR = "administrator"
ROLE_PERMS: dict[str, frozenset[Perm]] = {
    "viewer": frozenset({Perm.VIEW, Perm.EXPORT}),
    "data_entry": frozenset({Perm.VIEW, Perm.EXPORT, Perm.EDIT}),
    "data_manager": frozenset(
        {Perm.VIEW, Perm.EXPORT, Perm.EDIT, Perm.DELETE, Perm.IMPORT, Perm.AUDIT}
    ),
    ADMINISTRATOR: frozenset(Perm),
}
assert set(ROLE_PERMS) == set(Role.values), "every role has its permissions"

M = TypeVar("M", bound=models.Model)


class PermissionPolicy:
    def role(self, user: Any) -> str | None:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return None
        if user.is_superuser:
            return ADMINISTRATOR
        profile = getattr(user, "profile", None)
        return str(profile.role) if profile is not None else None

    def perms(self, user: Any) -> frozenset[Perm]:
        role = self.role(user)
        granted = set(ROLE_PERMS.get(role, frozenset())) if role else set()
        profile = getattr(user, "profile", None)
        if role and profile is not None and profile.export_identified:
            granted.add(Perm.EXPORT_IDENTIFIED)
        return frozenset(granted)

    def administers_every_site(self, user: Any) -> bool:
        """An administrator of every site: a superuser, or an administrator whose profile
        lists no site. An administrator listing sites administers those sites only."""
        if self.role(user) != ADMINISTRATOR:
            return False
        if user.is_superuser:
            return True
        return not Site.objects.filter(members__user=user).exists()

    def sites(self, user: Any) -> models.QuerySet[Site]:
        """The sites whose patients the user may see."""
        role = self.role(user)
        if role is None:
            return Site.objects.none()
        if self.administers_every_site(user):
            return Site.objects.all()
        return Site.objects.filter(members__user=user)

    def administered_sites(self, user: Any) -> models.QuerySet[Site]:
        """The sites whose users this user manages (invite, role, membership, deactivate):
        an administrator's sites, every site for an administrator of every site."""
        if self.role(user) != ADMINISTRATOR:
            return Site.objects.none()
        return self.sites(user)

    def has(self, user: Any, perm: Perm, site: Site | None = None) -> bool:
        if perm not in self.perms(user):
            return False
        return site is None or self.sites(user).filter(pk=site.pk).exists()

    def require(self, user: Any, perm: Perm, site: Site | None = None) -> None:
        """Raise 403 unless the user holds ``perm`` (at ``site`` when given)."""
        if site is not None and not self.sites(user).filter(pk=site.pk).exists():
            raise Http404("no such patient")
        if not self.has(user, perm):
            raise PermissionDenied(f"your role does not allow: {perm.value}")

    def patients(self, user: Any, deleted: bool = False) -> models.QuerySet[Patient]:
        """Patients the user may see (deleted ones instead, for the restore page)."""
        manager = Patient.all_objects if deleted else Patient.objects
        qs = manager.filter(site__in=self.sites(user))
        return qs.filter(deleted_at__isnull=False) if deleted else qs

    def patient(self, user: Any, pk: object, perm: Perm = Perm.VIEW) -> Patient:
        """The patient ``pk`` if the user may see it (else 404) and holds ``perm`` (else 403)."""
        try:
            patient: Patient = self.patients(user).select_related("site").get(pk=int(str(pk)))
        except (Patient.DoesNotExist, ValueError) as err:
            raise Http404("no such patient") from err
        self.require(user, perm)
        return patient

    def child(self, user: Any, model: type[M], patient: Patient, pk: object, perm: Perm) -> M:
        """A visit, treatment, event ... of ``patient``, or 404 (also when it is someone else's)."""
        manager: Any = model._default_manager
        try:
            obj: M = manager.get(pk=int(str(pk)), patient=patient)
        except (model.DoesNotExist, ValueError) as err:  # type: ignore[attr-defined]
            raise Http404("no such record") from err
        self.require(user, perm)
        return obj


policy = PermissionPolicy()


def context(request: HttpRequest) -> dict[str, object]:
    """Template context: ``can`` maps each permission name to True/False for this user."""
    user = getattr(request, "user", None)
    granted = policy.perms(user) if user is not None else frozenset()
    return {"can": {p.value: p in granted for p in Perm}, "role": policy.role(user)}
