"""ModelAdmin base that records every change support staff make in admin as an AuditEvent."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.contrib import admin
from django.db import models
from django.forms import BaseModelForm
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from connector_portal.models import Firm, User
from connector_portal.services import audit_record, snapshot

M = TypeVar("M", bound=models.Model)


def admin_user(request: HttpRequest) -> User:
    """The support staff member acting in admin: the admin site lets nobody else in."""
    assert isinstance(request.user, User), "the admin site admits only signed-in staff"
    return request.user


def firm_of(obj: models.Model) -> Firm | None:
    if isinstance(obj, Firm):
        return obj
    return getattr(obj, "firm", None)


def _fresh(obj: models.Model) -> models.Model | None:
    return type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk else None


def _audit(request: HttpRequest, verb: str, obj: models.Model, before: Any, after: Any) -> None:
    audit_record(
        action=f"admin.{obj._meta.model_name}.{verb}",
        firm=firm_of(obj),
        target=obj,
        before=before,
        after=after,
        request=request,
    )


class AuditedAdmin(admin.ModelAdmin, Generic[M]):
    def save_model(self, request: HttpRequest, obj: M, form: BaseModelForm, change: bool) -> None:
        before = snapshot(_fresh(obj)) if change else None
        super().save_model(request, obj, form, change)
        _audit(request, "change" if change else "create", obj, before, snapshot(obj))

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        before = snapshot(obj)
        firm = None if isinstance(obj, Firm) else firm_of(obj)  # a deleted firm cannot be referenced
        super().delete_model(request, obj)
        audit_record(
            action=f"admin.{obj._meta.model_name}.delete", firm=firm, target=obj, before=before, request=request
        )

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: BaseModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        before = {
            id(f.instance): snapshot(_fresh(f.instance))
            for f in formset.initial_forms
            if f.instance.pk and (f.has_changed() or f in formset.deleted_forms)
        }
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            _audit(request, "create", obj, None, snapshot(obj))
        for obj, _fields in formset.changed_objects:
            _audit(request, "change", obj, before.get(id(obj)), snapshot(obj))
        for obj in formset.deleted_objects:
            audit_record(
                action=f"admin.{obj._meta.model_name}.delete",
                firm=firm_of(obj),
                target=obj,
                before=before.get(id(obj)),
                request=request,
            )
