from django.apps import AppConfig


class MappingsConfig(AppConfig):
    name = "mappings"
    verbose_name = "Mappings and keyword lists"
    default_auto_field = "django.db.models.BigAutoField"
