"""Field encryption for provider tokens and app secrets: the core's MultiFernet (connector_portal.crypto), which also
seals the staff's TOTP seeds, so that one key list and one rotation cover every secret."""

from connector_portal.crypto import decrypt, encrypt, fernet, rotate

__all__ = ["decrypt", "encrypt", "fernet", "rotate"]
