"""Encrypt the TOTP and recovery-code seeds allauth stored in clear before the portal's MFA adapter existed."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from connector_portal import crypto
from connector_portal.mfa import authenticator_data_map, seal


def _change_all(apps: Any, change: Any) -> None:
    authenticator = apps.get_model("mfa", "Authenticator")
    for row in authenticator.objects.only("pk", "data").iterator():
        data = authenticator_data_map(row.data, change)
        if data != row.data:
            authenticator.objects.filter(pk=row.pk).update(data=data)


def seal_all(apps: Any, schema_editor: Any) -> None:
    _change_all(apps, seal)


def unseal_all(apps: Any, schema_editor: Any) -> None:
    _change_all(apps, lambda value: crypto.decrypt(value) if crypto.is_encrypted(value) else value)


class Migration(migrations.Migration):
    dependencies = [
        ("connector_portal", "0004_projectcenterproject_table"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(seal_all, unseal_all)]
