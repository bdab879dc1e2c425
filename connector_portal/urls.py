from django.contrib import admin
from django.urls import include, path

from connector_portal import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("firm/switch/", views.switch_firm, name="switch_firm"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("oauth/", include("providers.urls")),
    path("connect/", include("projects.connect.urls")),
    path("api/", include("connector_portal.api.urls")),
    path("mappings/", include("mappings.urls")),
    path("webhooks/", include("projects.urls")),
    path("admin/", admin.site.urls),
]
