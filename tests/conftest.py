"""Fixtures shared by every app's tests: firms, members, logged-in clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from connector_portal.models import Firm, Licence, Membership, User


@pytest.fixture
def make_firm(db: None) -> Callable[..., Firm]:
    counter = iter(range(1, 10_000))

    def make(name: str | None = None, *, active: bool = True, licence: bool = True) -> Firm:
        n = next(counter)
        firm = Firm.objects.create(name=name or f"Firm {n}", slug=f"firm-{n}", is_active=active)
        if licence:
            Licence.objects.create(firm=firm, procore=True, autodesk=True, constructex=True)
        return firm

    return make


@pytest.fixture
def make_member(db: None) -> Callable[..., User]:
    def make(firm: Firm, email: str | None = None, *, role: str = Membership.Role.MEMBER) -> User:
        email = email or f"user{User.objects.count() + 1}@{firm.slug}.example.com"
        user = User.objects.create_user(email=email, password="a-long-test-password")
        Membership.objects.create(firm=firm, user=user, role=role)
        return user

    return make


@pytest.fixture
def firm(make_firm: Callable[..., Firm]) -> Firm:
    return make_firm("Acme Architects")


@pytest.fixture
def other_firm(make_firm: Callable[..., Firm]) -> Firm:
    return make_firm("Other Engineers")


@pytest.fixture
def member(firm: Firm, make_member: Callable[..., User]) -> User:
    return make_member(firm, "reviewer@acme.example.com", role=Membership.Role.ADMIN)


@pytest.fixture
def member_client(member: User) -> Client:
    client = Client()
    client.force_login(member)
    return client
