from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ConnectorPortalConfig(AppConfig):
    default = True
    name = "connector_portal"
    verbose_name = "Firms and accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_q.signals import pre_execute

        from connector_portal.worker import query_log_off

        pre_execute.connect(query_log_off, dispatch_uid="connector_portal.query_log_off")


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "connector_portal.admin_site.PortalAdminSite"
