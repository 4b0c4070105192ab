"""The user pages of administrators: invite, role, site membership, deactivation.

An administrator of site A sees and changes only members of site A; a change reaching beyond
their sites, one that takes their own role or account, or one that would leave a site without
an administrator is refused; every change is in the audit trail; users are never deleted.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from myotrack.web.accounts.models import Profile
from myotrack.web.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(sites: dict[str, Any], user_factory: Any) -> dict[str, Any]:
    """An administrator of site A, one of site B and a data-entry user of both."""
    return {
        "A": user_factory("admin_a", "administrator", [sites["A"]]),
        "B": user_factory("admin_b", "administrator", [sites["B"]]),
        "both": user_factory("entry_ab", "data_entry", [sites["A"], sites["B"]]),
    }


def url(name: str, target: Any) -> str:
    return reverse(f"accounts:{name}", kwargs={"user_id": target.pk})


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def role_of(user: Any) -> str:
    return str(Profile.objects.get(user=user).role)


def site_names(user: Any) -> set[str]:
    return set(Profile.objects.get(user=user).sites.values_list("name", flat=True))


def test_a_site_administrator_lists_only_members_of_their_sites(
    client: Client, users: dict[str, Any], admins: dict[str, Any]
) -> None:
    login(client, admins["A"])
    listed = {u.username for u, _ in client.get(reverse("accounts:users")).context["rows"]}
    assert listed == {"admin_a", "manager", "entry", "viewer", "entry_ab"}
    # the administrator of every site (no site listed) sees everyone
    login(client, users["administrator"])
    listed = {u.username for u, _ in client.get(reverse("accounts:users")).context["rows"]}
    assert {"manager_b", "admin_b", "admin_a", "admin"} <= listed


def test_a_site_administrator_gets_404_for_users_of_another_site(
    client: Client, users: dict[str, Any], admins: dict[str, Any], sites: dict[str, Any]
) -> None:
    login(client, admins["A"])
    before = AuditRecord.objects.count()
    for target in (users["manager_b"], admins["B"], users["administrator"]):
        assert client.get(url("user", target)).status_code == 404
        for name, data in (
            ("role", {"role": "viewer"}),
            ("sites", {"site": sites["A"].pk, "member": "1"}),
            ("active", {"active": "0"}),
            ("link", {}),
        ):
            assert client.post(url(name, target), data).status_code == 404, name
    assert AuditRecord.objects.count() == before
    assert role_of(users["manager_b"]) == "data_manager"
    assert site_names(users["manager_b"]) == {"Site B"}
    assert User.objects.get(pk=admins["B"].pk).is_active


def test_a_user_of_two_sites_changes_only_within_the_administered_site(
    client: Client, admins: dict[str, Any], sites: dict[str, Any]
) -> None:
    login(client, admins["A"])
    target = admins["both"]
    page = client.get(url("user", target))
    assert page.status_code == 200 and "Site B" in page.content.decode()
    # the role and the account reach site B too: refused
    response = client.post(url("role", target), {"role": "data_manager"})
    assert response.status_code == 400 and "Site B" in response.context["problem"]
    assert client.post(url("active", target), {"active": "0"}).status_code == 400
    assert role_of(target) == "data_entry" and User.objects.get(pk=target.pk).is_active
    # membership of site B is not the administrator's to change
    assert (
        client.post(url("sites", target), {"site": sites["B"].pk, "member": "0"}).status_code == 400
    )
    assert site_names(target) == {"Site A", "Site B"}
    # membership of site A is
    assert (
        client.post(url("sites", target), {"site": sites["A"].pk, "member": "0"}).status_code == 302
    )
    assert site_names(target) == {"Site B"}
    assert client.get(url("user", target)).status_code == 404, "no longer a member of site A"


@pytest.mark.parametrize("role", ["viewer", "data_entry", "data_manager"])
def test_non_administrators_get_403(
    client: Client, users: dict[str, Any], admins: dict[str, Any], role: str, sites: dict[str, Any]
) -> None:
    login(client, users[role])
    before = AuditRecord.objects.count()
    assert client.get(reverse("accounts:users")).status_code == 403
    assert client.get(reverse("accounts:invite")).status_code == 403
    invite = {"username": "new", "role": "administrator", "sites": [sites["A"].pk]}
    assert client.post(reverse("accounts:invite"), invite).status_code == 403
    target = users["data_entry"] if role == "viewer" else users["viewer"]
    assert client.get(url("user", target)).status_code == 403
    assert client.post(url("role", target), {"role": "administrator"}).status_code == 403
    assert client.post(url("active", target), {"active": "0"}).status_code == 403
    assert client.post(url("link", target), {}).status_code == 403
    assert AuditRecord.objects.count() == before
    assert not User.objects.filter(username="new").exists()
    assert b"Users</a>" not in client.get(reverse("patients:list")).content


def test_anonymous_users_are_sent_to_log_in(client: Client, admins: dict[str, Any]) -> None:
    for target in (reverse("accounts:users"), reverse("accounts:invite"), url("user", admins["A"])):
        response = client.get(target)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_invite_shows_a_one_time_link_that_sets_the_password(
    client: Client, admins: dict[str, Any], sites: dict[str, Any]
) -> None:
    login(client, admins["A"])
    response = client.post(
        reverse("accounts:invite"),
        {
            "username": "nurse1",
            "email": "n@example.org",
            "role": "data_entry",
            "sites": [sites["A"].pk],
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    link = re.search(
        r'value="(http://testserver/users/set-password/[^"]+)"', response.content.decode()
    )
    assert link, "the link is shown"
    user = User.objects.get(username="nurse1")
    assert not user.has_usable_password() and user.is_active
    assert role_of(user) == "data_entry" and site_names(user) == {"Site A"}
    created = AuditRecord.objects.get(model="auth.user", object_id=user.pk, action="create")
    assert created.username == "admin_a" and created.after["sites"] == ["Site A"]
    assert link.group(1) not in str(created.after) and "password" not in created.after
    assert not any(
        "pbkdf2" in str(r.after) or "md5$" in str(r.after) for r in AuditRecord.objects.all()
    )

    anonymous = Client()
    path = link.group(1).removeprefix("http://testserver")
    form_page = anonymous.get(path, follow=True)
    assert form_page.context["validlink"]
    new_password = "a long new password 1234"
    done = anonymous.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    assert anonymous.login(username="nurse1", password=new_password)
    assert AuditRecord.objects.filter(
        object_id=user.pk, summary__contains="set their password"
    ).exists()
    # used once: the link no longer works
    again = Client().get(path, follow=True)
    assert not again.context["validlink"]


def test_invite_refuses_sites_outside_and_taken_names(
    client: Client, admins: dict[str, Any], sites: dict[str, Any]
) -> None:
    login(client, admins["A"])
    before = User.objects.count()
    outside = client.post(
        reverse("accounts:invite"), {"username": "x1", "role": "viewer", "sites": [sites["B"].pk]}
    )
    assert outside.status_code == 200 and outside.context["form"].errors["sites"]
    none = client.post(reverse("accounts:invite"), {"username": "x2", "role": "viewer"})
    assert "at least one of your sites" in str(none.context["form"].non_field_errors())
    taken = client.post(
        reverse("accounts:invite"),
        {"username": "ADMIN_B", "role": "viewer", "sites": [sites["A"].pk]},
    )
    assert "taken" in str(taken.context["form"].non_field_errors())
    assert User.objects.count() == before


def test_role_change_and_membership_are_audited(
    client: Client, users: dict[str, Any], admins: dict[str, Any], sites: dict[str, Any]
) -> None:
    login(client, admins["A"])
    target = users["viewer"]
    assert client.post(url("role", target), {"role": "data_manager"}).status_code == 302
    assert role_of(target) == "data_manager"
    changed = AuditRecord.objects.filter(model="auth.user", object_id=target.pk).first()
    assert changed is not None and changed.username == "admin_a"
    assert ("role", "viewer", "data_manager") in changed.changes()
    page = client.get(url("user", target))
    assert "Viewer (read only) → Data manager" in page.content.decode()


def test_an_administrator_cannot_change_their_own_role_sites_or_account(
    client: Client, admins: dict[str, Any], sites: dict[str, Any], user_factory: Any
) -> None:
    user_factory("admin_a2", "administrator", [sites["A"]])  # not the last administrator
    me = admins["A"]
    login(client, me)
    before = AuditRecord.objects.count()
    assert client.post(url("role", me), {"role": "viewer"}).status_code == 400
    assert client.post(url("active", me), {"active": "0"}).status_code == 400
    assert client.post(url("sites", me), {"site": sites["A"].pk, "member": "0"}).status_code == 400
    assert "own" in client.post(url("role", me), {"role": "viewer"}).context["problem"]
    assert role_of(me) == "administrator" and site_names(me) == {"Site A"}
    assert User.objects.get(pk=me.pk).is_active
    assert AuditRecord.objects.count() == before


def test_the_last_administrator_of_a_site_stays(
    client: Client, users: dict[str, Any], admins: dict[str, Any], sites: dict[str, Any]
) -> None:
    """admin_b is the only administrator listed at site B; the administrator of every site
    cannot take that away (by role, membership or deactivation) until site B has another."""
    login(client, users["administrator"])
    target = admins["B"]
    for name, data in (
        ("role", {"role": "data_manager"}),
        ("active", {"active": "0"}),
    ):
        response = client.post(url(name, target), data)
        assert response.status_code == 400, name
        assert "last administrator of Site B" in response.context["problem"]
    # a second site for admin_b, then removing site B is still refused
    assert (
        client.post(url("sites", target), {"site": sites["A"].pk, "member": "1"}).status_code == 302
    )
    removed = client.post(url("sites", target), {"site": sites["B"].pk, "member": "0"})
    assert (
        removed.status_code == 400 and "last administrator of Site B" in removed.context["problem"]
    )
    assert role_of(target) == "administrator" and User.objects.get(pk=target.pk).is_active
    # once manager_b is made an administrator too, admin_b may be deactivated
    assert (
        client.post(url("role", users["manager_b"]), {"role": "administrator"}).status_code == 302
    )
    assert client.post(url("active", target), {"active": "0"}).status_code == 302
    assert not User.objects.get(pk=target.pk).is_active
    # deactivated, not deleted: the trail keeps the user and what was done to them
    assert AuditRecord.objects.filter(object_id=target.pk, summary__contains="deactivated").exists()
    # ... and the last one left (manager_b) cannot be deactivated
    assert client.post(url("active", users["manager_b"]), {"active": "0"}).status_code == 400


def test_a_deactivated_user_cannot_log_in_and_their_session_ends(
    client: Client, users: dict[str, Any], admins: dict[str, Any], password: str
) -> None:
    target = users["viewer"]
    theirs = Client()
    assert theirs.login(username="viewer", password=password)
    assert theirs.get(reverse("patients:list")).status_code == 200
    login(client, admins["A"])
    assert client.post(url("active", target), {"active": "0"}).status_code == 302
    assert theirs.get(reverse("patients:list")).status_code == 302, "sent to log in"
    assert not Client().login(username="viewer", password=password)
    assert User.objects.filter(pk=target.pk).exists()
    # a set-password link is not made for, and does not work for, a deactivated user
    assert client.post(url("link", target)).status_code == 400
    assert client.post(url("active", target), {"active": "1"}).status_code == 302
    assert Client().login(username="viewer", password=password)


def test_a_new_link_is_shown_once_and_the_old_password_works_until_it_is_used(
    client: Client, users: dict[str, Any], admins: dict[str, Any], password: str
) -> None:
    login(client, admins["A"])
    response = client.post(url("link", users["data_entry"]))
    assert response.status_code == 200
    assert re.search(r"/users/set-password/[^/]+/[^/\"]+/", response.content.decode())
    assert Client().login(username="entry", password=password)
    record = AuditRecord.objects.filter(object_id=users["data_entry"].pk).first()
    assert record is not None and "set-password link made" in record.summary
    assert "set-password/" not in str(record.after)


def test_a_site_administrator_cannot_raise_a_user_beyond_their_sites(
    client: Client, users: dict[str, Any], admins: dict[str, Any], sites: dict[str, Any]
) -> None:
    """An administrator whose profile lists no site administers every site; a site
    administrator can make none: neither by invitation nor by removing an administrator's
    last site."""
    login(client, admins["A"])
    assert client.post(url("role", users["viewer"]), {"role": "administrator"}).status_code == 302
    removed = client.post(url("sites", users["viewer"]), {"site": sites["A"].pk, "member": "0"})
    assert removed.status_code == 400 and "last site" in removed.context["problem"]
    assert site_names(users["viewer"]) == {"Site A"}


def test_a_site_administrator_sees_only_the_patients_of_their_sites(
    client: Client, admins: dict[str, Any], patients: dict[str, Any]
) -> None:
    login(client, admins["A"])
    listed = client.get(reverse("patients:list"))
    assert [p.code for p in listed.context["page"]] == ["PA-1"]
    b = reverse("patients:detail", kwargs={"patient": patients["B"].pk})
    assert client.get(b).status_code == 404
    trail = client.get(reverse("audit:list")).context["page"]
    assert all(r.site_pk in (None, patients["A"].site_id) for r in trail)
    assert all(r.site_pk is not None or r.username == "admin_a" for r in trail)
