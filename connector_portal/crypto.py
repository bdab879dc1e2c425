"""Field encryption: Fernet keys from FIELD_ENCRYPTION_KEYS, newest first; old keys still decrypt during rotation.

In the tenancy core so that every layer seals its secrets with the same keys: provider tokens (providers.fields) and
the staff's two-factor seeds (connector_portal.mfa)."""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys (newest first). Generate one with: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        ) from exc


def fernet() -> MultiFernet:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty; set at least one Fernet key.")
    return _fernet_for(keys)


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt(cipher: str) -> str:
    try:
        return fernet().decrypt(cipher.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS. "
            "Put the key it was encrypted with back in the list (after the newest), then run rotate_encryption_keys."
        ) from exc


def rotate(cipher: str) -> str:
    """Re-encrypt under the newest key."""
    return fernet().rotate(cipher.encode()).decode()


def is_encrypted(value: str) -> bool:
    """Whether `value` is a token one of the keys decrypts (used when sealing values stored before in clear)."""
    try:
        fernet().decrypt(value.encode())
    except (InvalidToken, ValueError, TypeError):
        return False
    return True
