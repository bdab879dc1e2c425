from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects and sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from mappings.signals import kinds_released
        from projects.models import ProjectLink
        from projects.services.links import link_deleted, link_kinds_released

        # What goes with a link (its table, its webhook) goes however it is deleted (a project's delete cascades to it).
        post_delete.connect(link_deleted, sender=ProjectLink, dispatch_uid="projects.link_deleted")
        # A keyword list that releases held kinds syncs the project's link at once.
        kinds_released.connect(link_kinds_released, dispatch_uid="projects.link_kinds_released")

        from connector_portal.metrics import register_scrape_collector
        from projects import metrics

        register_scrape_collector("projects", metrics.collect)
