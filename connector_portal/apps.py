from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ConnectorPortalConfig(AppConfig):
    default = True
    name = "connector_portal"
    verbose_name = "Firms and accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django_q.signals import pre_execute

        from connector_portal import logcontext
        from connector_portal.health import task_queue_metrics
        from connector_portal.metrics import register_scrape_collector
        from connector_portal.worker import query_log_off

        register_scrape_collector("task_queue", task_queue_metrics)
        # Ids bound by one request or task never label the next one's lines.
        request_finished.connect(logcontext.clear, dispatch_uid="logcontext.request_finished")
        pre_execute.connect(logcontext.clear, dispatch_uid="logcontext.pre_execute")
        # A worker process keeps no SQL query log, even with DEBUG on.
        pre_execute.connect(query_log_off, dispatch_uid="connector_portal.query_log_off")

        # Logging is configured by now (settings.LOGGING over Django's defaults): mask secrets on every handler,
        # Django's own request log (django.server) and gunicorn's included, not only the root console.
        from connector_portal.logging import redact_every_handler

        redact_every_handler()


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "connector_portal.admin_site.PortalAdminSite"
