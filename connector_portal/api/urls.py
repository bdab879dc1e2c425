"""Routes under /api/: version 1 of the API, its OpenAPI schema and docs, and a JSON 404 for everything else."""

from __future__ import annotations

from django.urls import include, path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from connector_portal.api.connection import ConnectionView, RunView, SyncNowView
from connector_portal.api.errors import api_not_found
from connector_portal.api.feed import FeedAcknowledgeView, FeedView
from connector_portal.api.firm import FirmView
from connector_portal.api.keywords import KeywordListsView, KeywordListView
from connector_portal.api.mapping import MappingView
from connector_portal.api.projects import ProjectViewSet
from connector_portal.api.responses import ItemResponsesView, ResponseView

API_V1_PREFIX = "v1/"


class RowIdConverter:
    """A row id or feed position: at most 18 digits, so it always fits the database's 64-bit integer."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "rowid")

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")

v1_patterns = [
    path("firm/", FirmView.as_view(), name="firm"),
    *router.urls,
    path("projects/<str:pc_project_id>/keyword-lists/", KeywordListsView.as_view(), name="project-keyword-lists"),
    path(
        "projects/<str:pc_project_id>/keyword-lists/<str:kind>/", KeywordListView.as_view(), name="project-keyword-list"
    ),
    path("projects/<str:pc_project_id>/connection/", ConnectionView.as_view(), name="project-connection"),
    path("projects/<str:pc_project_id>/connection/sync/", SyncNowView.as_view(), name="project-sync"),
    path("projects/<str:pc_project_id>/connection/mapping/", MappingView.as_view(), name="project-mapping"),
    path("runs/<rowid:run_id>/", RunView.as_view(), name="run-detail"),
    path("feed/", FeedView.as_view(), name="feed"),
    path("feed/<rowid:position>/acknowledge/", FeedAcknowledgeView.as_view(), name="feed-acknowledge"),
    path("items/<rowid:item_id>/responses/", ItemResponsesView.as_view(), name="item-responses"),
    path("responses/<rowid:response_id>/", ResponseView.as_view(), name="response-detail"),
]

urlpatterns = [
    path(API_V1_PREFIX, include((v1_patterns, "api-v1"))),
    # The schema is public and needs no credentials (an Authorization header meant for v1 must not break it).
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[]), name="api-schema"),
    # Swagger UI from drf-spectacular-sidecar: served by the portal itself, so the docs work without a CDN.
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", authentication_classes=[]), name="api-docs"),
    re_path(r"^.*$", api_not_found),
]
