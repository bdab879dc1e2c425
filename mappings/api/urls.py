"""The mappings app's routes under /api/v1/: a project's keyword lists."""

from __future__ import annotations

from django.urls import path

from mappings.api.keywords import KeywordListsView, KeywordListView

urlpatterns = [
    path("projects/<str:pc_project_id>/keyword-lists/", KeywordListsView.as_view(), name="project-keyword-lists"),
    path(
        "projects/<str:pc_project_id>/keyword-lists/<str:kind>/", KeywordListView.as_view(), name="project-keyword-list"
    ),
]
