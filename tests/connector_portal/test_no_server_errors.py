"""No input gives a 500: every URL pattern of the portal (pages, OAuth, connect wizard, mappings, webhooks, admin, API,
allauth) with hostile path segments, query strings and form bodies, as a firm member, as support staff and signed out.

Run on PostgreSQL too (CI does): it refuses NUL in text where SQLite stores it, which is where these 500s came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from connector_portal.models import Firm, User
from projects.services.webhooks import link_webhook_prepare
from tests.api.factories import linked_add

# Already percent-encoded: what an attacker can put in a URL, including bytes that are not UTF-8 at all.
HOSTILE = [
    "%00",
    "PC-1001%00",
    "%0A",
    "%7F",
    quote("\u0085"),
    "%ED%A0%80",  # a lone surrogate, as UTF-8 would encode it
    "%FF",
    "a" * 300,
    "99999999999999999999",
    "-1",
    quote("' OR 1=1 --", safe=""),
    "%25",
]
QUERY_KEYS = ("project", "next", "account", "company", "q", "cursor", "state", "code", "error", "o", "p", "e", "kind")
FORM_KEYS = (*QUERY_KEYS, "action", "_selected_action", "index", "keyword", "response_id", "login", "password")
_PARAMETER = re.compile(r"<(?:\w+:)?\w+>|\(\?P<\w+>[^)]*\)")


def url_patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """Every route as a template with '{}' for each parameter, e.g. 'connect/{}/connection/'."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern).replace("^", "").replace("$", "").replace("\\Z", "")
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield _PARAMETER.sub("{}", route).replace("[\\s\\S]*", "{}")


def _paths(template: str) -> list[str]:
    if "{}" not in template:
        return ["/" + template]
    return ["/" + template.replace("{}", value) for value in HOSTILE]


def _query(value: str) -> str:
    return "&".join(f"{key}={value}" for key in QUERY_KEYS)


@pytest.fixture
def clients(firm: Firm, member: User) -> dict[str, Client]:
    linked = linked_add(firm, "PC-1001")
    link_webhook_prepare(link=linked.link)
    staff = User.objects.create_user(email="support@portal.example.com", password="x" * 20, is_staff=True)
    staff.is_superuser = True
    staff.save()
    TOTP.activate(staff, generate_totp_secret())
    signed_in = {"member": member, "staff": staff}
    made = {"anonymous": Client(raise_request_exception=False)}
    for name, user in signed_in.items():
        made[name] = Client(raise_request_exception=False)
        made[name].force_login(user)
    return made


def test_no_url_pattern_answers_a_server_error_to_hostile_input(clients: dict[str, Client]) -> None:
    templates = sorted(set(url_patterns()))
    assert len(templates) > 150  # the walk really found the admin's and allauth's routes too
    failures = []
    sent = 0
    for template in templates:
        # Admin pages are for staff, the rest for firm users; every page also meets someone signed out.
        who = ["staff"] if template.startswith("admin/") else ["member"]
        for index, path in enumerate(_paths(template)):
            value = HOSTILE[index % len(HOSTILE)]
            form = {key: value.replace("%00", "\x00").replace("%0A", "\n") for key in FORM_KEYS}
            for name in [*who, "anonymous"] if index == 0 else who:
                client = clients[name]
                for response in (
                    client.get(f"{path}?{_query(value)}"),
                    client.get(f"{path}?q={value}"),  # admin's search alone (other keys make admin refuse the query)
                    client.post(path, form),
                    client.post(path, "[" * 5000, content_type="application/json"),
                ):
                    sent += 1
                    if response.status_code >= 500:
                        failures.append(f"{response.status_code} {response.request['REQUEST_METHOD']} {path} ({name})")
    assert sent > 5000
    assert failures == [], f"{len(failures)} server errors:\n" + "\n".join(failures[:40])
