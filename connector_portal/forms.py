from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm
from django import forms

from connector_portal.selectors import login_refusal_reason


class PortalLoginForm(LoginForm):
    """allauth's login form, refusing people whose firm is deactivated, with the reason on the form."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = getattr(self, "user", None)
        if user is not None:
            reason = login_refusal_reason(user=user)
            if reason:
                raise forms.ValidationError(reason, code="firm_inactive")
        return cleaned


class FirmSwitchForm(forms.Form):
    firm = forms.SlugField(label="Firm")
