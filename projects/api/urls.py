"""The projects app's routes under /api/v1/: projects, their connection, its mapping and runs, the feed, responses."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

import connector_portal.api.converters  # noqa: F401  (registers the `rowid` converter)
from projects.api.connection import ConnectionView, SyncNowView
from projects.api.feed import FeedAcknowledgeView, FeedView
from projects.api.mapping import MappingView
from projects.api.projects import ProjectViewSet
from projects.api.responses import ItemResponsesView, ResponseView
from projects.api.runs import RunView
from projects.api.uploads import UploadContentView, UploadsView, UploadView

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")

urlpatterns = [
    *router.urls,
    path("projects/<str:pc_project_id>/connection/", ConnectionView.as_view(), name="project-connection"),
    path("projects/<str:pc_project_id>/connection/sync/", SyncNowView.as_view(), name="project-sync"),
    path("projects/<str:pc_project_id>/connection/mapping/", MappingView.as_view(), name="project-mapping"),
    path("runs/<rowid:run_id>/", RunView.as_view(), name="run-detail"),
    path("feed/", FeedView.as_view(), name="feed"),
    path("feed/<rowid:position>/acknowledge/", FeedAcknowledgeView.as_view(), name="feed-acknowledge"),
    path("items/<rowid:item_id>/responses/", ItemResponsesView.as_view(), name="item-responses"),
    path("responses/<rowid:response_id>/", ResponseView.as_view(), name="response-detail"),
    path("uploads/", UploadsView.as_view(), name="uploads"),
    path("uploads/<rowid:upload_id>/", UploadView.as_view(), name="upload-detail"),
    path("uploads/<rowid:upload_id>/content/", UploadContentView.as_view(), name="upload-content"),
]
