from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects and sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from projects.api.errors import api_errors_register

        api_errors_register()
