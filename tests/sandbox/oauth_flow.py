"""Walk the sandbox's authorize pages the way a browser does (plain form posts), for the OAuth tests."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.constants import SANDBOX_CLIENTS
from sandbox.testing import RunningSandbox

TIMEOUT = (2, 5)
AUTHORIZE = {
    "procore": "/oauth/authorize",
    "autodesk": "/authentication/v2/authorize",
    "constructex": "/oauth/authorize",
}
TOKEN = {"procore": "/oauth/token", "autodesk": "/authentication/v2/token", "constructex": "/oauth/token"}


def redirect_uri(provider: str) -> str:
    return f"http://127.0.0.1:8000/oauth/{provider}/callback/"


def authorize(
    sandbox: RunningSandbox,
    provider: str,
    *,
    login: str = "reviewer@sandbox.test",
    password: str = "sandbox",
    decision: str = "allow",
    **extra: str,
) -> dict[str, list[str]]:
    """Sign in, answer the consent page, and return the query the sandbox redirected back with."""
    params = {
        "response_type": "code",
        "client_id": SANDBOX_CLIENTS[provider][0],
        "redirect_uri": redirect_uri(provider),
        "state": "st-123",
        **extra,
    }
    url = sandbox.url(provider, AUTHORIZE[provider])
    page = requests.get(url, params=params, timeout=TIMEOUT)
    assert page.status_code == 200, page.text
    form = re.search(r"action='([^']+)'", page.text)
    assert form is not None, page.text
    action = sandbox.base_url + form.group(1).replace("&amp;", "&")
    consent = requests.post(action, data={"step": "sign_in", "login": login, "password": password}, timeout=TIMEOUT)
    assert "Authorization Required" in consent.text, consent.text
    ticket_field = re.search(r"name='ticket' value='([^']+)'", consent.text)
    assert ticket_field is not None, consent.text
    ticket = ticket_field.group(1)
    answer = requests.post(
        action, data={"step": "consent", "ticket": ticket, "decision": decision}, allow_redirects=False, timeout=TIMEOUT
    )
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(redirect_uri(provider))
    return parse_qs(urlsplit(location).query)
