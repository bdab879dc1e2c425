"""The rows mapping tables and keyword lists hang off, as mappings sees them, without importing the projects app.

A connection's table belongs to a link and a keyword list to a Project Center project; both live in `projects`, one
layer up. This app's foreign keys name those models as strings (so Django resolves them), and these protocols describe
the few attributes mappings reads from them. Locking such a parent goes through the foreign key's own related model.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.db import models

from connector_portal.models import Firm


class ProjectLike(Protocol):
    """A Project Center project: what a keyword list belongs to."""

    @property
    def pk(self) -> Any: ...
    @property
    def firm(self) -> Firm: ...
    @property
    def firm_id(self) -> int: ...


class LinkLike(Protocol):
    """A project connection: what a connection's mapping table belongs to."""

    @property
    def pk(self) -> Any: ...
    @property
    def firm(self) -> Firm: ...
    @property
    def firm_id(self) -> int: ...
    @property
    def provider(self) -> str: ...
    @property
    def project(self) -> ProjectLike: ...


def parent_lock(model: type[models.Model], field: str, pk: Any) -> None:
    """Lock the row `model.field` points at: a child that does not exist yet cannot be locked, its parent can."""
    parent = model._meta.get_field(field).related_model
    assert isinstance(parent, type) and issubclass(parent, models.Model)  # a foreign key always has a model
    parent._default_manager.select_for_update().filter(pk=pk).first()
