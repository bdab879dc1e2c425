"""Staff two-factor secrets: TOTP and recovery-code seeds encrypted at rest with FIELD_ENCRYPTION_KEYS, rotated with
every other secret, sealed by a migration when stored before in clear, and never shown in admin."""

from __future__ import annotations

import json

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client

from connector_portal.mfa import seal
from connector_portal.models import User
from tests.connector_portal.test_admin import totp_code


def raw_data() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator ORDER BY id")
        return [row[0] if isinstance(row[0], str) else json.dumps(row[0]) for row in cursor.fetchall()]


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_user(
        email="support@portal.example.com", password="a-long-test-password", is_staff=True, is_superuser=True
    )


def test_the_totp_seed_and_recovery_seed_are_stored_encrypted_and_still_work(staff: User) -> None:
    secret = generate_totp_secret()
    totp = TOTP.activate(staff, secret)
    codes = RecoveryCodes.activate(staff)
    seed = codes.instance.data["seed"]

    stored = "".join(raw_data())
    assert secret not in stored
    assert all(value.startswith("gAAAAA") for value in (totp.instance.data["secret"], seed))
    cache.clear()
    assert TOTP(Authenticator.objects.get(type="totp")).validate_code(totp_code(secret))
    assert RecoveryCodes(Authenticator.objects.get(type="recovery_codes")).validate_code(codes.get_unused_codes()[0])


def test_rotation_re_encrypts_the_seeds_so_the_old_key_can_go(staff: User, settings: object) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]  # type: ignore[attr-defined]
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    recovery = RecoveryCodes.activate(staff).get_unused_codes()

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]  # type: ignore[attr-defined]
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # type: ignore[attr-defined]

    cache.clear()
    assert TOTP(Authenticator.objects.get(type="totp")).validate_code(totp_code(secret))
    assert RecoveryCodes(Authenticator.objects.get(type="recovery_codes")).get_unused_codes() == recovery


def test_the_migration_seals_seeds_stored_in_clear_and_leaves_sealed_ones(staff: User) -> None:
    seal_all = __import__("connector_portal.migrations.0005_seal_mfa_secrets", fromlist=["seal_all"]).seal_all
    secret = generate_totp_secret()
    Authenticator.objects.create(user=staff, type="totp", data={"secret": secret})
    Authenticator.objects.create(user=staff, type="recovery_codes", data={"seed": "ab" * 40, "used_mask": 0})
    TOTP.activate(User.objects.create_user(email="b@portal.example.com", password="x" * 20), "JBSWY3DPEHPK3PXP")

    seal_all(apps, None)
    seal_all(apps, None)  # twice: what is sealed stays sealed once, not encrypted again

    assert secret not in "".join(raw_data()) and "ab" * 40 not in "".join(raw_data())
    cache.clear()
    assert TOTP(Authenticator.objects.get(user=staff, type="totp")).validate_code(totp_code(secret))
    assert TOTP(Authenticator.objects.exclude(user=staff).get()).validate_code(totp_code("JBSWY3DPEHPK3PXP"))
    assert seal(seal("x")) != "x"


def test_admin_never_shows_an_authenticators_data(staff: User) -> None:
    secret = generate_totp_secret()
    totp = TOTP.activate(staff, secret)
    client = Client()
    client.force_login(staff)

    pages = [
        client.get("/admin/mfa/authenticator/"),
        client.get(f"/admin/mfa/authenticator/{totp.instance.pk}/change/"),
    ]

    assert [page.status_code for page in pages] == [200, 200]
    for page in pages:
        html = page.content.decode()
        assert secret not in html and totp.instance.data["secret"] not in html and "gAAAAA" not in html
    assert client.get("/admin/mfa/authenticator/add/").status_code == 403
