"""Re-encrypt every encrypted field under the newest key of FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), run this command, then remove
the old keys. Rows are rewritten with a queryset update so nothing else about them (e.g. updated_at) changes.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, models, transaction
from django.db.models.functions import Cast

from connector_portal.mfa import authenticator_data_map, sealed_values
from providers.crypto import rotate
from providers.fields import EncryptedTextField


def encrypted_fields(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


class Command(BaseCommand):
    help = "Re-encrypt every stored secret under the newest key in FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            names = encrypted_fields(model)
            if names:
                count = self._rotate_model(model, names)
                total += count
                self.stdout.write(f"{model._meta.label}: {count} value(s) re-encrypted")
        count = self._rotate_authenticators()
        total += count
        self.stdout.write(f"mfa.Authenticator: {count} value(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} value(s) now use the newest key."))

    @transaction.atomic
    def _rotate_authenticators(self) -> int:
        """Staff TOTP and recovery-code seeds: allauth keeps them in a JSON column, sealed by connector_portal.mfa."""
        from allauth.mfa.models import Authenticator

        count = 0
        for row in Authenticator.objects.select_for_update().only("pk", "data").iterator():
            values = sealed_values(row.data)
            if values:
                Authenticator.objects.filter(pk=row.pk).update(data=authenticator_data_map(row.data, rotate))
                count += len(values)
        return count

    @transaction.atomic
    def _rotate_model(self, model: type[models.Model], names: list[str]) -> int:
        count = 0
        # Read the stored ciphertext as plain text (no decrypting field), rotate it, write it back as is.
        raw = model._default_manager.select_for_update().annotate(
            **{f"_raw_{name}": Cast(name, output_field=models.TextField()) for name in names}
        )
        for row in raw.values("pk", *[f"_raw_{name}" for name in names]).iterator():
            changes = {name: rotate(row[f"_raw_{name}"]) for name in names if row[f"_raw_{name}"]}
            if changes:
                self._write_raw(model, row["pk"], changes)
                count += len(changes)
        return count

    def _write_raw(self, model: type[models.Model], pk: Any, changes: dict[str, str]) -> None:
        # An update through the field would encrypt the ciphertext again; write the column directly.
        table = model._meta.db_table
        quote = connection.ops.quote_name
        columns = ", ".join(f"{quote(_column(model, name))} = %s" for name in changes)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(table)} SET {columns} WHERE {quote(_column(model, 'pk'))} = %s",  # noqa: S608
                [*changes.values(), pk],
            )


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, f"{model.__name__}.{name} is not a column"
    return field.column
