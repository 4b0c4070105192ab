"""Managing the registry's users: invite, role, site membership, deactivation.

An administrator manages the users of the sites they administer (every site for an
administrator of every site, see :mod:`myotrack.web.policy`); a user of no site of theirs does
not exist for them (404). A change that reaches beyond their sites (the role or the account of
a user who is also a member of another site) is refused, and so is a change that would leave a
site without an administrator, or take an administrator's own role, sites or account.
Users are never deleted: the audit trail keeps who did what, so a user is deactivated.

Every change is one transaction with its audit record (before and after: user name, e-mail,
role, sites, active, whether a password is set; never the password or its hash).
No e-mail server is assumed: an invited user gets a set-password link, shown once to the
administrator, valid until the password is set or ``PASSWORD_RESET_TIMEOUT`` passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from myotrack.errors import MyotrackError

from ..audit.models import Action
from ..audit.services import record
from ..policy import ADMINISTRATOR, policy
from .models import Profile, Role, Site


class UserChangeRefused(MyotrackError):
    """A user change that the rules forbid; the message says why and what to do instead."""


@dataclass(frozen=True)
class Invitation:
    """The invited user and the path of their set-password link (to show once)."""

    user: User
    link: str


def require_manager(actor: Any) -> None:
    """403 unless ``actor`` is an administrator (of some or every site)."""
    from django.core.exceptions import PermissionDenied

    if policy.role(actor) != ADMINISTRATOR:
        raise PermissionDenied("your role does not allow: manage users")


def sites_of(user: User) -> set[int]:
    """The ids of the sites ``user`` is a member of."""
    return set(Site.objects.filter(members__user=user).values_list("pk", flat=True))


def _is_every_site(user: User) -> bool:
    """Whether ``user`` (active or not) would administer every site."""
    if user.is_superuser:
        return True
    profile = Profile.objects.filter(user=user).first()
    return profile is not None and profile.role == Role.ADMINISTRATOR and not sites_of(user)


def visible_users(actor: Any) -> QuerySet[User]:
    """The users ``actor`` may see on the user pages: members of the sites they administer
    (everyone for an administrator of every site)."""
    require_manager(actor)
    if policy.administers_every_site(actor):
        return User.objects.all()
    sites = policy.administered_sites(actor)
    members = User.objects.filter(profile__sites__in=sites).values("pk")
    return User.objects.filter(pk__in=members, is_superuser=False)


def user_for(actor: Any, pk: object) -> User:
    """The user ``pk`` if ``actor`` may see them, else 404."""
    try:
        return visible_users(actor).get(pk=int(str(pk)))
    except (User.DoesNotExist, ValueError) as err:
        raise Http404("no such user") from err


def snapshot(user: User) -> dict[str, object]:
    """What the audit trail keeps of a user (no password, no hash)."""
    profile = Profile.objects.filter(user=user).first()
    return {
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "is_superuser": user.is_superuser,
        "role": profile.role if profile else None,
        "sites": sorted(Site.objects.filter(members__user=user).values_list("name", flat=True)),
        "password_set": user.has_usable_password(),
    }


def _administrators(site: Site) -> set[int]:
    """Active administrators listed at ``site``."""
    return set(
        User.objects.filter(
            is_active=True, profile__role=Role.ADMINISTRATOR, profile__sites=site
        ).values_list("pk", flat=True)
    )


def _keep_administrators(target: User, sites: set[int]) -> None:
    """Refuse when ``target`` is the last active administrator of one of ``sites``. The
    sites' rows are locked first (inside the caller's transaction), so that two
    administrators who remove each other at once are counted one after the other."""
    for site in Site.objects.select_for_update().filter(pk__in=sites).order_by("pk"):
        if _administrators(site) == {target.pk}:
            raise UserChangeRefused(
                f"{target.get_username()} is the last administrator of {site.name}: "
                "make another member its administrator first"
            )


def _whole_control(actor: Any, target: User, what: str) -> None:
    """Refuse a change of the whole account (its role, its being active) unless every site
    of ``target`` is administered by ``actor``."""
    if policy.administers_every_site(actor):
        return
    if _is_every_site(target):
        raise UserChangeRefused(
            f"{target.get_username()} administers every site: only an administrator of every "
            f"site may change their {what}"
        )
    mine = set(policy.administered_sites(actor).values_list("pk", flat=True))
    others = Site.objects.filter(pk__in=sites_of(target) - mine).values_list("name", flat=True)
    if others:
        raise UserChangeRefused(
            f"{target.get_username()} is also a member of {', '.join(others)}, which you do "
            f"not administer: ask an administrator of every site to change their {what}"
        )


def _not_self(actor: Any, target: User, what: str) -> None:
    if actor.pk == target.pk:
        raise UserChangeRefused(f"you cannot change your own {what}: ask another administrator")


def _audit(
    actor: Any,
    target: User,
    before: dict[str, object] | None,
    summary: str,
    action: Action = Action.UPDATE,
    site: Site | None = None,
) -> None:
    record(
        actor,
        action,
        target,
        before,
        snapshot(target),
        site_pk=site.pk if site is not None else None,
        summary=summary,
    )


def set_password_link(user: User) -> str:
    """The path of a one-time set-password link for ``user``: it stops working once the
    password is set (the token depends on the password hash) or after
    ``PASSWORD_RESET_TIMEOUT``."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:set_password", kwargs={"uidb64": uid, "token": token})


def _check_sites(actor: Any, sites: list[Site]) -> None:
    mine = set(policy.administered_sites(actor).values_list("pk", flat=True))
    outside = [s.name for s in sites if s.pk not in mine]
    if outside:
        raise UserChangeRefused(f"you do not administer {', '.join(outside)}")


def invite(
    actor: Any,
    username: str,
    role: str,
    sites: list[Site],
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Invitation:
    """A new active user without a password, with ``role`` at ``sites``, and the link with
    which they set their password."""
    require_manager(actor)
    if role not in Role.values:
        raise UserChangeRefused(f"unknown role {role!r}")
    _check_sites(actor, sites)
    if not sites and not policy.administers_every_site(actor):
        raise UserChangeRefused("choose at least one of your sites")
    if not sites and role == Role.ADMINISTRATOR:
        raise UserChangeRefused(
            "an administrator without sites would administer every site: choose their sites"
        )
    if User.objects.filter(username__iexact=username).exists():
        raise UserChangeRefused(f"the user name {username!r} is taken")
    with transaction.atomic():
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save()
        profile = Profile.objects.create(user=user, role=role)
        profile.sites.set(sites)
        names = ", ".join(s.name for s in sites) or "no site"
        _audit(
            actor,
            user,
            None,
            f"invited {username} as {profile.get_role_display()} at {names}",
            Action.CREATE,
            sites[0] if len(sites) == 1 else None,
        )
    return Invitation(user, set_password_link(user))


def change_role(actor: Any, target: User, role: str) -> None:
    require_manager(actor)
    if role not in Role.values:
        raise UserChangeRefused(f"unknown role {role!r}")
    _not_self(actor, target, "role")
    _whole_control(actor, target, "role")
    with transaction.atomic():
        before = snapshot(target)
        profile, _ = Profile.objects.select_for_update().get_or_create(user=target)
        if profile.role == role:
            return
        if role == Role.ADMINISTRATOR and not sites_of(target):
            raise UserChangeRefused(
                "an administrator without sites would administer every site: add their sites first"
            )
        if profile.role == Role.ADMINISTRATOR and target.is_active:
            _keep_administrators(target, sites_of(target))
        old = profile.get_role_display()
        profile.role = role
        profile.save(update_fields=["role"])
        _audit(
            actor,
            target,
            before,
            f"role of {target.get_username()}: {old} → {profile.get_role_display()}",
        )


def set_membership(actor: Any, target: User, site: Site, member: bool) -> None:
    """Add ``target`` to ``site`` or remove them from it (a site ``actor`` administers)."""
    require_manager(actor)
    _check_sites(actor, [site])
    _not_self(actor, target, "sites")
    with transaction.atomic():
        before = snapshot(target)
        profile, _ = Profile.objects.select_for_update().get_or_create(user=target)
        current = sites_of(target)
        if member == (site.pk in current):
            return
        if member:
            if target.is_superuser or (profile.role == Role.ADMINISTRATOR and not current):
                raise UserChangeRefused(
                    f"{target.get_username()} administers every site: a listed site would "
                    "limit them to it; change their role first"
                )
            profile.sites.add(site)
            summary = f"{target.get_username()} added to {site.name}"
        else:
            if profile.role == Role.ADMINISTRATOR:
                if current == {site.pk}:
                    raise UserChangeRefused(
                        f"{site.name} is the last site of administrator "
                        f"{target.get_username()}: without sites they would administer every "
                        "site; change their role first"
                    )
                if target.is_active:
                    _keep_administrators(target, {site.pk})
            profile.sites.remove(site)
            summary = f"{target.get_username()} removed from {site.name}"
        _audit(actor, target, before, summary, site=site)


def set_active(actor: Any, target: User, active: bool) -> None:
    """Deactivate (log-in refused, open sessions end) or reactivate ``target``."""
    require_manager(actor)
    _not_self(actor, target, "account")
    _whole_control(actor, target, "account")
    with transaction.atomic():
        target = User.objects.select_for_update().get(pk=target.pk)
        if target.is_active == active:
            return
        before = snapshot(target)
        profile = Profile.objects.filter(user=target).first()
        if not active and profile is not None and profile.role == Role.ADMINISTRATOR:
            _keep_administrators(target, sites_of(target))
        target.is_active = active
        target.save(update_fields=["is_active"])
        verb = "reactivated" if active else "deactivated"
        _audit(actor, target, before, f"{target.get_username()} {verb}")


def new_password_link(actor: Any, target: User) -> str:
    """A new set-password link for ``target`` (their current password stops working once
    they set a new one); audited without the link."""
    require_manager(actor)
    _not_self(actor, target, "password")
    _whole_control(actor, target, "password")
    if not target.is_active:
        raise UserChangeRefused(f"{target.get_username()} is deactivated: reactivate them first")
    _audit(actor, target, snapshot(target), f"set-password link made for {target.get_username()}")
    return set_password_link(target)


def filter_users(users: QuerySet[User], query: str) -> QuerySet[User]:
    """Users whose name, user name or e-mail contains ``query``."""
    query = query.strip()
    if not query:
        return users
    return users.filter(
        Q(username__icontains=query)
        | Q(email__icontains=query)
        | Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
    )
