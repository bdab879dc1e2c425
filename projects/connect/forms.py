from __future__ import annotations

from typing import Any

from django import forms

from projects.models import ProjectLink
from providers.types import ProviderProject


class ConnectionSettingsForm(forms.Form):
    """Which item kinds to sync. A kind the provider project cannot sync is shown disabled with the reason."""

    sync_submittals = forms.BooleanField(label="Submittals", required=False)
    sync_rfis = forms.BooleanField(label="RFIs", required=False)

    def __init__(
        self, data: Any = None, *, provider_project: ProviderProject | None = None, link: ProjectLink | None = None
    ) -> None:
        initial = {"sync_submittals": True, "sync_rfis": True}
        if link is not None:
            initial = {"sync_submittals": link.sync_submittals, "sync_rfis": link.sync_rfis}
        super().__init__(data, initial=initial)
        self.submittals_unavailable = ""
        supported = (
            provider_project.supports_submittals if provider_project else link is None or link.supports_submittals
        )
        if not supported:
            self.submittals_unavailable = (
                "This is a BIM 360 project: Autodesk offers no submittals API for BIM 360, so only RFIs can sync. "
                "Projects on Autodesk Construction Cloud sync both."
            )
            self.fields["sync_submittals"].disabled = True
            self.fields["sync_submittals"].initial = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("sync_submittals") and not cleaned.get("sync_rfis"):
            raise forms.ValidationError("Choose at least one kind of item to sync: submittals, RFIs or both.")
        return cleaned
