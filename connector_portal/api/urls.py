"""Routes under /api/: version 1 of the API, its OpenAPI schema and docs, and a JSON 404 for everything else.

Each app owns its endpoints (`<app>/api/urls.py`); version 1 includes their routes, all in the `api-v1` namespace.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from connector_portal.api.errors import api_not_found
from connector_portal.api.firm import FirmView

API_V1_PREFIX = "v1/"

v1_patterns: list[URLPattern | URLResolver] = [
    path("firm/", FirmView.as_view(), name="firm"),
    # Named by string, not imported: the apps' endpoints stand above the tenancy core that holds this root.
    path("", include("projects.api.urls")),
    path("", include("mappings.api.urls")),
]

urlpatterns = [
    path(API_V1_PREFIX, include((v1_patterns, "api-v1"))),
    # The schema is public and needs no credentials (an Authorization header meant for v1 must not break it).
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[]), name="api-schema"),
    # Swagger UI from drf-spectacular-sidecar: served by the portal itself, so the docs work without a CDN. The split
    # view serves its start-up script as a file (?script), as the Content-Security-Policy allows no inline script.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", authentication_classes=[], template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # Any character, a newline too: with "." /api/v1/runs/%0A/ would fall through to the HTML 404 page.
    re_path(r"^[\s\S]*$", api_not_found),
]
