from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects and sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from projects.api.errors import api_errors_register
        from projects.models import ProjectLink
        from projects.services.mapping import link_deleted

        api_errors_register()
        # A link's mapping table goes with the link however it is deleted (a project's delete cascades to its link).
        post_delete.connect(link_deleted, sender=ProjectLink, dispatch_uid="projects.link_mapping_table_delete")
