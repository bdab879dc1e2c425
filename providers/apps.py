from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Provider accounts"
    default_auto_field = "django.db.models.BigAutoField"
