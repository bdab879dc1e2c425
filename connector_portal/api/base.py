"""The API base classes: they own authentication, firm resolution, tenant filtering, throttling and the error shape.

How to add a firm-scoped endpoint
---------------------------------
1. Subclass `FirmViewSet` (or `FirmAPIView` for one thing that is not a row, like the firm itself). Declare the
   rows with `firm_queryset = Model.objects.all()` or, when it needs the firm, `def get_firm_queryset(self, firm)`.
   Never define `get_queryset`, `get_object`, `queryset`, `authentication_classes`, `permission_classes` or `initial`:
   the class refuses to be defined. Every queryset is filtered by `firm` here, so another firm's row answers 404
   exactly like a missing one.
2. Read `self.firm` (never a firm id from the request). A nested route finds its parent with
   `self.get_firm_object(Project.objects.all(), pc_project_id=...)`. Write through a service with
   `**audit_actor(self.request)` so the token (or the signed-in user) is the audit actor.
3. Serializers subclass `StrictModelSerializer` / `StrictSerializer` (unknown fields and wrong types answer 400).
   For a 409 or 422, raise `connector_portal.api.errors.ApiError(status_code=..., code=..., message=..., details=...)`;
   every error leaves as `{"code", "message", "details"}`.
4. Decorate each operation with `extend_schema(..., responses={200: X, **error_responses(404, ...)}, examples=[...])`.
5. Register the route in the owning app's `api/urls.py` (included under `/api/v1/`), run `make schema`, and add a
   factory for the route in `tests/api/routes.py`: the generic tests then prove 401 for bad tokens and 404 for another
   firm's token, and fail until you do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from django.db import models
from django.http import Http404
from rest_framework import generics, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.metadata import SimpleMetadata
from rest_framework.pagination import BasePagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from connector_portal import logcontext
from connector_portal.api.authentication import PortalSessionAuthentication, ServiceTokenAuthentication
from connector_portal.api.errors import api_exception_handler
from connector_portal.api.pagination import FirmCursorPagination
from connector_portal.api.parsers import StrictJSONParser
from connector_portal.api.permissions import ActsForOneFirm, request_firm
from connector_portal.api.renderers import BrowsableAPIRenderer
from connector_portal.api.throttling import FirmApiThrottle
from connector_portal.models import Firm, ServiceAccountToken, User
from connector_portal.tenancy import get_for_firm_or_404, lookup_ok, scoped

M = TypeVar("M", bound=models.Model)

# What a subclass may not define: each would let it skip authentication or the firm filter.
SEALED = (
    "get_queryset",
    "get_object",
    "queryset",
    "authentication_classes",
    "permission_classes",
    "throttle_classes",
    "parser_classes",
    "initial",
)


def audit_actor(request: Request) -> dict[str, Any]:
    """Keyword arguments for `audit_record`: the token as actor for Project Center, else the signed-in user."""
    token = request.auth if isinstance(request.auth, ServiceAccountToken) else None
    return {"actor_token": token, "request": request}


def acting_user(request: Request) -> User | None:
    """The signed-in person using the browsable API, or None for Project Center's token (for `updated_by` fields)."""
    return None if isinstance(request.auth, ServiceAccountToken) or not request.user.is_authenticated else request.user


def _check_lookup(value: object) -> None:
    if value is not None and not lookup_ok(str(value)):
        raise NotFound()  # NUL or control characters cannot name a row, and must never reach the database


def _sealed_value(name: str) -> Any:
    return getattr(FirmScopedMixin, name, None)


class FirmMetadata(SimpleMetadata):
    """OPTIONS: the request body of each write, described without looking up an object (DRF's default calls
    `get_object()`, which views with their own lookups do not use)."""

    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        return {
            method: self.get_serializer_info(view.get_serializer())
            for method in sorted({"PUT", "POST"} & set(view.allowed_methods))
        }


class FirmApiRequest(Request):
    """A DRF request once `FirmScopedMixin.initial` has run: `firm` is the one firm it acts for."""

    firm: Firm


# The checker sees the mixin as the view it is mixed into, so its overrides are checked against DRF's.
if TYPE_CHECKING:
    _MixinBase = generics.GenericAPIView
else:
    _MixinBase = object


class FirmScopedMixin(_MixinBase):
    """Resolves `self.firm` after authentication and filters every queryset through it."""

    firm_queryset: ClassVar[models.QuerySet | None] = None
    firm: Firm

    # The token first: its authenticate_header makes "not authenticated" a 401.
    authentication_classes = (ServiceTokenAuthentication, PortalSessionAuthentication)
    permission_classes = (ActsForOneFirm,)
    throttle_classes = (FirmApiThrottle,)
    renderer_classes = (JSONRenderer, BrowsableAPIRenderer)
    parser_classes = (StrictJSONParser,)
    pagination_class: type[BasePagination] | None = FirmCursorPagination
    metadata_class = FirmMetadata

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Compare with the base's own attribute, so a mixin earlier in the MRO cannot override it either.
        overridden = sorted(name for name in SEALED if getattr(cls, name, None) is not _sealed_value(name))
        if overridden:
            raise TypeError(
                f"{cls.__name__} defines {', '.join(overridden)}: firm-scoped API views may not. "
                "Declare `firm_queryset` or `get_firm_queryset(self, firm)` instead (see connector_portal.api.base)."
            )

    def get_exception_handler(self) -> Any:
        return api_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authenticate, permit, throttle
        firm = request_firm(request)
        assert firm is not None  # ActsForOneFirm has refused the request otherwise
        self.firm = firm
        # Shadow the middleware's session firm: with a token, the token's firm is the only firm.
        cast(FirmApiRequest, request).firm = firm
        logcontext.bind(firm_id=firm.pk)

    def get_firm_queryset(self, firm: Firm) -> models.QuerySet:
        if self.firm_queryset is None:
            raise NotImplementedError(f"{type(self).__name__} must declare firm_queryset or get_firm_queryset().")
        return self.firm_queryset.all()

    def get_queryset(self) -> models.QuerySet:
        # Filter again whatever get_firm_queryset returned: a subclass cannot widen it to other firms.
        return scoped(self.get_firm_queryset(self.firm), firm=self.firm)

    def get_object(self) -> models.Model:
        _check_lookup(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        try:
            return super().get_object()
        except (ValueError, TypeError) as exc:  # a lookup value of the wrong type is simply not found
            raise NotFound() from exc

    def get_firm_object(self, queryset: models.QuerySet[M], **lookup: object) -> M:
        """One of the firm's rows, e.g. the parent project of a nested route: 404 when missing or another firm's."""
        for value in lookup.values():
            _check_lookup(value)
        try:
            return get_for_firm_or_404(queryset, firm=self.firm, **lookup)
        except Http404 as exc:
            raise NotFound() from exc


class FirmAPIView(FirmScopedMixin, generics.GenericAPIView):
    """For endpoints about one thing that is not a row lookup (e.g. the firm itself)."""


class FirmViewSet(FirmScopedMixin, viewsets.GenericViewSet):
    """For collections of firm-owned rows; add DRF's mixins or your own actions."""
