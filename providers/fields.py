from __future__ import annotations

from typing import Any

from django.db import models

from providers.crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Text kept encrypted in the database (Fernet); Python code sees the clear value. Empty stays empty."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        return decrypt(value)
