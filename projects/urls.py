from __future__ import annotations

from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("procore/<str:token>/", views.procore_webhook, name="procore_webhook"),
]
