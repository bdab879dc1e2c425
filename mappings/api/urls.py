"""The mappings app's routes under /api/v1/: a project's keyword lists and its connection's response mapping."""

from __future__ import annotations

from django.urls import path

from mappings.api.keywords import KeywordListsView, KeywordListView
from mappings.api.mapping import MappingView

urlpatterns = [
    path("projects/<str:pc_project_id>/keyword-lists/", KeywordListsView.as_view(), name="project-keyword-lists"),
    path(
        "projects/<str:pc_project_id>/keyword-lists/<str:kind>/", KeywordListView.as_view(), name="project-keyword-list"
    ),
    path("projects/<str:pc_project_id>/connection/mapping/", MappingView.as_view(), name="project-mapping"),
]
