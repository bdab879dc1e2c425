from __future__ import annotations

from django.urls import path

import connector_portal.converters  # noqa: F401  (registers the `segment` converter)
from mappings import views

app_name = "mappings"

urlpatterns = [
    path("defaults/", views.defaults_index, name="defaults_index"),
    path("defaults/<segment:provider>/", views.defaults_edit, name="defaults_edit"),
    path("projects/<segment:pc_project_id>/keywords/", views.project_keywords, name="project_keywords"),
]
