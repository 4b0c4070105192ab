"""The log-in form (Django's, telling a locked-out user until when) and the forms of the user
pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.db.models import QuerySet

from .backends import locked_until
from .models import Role, Site


class LoginForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        try:
            return super().clean()
        except forms.ValidationError:
            until = locked_until(username) if username else None
            if until is not None:
                raise forms.ValidationError(
                    f"Too many failed log-ins: this account is locked until {until:%H:%M} UTC.",
                    code="locked",
                ) from None
            raise


class InviteForm(forms.Form):
    """A new user: name, role and sites (among the sites the administrator administers)."""

    username = forms.CharField(
        max_length=150,
        validators=[User.username_validator],
        help_text="letters, digits and @ . + - _ only",
    )
    email = forms.EmailField(required=False)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["sites"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = sites


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class MembershipForm(forms.Form):
    """Add the user to a site, or remove them from it."""

    site = forms.ModelChoiceField(queryset=Site.objects.none())
    member = forms.TypedChoiceField(
        choices=[("1", "add"), ("0", "remove")], coerce=lambda v: v == "1"
    )

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["site"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = sites


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("1", "reactivate"), ("0", "deactivate")], coerce=lambda v: v == "1"
    )
