from django.contrib import admin
from django.urls import include, path

from connector_portal import ops_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("firm/switch/", views.switch_firm, name="switch_firm"),
    # /healthz is readiness, kept for what already probes it.
    path("healthz", ops_views.ready, name="healthz"),
    path("healthz/live", ops_views.live, name="healthz_live"),
    path("healthz/ready", ops_views.ready, name="healthz_ready"),
    path("metrics", ops_views.metrics_view, name="metrics"),
    path("accounts/", include("allauth.urls")),
    path("oauth/", include("providers.urls")),
    path("connect/", include("projects.connect.urls")),
    path("api/", include("connector_portal.api.urls")),
    path("mappings/", include("mappings.urls")),
    path("webhooks/", include("projects.urls")),
    path("admin/", admin.site.urls),
]
