"""Every /api/v1/ route, read from the URL resolver, and how to call it for a firm.

A new endpoint must add one entry to ROUTE_CASES (a factory that creates the firm's object and returns the URL kwargs,
plus a valid body for its writes). Until it does, test_every_api_route_has_a_case fails; once it does, the generic
tests prove 401 for bad tokens and 404 / no leak for another firm's token on every operation of the route.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from connector_portal.models import Firm, ProjectCenterProject
from tests.api.factories import full_mapping, linked_add

API_V1 = "api/v1/"


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, e.g. "api-v1:project-detail"
    path: str  # the route as written, for messages
    methods: tuple[str, ...]
    is_detail: bool  # addresses one object through URL kwargs


def _methods(callback: Any) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)  # a DRF viewset bound to this route
    if actions:
        return tuple(sorted(method.upper() for method in actions))
    view_class = callback.cls
    names = [m for m in view_class.http_method_names if m not in ("options", "head") and hasattr(view_class, m)]
    return tuple(sorted(m.upper() for m in names))


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, ns)
        else:
            yield route.replace("^", "").replace("\\Z", "").replace("$", ""), namespace, pattern


def api_routes() -> list[Route]:
    routes = []
    for path, namespace, pattern in _walk(get_resolver().url_patterns):
        if not path.startswith(API_V1) or pattern.name is None:
            continue
        if path.endswith(".(?P<format>[a-z0-9]+)/?"):
            continue  # format-suffix twins, if a router ever adds them
        routes.append(
            Route(
                name=f"{namespace}{pattern.name}",
                path=path,
                methods=_methods(pattern.callback),
                is_detail=bool(pattern.pattern.regex.groupindex),
            )
        )
    return sorted(routes, key=lambda r: r.name)


@dataclass(frozen=True)
class RouteCase:
    """How to call a route for `firm`: `make` creates the firm's object(s) and returns the URL kwargs."""

    make: Callable[[Firm], dict[str, str]]
    body: Callable[[Firm], dict[str, Any]] = lambda firm: {}
    # Methods that create when nothing is found (PUT upsert): another firm's call makes its own row instead of a 404.
    upsert_methods: frozenset[str] = field(default_factory=frozenset)
    # Request headers a valid call needs (e.g. Idempotency-Key).
    headers: Callable[[Firm], dict[str, str]] = lambda firm: {}


def make_project(firm: Firm) -> dict[str, str]:
    project = ProjectCenterProject.objects.create(
        firm=firm, pc_project_id=f"PC-{firm.slug}", name=f"Project of {firm.name}", number=f"N-{firm.slug}"
    )
    return {"pc_project_id": project.pc_project_id}


def project_body(firm: Firm) -> dict[str, Any]:
    return {"pc_project_id": f"PC-new-{firm.slug}", "name": "A new project", "number": "1"}


ROUTE_CASES: dict[str, RouteCase] = {
    "api-v1:firm": RouteCase(make=lambda firm: {}),
    "api-v1:project-list": RouteCase(make=lambda firm: (make_project(firm), {})[1], body=project_body),
    "api-v1:project-detail": RouteCase(
        make=make_project,
        body=lambda firm: {"name": "Renamed", "number": "2"},
        upsert_methods=frozenset({"PUT"}),
    ),
}


def linked_project(firm: Firm) -> dict[str, str]:
    return {"pc_project_id": linked_add(firm).project.pc_project_id}


ROUTE_CASES.update(
    {
        "api-v1:project-keyword-lists": RouteCase(make=linked_project),
        "api-v1:project-keyword-list": RouteCase(
            make=lambda firm: {**linked_project(firm), "kind": "rfi_action"},
            body=lambda firm: {"entries": [{"name": "Request for Information", "type": "Receive"}]},
        ),
        "api-v1:project-connection": RouteCase(make=linked_project),
        "api-v1:project-sync": RouteCase(make=linked_project),
        "api-v1:project-mapping": RouteCase(make=linked_project, body=lambda firm: {"rows": full_mapping()}),
        "api-v1:run-detail": RouteCase(make=lambda firm: {"run_id": str(linked_add(firm).run.pk)}),
        "api-v1:feed": RouteCase(make=lambda firm: (linked_add(firm), {})[1]),
        "api-v1:feed-acknowledge": RouteCase(
            make=lambda firm: {"position": str(linked_add(firm).entry.position)},
            body=lambda firm: {"pc_item_id": f"PCI-{firm.pk}"},
        ),
        "api-v1:item-responses": RouteCase(
            make=lambda firm: {"item_id": str(linked_add(firm).item.pk)},
            body=lambda firm: {"keyword": "Approved", "comment": "Fine."},
            headers=lambda firm: {"Idempotency-Key": f"route-case-{firm.pk}"},
        ),
        "api-v1:response-detail": RouteCase(make=lambda firm: {"response_id": str(linked_add(firm).response.pk)}),
    }
)


def upload_declared(firm: Firm) -> dict[str, str]:
    """An upload declared for the bytes the generic tests PUT (their JSON body, `{}`)."""
    from django.utils import timezone

    from projects.models import ResponseUpload

    upload = ResponseUpload.objects.create(
        firm=firm,
        filename="markup.pdf",
        content_type="application/pdf",
        size=2,
        sha256=hashlib.sha256(b"{}").hexdigest(),
        idempotency_key=f"route-upload-{firm.pk}",
        request_hash="",
        created_at=timezone.now(),
    )
    return {"upload_id": str(upload.pk)}


ROUTE_CASES.update(
    {
        "api-v1:uploads": RouteCase(
            make=lambda firm: {},
            body=lambda firm: {"filename": "markup.pdf", "size": 2, "sha256": hashlib.sha256(b"{}").hexdigest()},
            headers=lambda firm: {"Idempotency-Key": f"route-upload-new-{firm.pk}"},
        ),
        "api-v1:upload-detail": RouteCase(make=upload_declared),
        "api-v1:upload-content": RouteCase(make=upload_declared),
    }
)
