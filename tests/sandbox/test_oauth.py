from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.constants import SANDBOX_CLIENTS
from sandbox.testing import RunningSandbox

from .oauth_flow import AUTHORIZE, TIMEOUT, TOKEN, authorize, redirect_uri

PROCORE_ID, PROCORE_SECRET = SANDBOX_CLIENTS["procore"]
ADSK_ID, ADSK_SECRET = SANDBOX_CLIENTS["autodesk"]
CX_ID, CX_SECRET = SANDBOX_CLIENTS["constructex"]


def _procore_token(sandbox: RunningSandbox, **form: str) -> requests.Response:
    body = {"client_id": PROCORE_ID, "client_secret": PROCORE_SECRET, **form}
    return requests.post(sandbox.url("procore", TOKEN["procore"]), data=body, timeout=TIMEOUT)


def _exchange(sandbox: RunningSandbox, code: str) -> requests.Response:
    return _procore_token(sandbox, grant_type="authorization_code", code=code, redirect_uri=redirect_uri("procore"))


def test_allow_redirects_back_with_a_code_and_the_state(sandbox: RunningSandbox) -> None:
    query = authorize(sandbox, "procore")
    assert query["state"] == ["st-123"]
    answer = _exchange(sandbox, query["code"][0])
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 5400
    assert body["access_token"] and body["refresh_token"] and isinstance(body["created_at"], int)


def test_deny_redirects_back_with_access_denied(sandbox: RunningSandbox) -> None:
    query = authorize(sandbox, "procore", decision="deny")
    assert query["error"] == ["access_denied"] and "code" not in query


def test_autodesk_takes_prompt_login_and_asks_who_signs_in(sandbox: RunningSandbox) -> None:
    params = {"response_type": "code", "client_id": ADSK_ID, "redirect_uri": redirect_uri("autodesk")}
    page = requests.get(
        sandbox.url("autodesk", AUTHORIZE["autodesk"]),
        params={**params, "scope": "data:read", "prompt": "login"},
        timeout=TIMEOUT,
    )
    assert page.status_code == 200 and "Choose the account to sign in with" in page.text
    query = authorize(sandbox, "autodesk", scope="data:read", prompt="login")
    assert "code" in query


def test_autodesk_refuses_a_prompt_it_does_not_document(sandbox: RunningSandbox) -> None:
    query = authorize_refused(sandbox, "autodesk", scope="data:read", prompt="select_account")
    assert query["error"] == ["invalid_request"] and "login" in query["error_description"][0]


def test_procore_refuses_prompt_which_it_does_not_document(sandbox: RunningSandbox) -> None:
    query = authorize_refused(sandbox, "procore", prompt="login")
    assert query["error"] == ["invalid_request"] and "not a Procore parameter" in query["error_description"][0]


def authorize_refused(sandbox: RunningSandbox, provider: str, **extra: str) -> dict[str, list[str]]:
    params = {
        "response_type": "code",
        "client_id": SANDBOX_CLIENTS[provider][0],
        "redirect_uri": redirect_uri(provider),
    }
    answer = requests.get(
        sandbox.url(provider, AUTHORIZE[provider]), params={**params, **extra}, allow_redirects=False, timeout=TIMEOUT
    )
    assert answer.status_code in (302, 303), answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def test_a_wrong_password_shows_the_sign_in_form_again(sandbox: RunningSandbox) -> None:
    params = {"response_type": "code", "client_id": PROCORE_ID, "redirect_uri": redirect_uri("procore")}
    url = sandbox.url("procore", AUTHORIZE["procore"])
    answer = requests.post(
        url,
        params=params,
        data={"step": "sign_in", "login": "reviewer@sandbox.test", "password": "nope"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 401
    assert "do not match" in answer.text and "<label for='password'>" in answer.text


def test_it_shows_an_error_page_for_an_unregistered_redirect_uri(sandbox: RunningSandbox) -> None:
    params = {
        "response_type": "code",
        "client_id": PROCORE_ID,
        "redirect_uri": "http://evil.example/oauth/procore/callback/",
    }
    answer = requests.get(
        sandbox.url("procore", AUTHORIZE["procore"]), params=params, timeout=TIMEOUT, allow_redirects=False
    )
    assert answer.status_code == 400 and "redirect_uri" in answer.text


def test_a_code_works_only_once(sandbox: RunningSandbox) -> None:
    code = authorize(sandbox, "procore")["code"][0]
    first = _exchange(sandbox, code)
    second = _exchange(sandbox, code)
    assert first.status_code == 200
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    # replaying the code also revokes what it granted
    me = requests.get(
        sandbox.url("procore", "/rest/v1.0/me"),
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {first.json()['access_token']}"},
    )
    assert me.status_code == 401


def test_a_code_expires_after_ten_minutes(sandbox: RunningSandbox) -> None:
    code = authorize(sandbox, "procore")["code"][0]
    sandbox.clock.advance(601)
    assert _exchange(sandbox, code).json()["error"] == "invalid_grant"


def test_a_refresh_rotates_the_pair_and_a_reused_refresh_token_fails(sandbox: RunningSandbox) -> None:
    first = _exchange(sandbox, authorize(sandbox, "procore")["code"][0]).json()
    second = _procore_token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = _procore_token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_an_access_token_expires_after_its_configured_lifetime(sandbox: RunningSandbox) -> None:
    sandbox.app.tokens.access["procore"] = 60
    token = _exchange(sandbox, authorize(sandbox, "procore")["code"][0]).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert token["expires_in"] == 60
    assert requests.get(sandbox.url("procore", "/rest/v1.0/me"), headers=headers, timeout=TIMEOUT).status_code == 200
    sandbox.clock.advance(61)
    assert requests.get(sandbox.url("procore", "/rest/v1.0/me"), headers=headers, timeout=TIMEOUT).status_code == 401


def test_token_info_describes_the_token_and_revoke_ends_it(sandbox: RunningSandbox) -> None:
    token = _exchange(sandbox, authorize(sandbox, "procore")["code"][0]).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    info = requests.get(sandbox.url("procore", "/oauth/token/info"), headers=headers, timeout=TIMEOUT).json()
    assert info["resource_owner_id"] == 7_000_000_001 and info["application"]["uid"] == PROCORE_ID
    revoke = {"token": token["access_token"], "client_id": PROCORE_ID, "client_secret": PROCORE_SECRET}
    assert requests.post(sandbox.url("procore", "/oauth/revoke"), data=revoke, timeout=TIMEOUT).status_code == 200
    assert (
        requests.get(sandbox.url("procore", "/oauth/token/info"), headers=headers, timeout=TIMEOUT).status_code == 401
    )
    refresh = _procore_token(sandbox, grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert refresh.json()["error"] == "invalid_grant"


def test_procore_revoke_takes_the_access_token_and_a_refresh_token_revokes_nothing(sandbox: RunningSandbox) -> None:
    token = _exchange(sandbox, authorize(sandbox, "procore")["code"][0]).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    revoke = {"token": token["refresh_token"], "client_id": PROCORE_ID, "client_secret": PROCORE_SECRET}
    assert requests.post(sandbox.url("procore", "/oauth/revoke"), data=revoke, timeout=TIMEOUT).status_code == 200
    assert requests.get(sandbox.url("procore", "/rest/v1.0/me"), headers=headers, timeout=TIMEOUT).status_code == 200


def test_revoking_an_unknown_token_still_answers_200(sandbox: RunningSandbox) -> None:
    revoke = {"token": "never-issued", "client_id": PROCORE_ID, "client_secret": PROCORE_SECRET}
    assert requests.post(sandbox.url("procore", "/oauth/revoke"), data=revoke, timeout=TIMEOUT).status_code == 200


def test_autodesk_takes_client_credentials_by_http_basic(sandbox: RunningSandbox) -> None:
    code = authorize(sandbox, "autodesk", scope="data:read account:read")["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri("autodesk")}
    answer = requests.post(
        sandbox.url("autodesk", TOKEN["autodesk"]), data=form, auth=(ADSK_ID, ADSK_SECRET), timeout=TIMEOUT
    )
    assert answer.status_code == 200 and answer.json()["scope"] == "data:read account:read"


def test_autodesk_refuses_credentials_in_both_the_header_and_the_body(sandbox: RunningSandbox) -> None:
    code = authorize(sandbox, "autodesk", scope="data:read")["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri("autodesk"),
        "client_id": ADSK_ID,
        "client_secret": ADSK_SECRET,
    }
    answer = requests.post(
        sandbox.url("autodesk", TOKEN["autodesk"]), data=form, auth=(ADSK_ID, ADSK_SECRET), timeout=TIMEOUT
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_autodesk_refuses_a_confidential_client_without_http_basic(sandbox: RunningSandbox) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": ADSK_ID, "client_secret": ADSK_SECRET}
    answer = requests.post(sandbox.url("autodesk", TOKEN["autodesk"]), data=form, timeout=TIMEOUT)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def test_constructex_requires_pkce(sandbox: RunningSandbox) -> None:
    params = {"response_type": "code", "client_id": CX_ID, "redirect_uri": redirect_uri("constructex"), "state": "s"}
    answer = requests.get(
        sandbox.url("constructex", AUTHORIZE["constructex"]), params=params, allow_redirects=False, timeout=TIMEOUT
    )
    assert answer.status_code == 302 and "error=invalid_request" in answer.headers["Location"]


def test_pkce_verifier_must_match_the_challenge(sandbox: RunningSandbox) -> None:
    verifier = "v" * 50
    extra = {"code_challenge": _challenge(verifier), "code_challenge_method": "S256"}
    url = sandbox.url("constructex", TOKEN["constructex"])
    form = {
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri("constructex"),
        "client_id": CX_ID,
        "client_secret": CX_SECRET,
    }
    wrong = requests.post(
        url,
        data={**form, "code": authorize(sandbox, "constructex", **extra)["code"][0], "code_verifier": "w" * 50},
        timeout=TIMEOUT,
    )
    right = requests.post(
        url,
        data={**form, "code": authorize(sandbox, "constructex", **extra)["code"][0], "code_verifier": verifier},
        timeout=TIMEOUT,
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert right.status_code == 200


def test_revoking_a_users_tokens_ends_their_api_access(sandbox: RunningSandbox) -> None:
    token = sandbox.token("procore", "reviewer@sandbox.test")
    sandbox.scenario("revoke_tokens", login="reviewer@sandbox.test")
    me = requests.get(
        sandbox.url("procore", "/rest/v1.0/me"),
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert me.status_code == 401
