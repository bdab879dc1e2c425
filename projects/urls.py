from __future__ import annotations

from django.urls import path

import connector_portal.converters  # noqa: F401  (registers the `segment` converter)
from projects import views

app_name = "projects"

urlpatterns = [
    path("procore/<segment:token>/", views.procore_webhook, name="procore_webhook"),
]
