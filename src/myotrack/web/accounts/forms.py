"""The log-in form: Django's, telling a locked-out user until when."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .backends import locked_until


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
