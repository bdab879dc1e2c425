"""The product no longer names its emulator: an app row that pointed at the local sandbox gets custom base URLs at the
sandbox instead (what `local_sandbox` meant: SANDBOX_URL + the provider's path), and the choice goes away."""

from django.conf import settings
from django.db import migrations, models

# The sandbox's paths when this migration was written; frozen here because a migration must not import the sandbox.
SANDBOX_PATHS = {"procore": "/procore", "autodesk": "/autodesk", "constructex": "/constructex"}


def _sandbox_url() -> str:
    return getattr(settings, "SANDBOX_URL", "http://127.0.0.1:8001").rstrip("/")


def local_sandbox_to_custom(apps, schema_editor):
    ProviderApp = apps.get_model("providers", "ProviderApp")
    for app in ProviderApp.objects.filter(environment="local_sandbox"):
        base = _sandbox_url() + SANDBOX_PATHS.get(app.provider, f"/{app.provider}")
        app.environment = "custom"
        app.auth_base_url = app.api_base_url = base
        app.save(update_fields=["environment", "auth_base_url", "api_base_url"])


def custom_at_sandbox_to_local(apps, schema_editor):
    ProviderApp = apps.get_model("providers", "ProviderApp")
    for app in ProviderApp.objects.filter(environment="custom"):
        base = _sandbox_url() + SANDBOX_PATHS.get(app.provider, f"/{app.provider}")
        if app.auth_base_url == base and app.api_base_url == base:
            app.environment = "local_sandbox"
            app.auth_base_url = app.api_base_url = ""
            app.save(update_fields=["environment", "auth_base_url", "api_base_url"])


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0002_oauthstate"),
    ]

    operations = [
        migrations.RunPython(local_sandbox_to_custom, custom_at_sandbox_to_local),
        migrations.AlterField(
            model_name="providerapp",
            name="environment",
            field=models.CharField(
                choices=[
                    ("production", "Production"),
                    ("provider_sandbox", "The provider's own sandbox"),
                    ("custom", "Custom base URLs"),
                ],
                default="production",
                max_length=20,
            ),
        ),
    ]
