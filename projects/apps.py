from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects and sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from projects.models import ProjectLink
        from projects.services.links import link_deleted

        # What goes with a link (its table, its webhook) goes however it is deleted (a project's delete cascades to it).
        post_delete.connect(link_deleted, sender=ProjectLink, dispatch_uid="projects.link_deleted")

        from connector_portal.metrics import register_scrape_collector
        from projects import metrics

        register_scrape_collector("projects", metrics.collect)
