"""Log-in and log-out (Django's views with the lock-out form), setting a password from a
one-time link, and the user pages of site administrators (see :mod:`.services`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ..audit.models import Action, AuditRecord
from ..audit.services import record
from ..policy import policy
from . import services
from .forms import ActiveForm, InviteForm, LoginForm, MembershipForm, RoleForm
from .models import Profile, Site

PAGE_SIZE = 100


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The invited (or reset) user chooses their password; the link then stops working."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("login")

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: Any) -> HttpResponse:
        before = services.snapshot(self.user)
        response = super().form_valid(form)
        record(
            self.user,
            Action.UPDATE,
            self.user,
            before,
            services.snapshot(self.user),
            summary=f"{self.user.get_username()} set their password",
        )
        messages.success(self.request, "Your password is set: log in with it.")
        return response


def _sites_label(user: User) -> str:
    return ", ".join(s.name for s in user.profile.sites.all()) if hasattr(user, "profile") else ""


def user_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    users = services.filter_users(services.visible_users(request.user), query)
    users = users.select_related("profile").prefetch_related("profile__sites").order_by("username")
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/users.html",
        {
            "page": page,
            "q": query,
            "rows": [(u, _sites_label(u)) for u in page],
            "every_site": policy.administers_every_site(request.user),
        },
    )


@never_cache
def user_invite(request: HttpRequest) -> HttpResponse:
    services.require_manager(request.user)
    form = InviteForm(request.POST or None, sites=policy.administered_sites(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.invite(
                request.user,
                data["username"],
                data["role"],
                list(data["sites"]),
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except services.UserChangeRefused as err:
            form.add_error(None, str(err))
        else:
            return _link_page(request, invitation.user, invitation.link, invited=True)
    return render(request, "accounts/invite.html", {"form": form})


def _link_page(request: HttpRequest, target: User, link: str, invited: bool) -> HttpResponse:
    """The set-password link, on this response only: not stored, not redirected to, not
    cached."""
    return render(
        request,
        "accounts/link.html",
        {
            "target": target,
            "link": request.build_absolute_uri(link),
            "invited": invited,
            "timeout_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        },
    )


def _detail(request: HttpRequest, target: User, problem: str = "", status: int = 200) -> Any:
    profile = Profile.objects.filter(user=target).first()
    member_of = set(services.sites_of(target))
    administered = policy.administered_sites(request.user)
    history = AuditRecord.objects.filter(model="auth.user", object_id=target.pk)
    return render(
        request,
        "accounts/user.html",
        {
            "target": target,
            "profile": profile,
            "sites": [(s, s.pk in member_of) for s in administered],
            "other_sites": Site.objects.filter(pk__in=member_of)
            .exclude(pk__in=administered.values("pk"))
            .values_list("name", flat=True),
            "role_form": RoleForm(initial={"role": profile.role if profile else None}),
            "problem": problem,
            "page": Paginator(history, PAGE_SIZE).get_page(request.GET.get("page")),
            "is_self": target.pk == request.user.pk,
        },
        status=status,
    )


def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    return _detail(request, services.user_for(request.user, user_id))


def _change(request: HttpRequest, user_id: int, form_class: Any, apply: Any) -> HttpResponse:
    """Apply one change from a POSTed form; a refused or invalid change shows why (400)."""
    target = services.user_for(request.user, user_id)
    extra = (
        {"sites": policy.administered_sites(request.user)} if form_class is MembershipForm else {}
    )
    form = form_class(request.POST, **extra)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return _detail(request, target, f"the change was not understood ({errors})", 400)
    try:
        done = apply(target, form.cleaned_data)
    except services.UserChangeRefused as err:
        return _detail(request, target, str(err), 400)
    if isinstance(done, HttpResponse):
        return done
    messages.success(request, "Saved.")
    return redirect("accounts:user", user_id=target.pk)


@require_POST
def user_role(request: HttpRequest, user_id: int) -> HttpResponse:
    return _change(
        request,
        user_id,
        RoleForm,
        lambda target, data: services.change_role(request.user, target, data["role"]),
    )


@require_POST
def user_sites(request: HttpRequest, user_id: int) -> HttpResponse:
    return _change(
        request,
        user_id,
        MembershipForm,
        lambda target, data: services.set_membership(
            request.user, target, data["site"], data["member"]
        ),
    )


@require_POST
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    return _change(
        request,
        user_id,
        ActiveForm,
        lambda target, data: services.set_active(request.user, target, data["active"]),
    )


class _NoFields:
    """A form without fields, for a POST that carries nothing but its CSRF token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.errors: dict[str, list[str]] = {}
        self.cleaned_data: dict[str, Any] = {}

    def is_valid(self) -> bool:
        return True


@require_POST
@never_cache
def user_link(request: HttpRequest, user_id: int) -> HttpResponse:
    def make(target: User, _data: object) -> HttpResponse:
        link = services.new_password_link(request.user, target)
        return _link_page(request, target, link, invited=False)

    return _change(request, user_id, _NoFields, make)
