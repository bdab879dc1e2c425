from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ConnectorPortalConfig(AppConfig):
    default = True
    name = "connector_portal"
    verbose_name = "Firms and accounts"
    default_auto_field = "django.db.models.BigAutoField"


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "connector_portal.admin_site.PortalAdminSite"
