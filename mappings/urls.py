from __future__ import annotations

from django.urls import path

from mappings import views

app_name = "mappings"

urlpatterns = [
    path("defaults/", views.defaults_index, name="defaults_index"),
    path("defaults/<str:provider>/", views.defaults_edit, name="defaults_edit"),
    path("projects/<str:pc_project_id>/keywords/", views.project_keywords, name="project_keywords"),
]
