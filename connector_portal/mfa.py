"""Two-factor authentication for support staff (allauth.mfa), with its secrets sealed at rest.

allauth stores each TOTP seed and each recovery-code seed in `Authenticator.data`, in clear by default. This adapter
encrypts them with FIELD_ENCRYPTION_KEYS (connector_portal.crypto), like every other secret: a database dump reveals no
seed, and `rotate_encryption_keys` re-encrypts them with the rest (`sealed_values`, `authenticator_data_map`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.mfa.adapter import DefaultMFAAdapter

from connector_portal import crypto

# The keys of Authenticator.data that allauth passes through the adapter's encrypt(): a string or a list of strings.
SEALED_KEYS = ("secret", "seed", "migrated_codes")


class PortalMFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)


def authenticator_data_map(data: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    """`data` with `change` applied to every sealed value (encrypt for a migration, rotate for a new key)."""
    changed = dict(data)
    for key in SEALED_KEYS:
        value = changed.get(key)
        if isinstance(value, str):
            changed[key] = change(value)
        elif isinstance(value, list):
            changed[key] = [change(item) if isinstance(item, str) else item for item in value]
    return changed


def sealed_values(data: dict[str, Any]) -> list[str]:
    """Every sealed value in an authenticator's data (a TOTP seed, a recovery-code seed, migrated codes)."""
    found: list[str] = []
    authenticator_data_map(data, lambda value: found.append(value) or value)  # type: ignore[func-returns-value]
    return found


def seal(value: str) -> str:
    """Encrypt a value stored before the adapter existed; leave one already encrypted as it is."""
    return value if crypto.is_encrypted(value) else crypto.encrypt(value)
