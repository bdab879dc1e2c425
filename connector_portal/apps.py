from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ConnectorPortalConfig(AppConfig):
    default = True
    name = "connector_portal"
    verbose_name = "Firms and accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Logging is configured by now (settings.LOGGING over Django's defaults): mask secrets on every handler,
        # Django's own request log (django.server) and gunicorn's included, not only the root console.
        from connector_portal.logging import redact_every_handler

        redact_every_handler()


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "connector_portal.admin_site.PortalAdminSite"
