"""The HTTP layer on its own: timeouts, retries with backoff, provider-requested waits, and typed errors."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses

from providers.errors import NeedsReauthorization, ProviderError, ProviderUnavailable, RateLimited, UnexpectedAnswer
from providers.http import Attempt, HttpClient, StaticToken
from providers.types import RateLimit

URL = "https://api.example.test/rest/v1.0/things"


def classify(response: requests.Response, attempt: Attempt) -> ProviderError:
    return ProviderError(f"refused {response.status_code} refreshed={attempt.refreshed}")


class Refreshing:
    """A token source that hands out 'fresh' after a 401, counting how often it was asked."""

    def __init__(self) -> None:
        self.refreshes = 0

    def current(self) -> str:
        return "stale"

    def after_unauthorized(self, rejected: str) -> str:
        self.refreshes += 1
        return "fresh"


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(label="Procore", jitter=lambda: 1.0)


def test_every_request_has_a_connect_and_a_read_timeout(client: HttpClient) -> None:
    seen: dict[str, Any] = {}

    class Recording(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            seen.update(kwargs)
            return super().request(*args, **kwargs)

    client.session = Recording()
    with responses.RequestsMock() as rsps:
        rsps.get(URL, json=[])
        client.send_json("GET", URL, classify=classify)
    assert seen["timeout"] == (5.0, 30.0)


@responses.activate
def test_it_waits_as_long_as_retry_after_says_and_tries_again(client: HttpClient, sleeps: list[float]) -> None:
    responses.get(URL, status=503, headers={"Retry-After": "2"})
    responses.get(URL, json=[{"id": 1}])
    assert client.send_json("GET", URL, classify=classify) == [{"id": 1}]
    assert sleeps == [2.0]


@responses.activate
def test_a_429_waits_until_procores_rate_limit_reset_when_it_is_soon(
    client: HttpClient, sleeps: list[float], clock: float
) -> None:
    responses.get(URL, status=429, headers={"X-Rate-Limit-Reset": str(int(clock) + 3)})
    responses.get(URL, json=[])
    client.send_json("GET", URL, classify=classify)
    assert sleeps == [3.0]


@responses.activate
def test_a_429_with_a_reset_far_away_is_raised_for_the_caller_to_reschedule(
    client: HttpClient, sleeps: list[float], clock: float
) -> None:
    responses.get(
        URL,
        status=429,
        body="You have surpassed the max number of requests for an hour. Please wait until your limit resets.",
        headers={"X-Rate-Limit-Reset": str(int(clock) + 1800), "X-Rate-Limit-Remaining": "0"},
    )
    with pytest.raises(RateLimited) as caught:
        client.send("GET", URL, classify=classify)
    assert caught.value.retry_after == 1800
    assert "tries again automatically in about 30 minutes" in caught.value.message
    assert sleeps == []
    assert len(responses.calls) == 1


@responses.activate
def test_a_503_with_a_long_retry_after_is_raised_as_unavailable(client: HttpClient, sleeps: list[float]) -> None:
    responses.get(URL, status=503, headers={"Retry-After": "120"})
    with pytest.raises(ProviderUnavailable) as caught:
        client.send("GET", URL, classify=classify)
    assert caught.value.retry_after == 120
    assert "Procore is not answering right now" in caught.value.message
    assert sleeps == []


@responses.activate
def test_gateway_errors_back_off_exponentially_then_give_up(client: HttpClient, sleeps: list[float]) -> None:
    responses.get(URL, status=502)
    with pytest.raises(ProviderUnavailable):
        client.send("GET", URL, classify=classify)
    assert sleeps == [0.5, 1.0, 2.0]  # jitter pinned at its maximum
    assert len(responses.calls) == 4


def test_jitter_spreads_the_waits_of_workers_that_failed_together() -> None:
    low = HttpClient(jitter=lambda: 0.0)._backoff(3)
    high = HttpClient(jitter=lambda: 1.0)._backoff(3)
    assert (low, high) == (1.0, 2.0)


@responses.activate
def test_a_timeout_is_retried_and_then_reported_as_unavailable(client: HttpClient, sleeps: list[float]) -> None:
    responses.get(URL, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(ProviderUnavailable) as caught:
        client.send("GET", URL, classify=classify)
    assert len(responses.calls) == 4
    assert len(sleeps) == 3
    assert "ReadTimeout" in caught.value.detail


@responses.activate
def test_a_post_that_timed_out_is_never_sent_twice(client: HttpClient, sleeps: list[float]) -> None:
    # The provider may have acted on it (e.g. rotated a single-use refresh token): sending again could do harm.
    responses.post(URL, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(ProviderUnavailable):
        client.send("POST", URL, data={"a": "b"}, classify=classify)
    assert len(responses.calls) == 1
    assert sleeps == []


@responses.activate
def test_a_post_that_could_not_connect_is_retried(client: HttpClient, sleeps: list[float]) -> None:
    responses.post(URL, body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.post(URL, json={})
    assert client.send_json("POST", URL, data={"a": "b"}, classify=classify) == {}
    assert len(sleeps) == 1


@responses.activate
def test_malformed_json_is_an_unexpected_answer(client: HttpClient) -> None:
    responses.get(URL, body="<html>Maintenance</html>", content_type="text/html")
    with pytest.raises(UnexpectedAnswer) as caught:
        client.send_json("GET", URL, classify=classify)
    assert "could not understand" in caught.value.message


@responses.activate
def test_a_401_refreshes_once_and_retries_with_the_new_token(client: HttpClient) -> None:
    responses.get(URL, status=401, match=[responses.matchers.header_matcher({"Authorization": "Bearer stale"})])
    responses.get(URL, json=[], match=[responses.matchers.header_matcher({"Authorization": "Bearer fresh"})])
    tokens = Refreshing()
    client.send_json("GET", URL, auth=tokens, classify=classify)
    assert tokens.refreshes == 1


@responses.activate
def test_a_second_401_is_not_refreshed_again_but_classified(client: HttpClient) -> None:
    responses.get(URL, status=401)
    tokens = Refreshing()
    with pytest.raises(ProviderError, match="refused 401 refreshed=True"):
        client.send("GET", URL, auth=tokens, classify=classify)
    assert tokens.refreshes == 1
    assert len(responses.calls) == 2


@responses.activate
def test_a_token_that_cannot_be_refreshed_asks_the_user_to_reconnect(client: HttpClient) -> None:
    responses.get(URL, status=401)
    with pytest.raises(NeedsReauthorization, match="Reconnect your Procore account"):
        client.send("GET", URL, auth=StaticToken("just-issued", "Procore"), classify=classify)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("status", [502, 504])
@responses.activate
def test_a_post_or_patch_answered_by_a_gateway_error_is_never_sent_twice(
    client: HttpClient, sleeps: list[float], method: str, status: int
) -> None:
    # A gateway error may come after the provider acted (burnt a refresh token, posted an RFI reply): do not repeat.
    responses.add(method, URL, status=status)
    responses.add(method, URL, json={})
    with pytest.raises(ProviderUnavailable) as caught:
        client.send(method, URL, json={"reply": {"body": "Approved."}}, classify=classify)
    assert len(responses.calls) == 1
    assert sleeps == []
    assert caught.value.retry_after >= 60
    assert "Procore is not answering right now" in caught.value.message


@pytest.mark.parametrize("status", [429, 503])
@responses.activate
def test_a_post_refused_as_not_processed_is_sent_again(client: HttpClient, sleeps: list[float], status: int) -> None:
    responses.post(URL, status=status, headers={"Retry-After": "1"})
    responses.post(URL, json={"id": 7})
    assert client.send_json("POST", URL, json={"a": "b"}, classify=classify) == {"id": 7}
    assert len(responses.calls) == 2
    assert sleeps == [1.0]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@responses.activate
def test_idempotent_requests_are_still_retried_after_a_gateway_error(
    client: HttpClient, sleeps: list[float], method: str
) -> None:
    responses.add(method, URL, status=504)
    responses.add(method, URL, json={})
    client.send(method, URL, classify=classify)
    assert len(responses.calls) == 2


@responses.activate
def test_the_rate_limit_headers_of_every_answer_are_reported_429s_included(client: HttpClient, clock: float) -> None:
    hourly = {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(int(clock) + 2)}
    responses.get(URL, status=429, headers=hourly)
    responses.get(URL, json=[], headers={**hourly, "X-Rate-Limit-Remaining": "599"})
    responses.get(URL, json=[])  # an answer without the headers tells nothing
    seen: list[RateLimit] = []

    client.send("GET", URL, classify=classify, on_rate_limit=seen.append)
    client.send("GET", URL, classify=classify, on_rate_limit=seen.append)

    assert seen == [RateLimit(600, 0, 2.0), RateLimit(600, 599, 2.0)]


def test_only_a_window_resetting_well_beyond_ten_seconds_tells_the_hourly_limit() -> None:
    assert RateLimit(limit=600, remaining=12, resets_in=1800).hourly_limit == 600
    assert RateLimit(limit=25, remaining=3, resets_in=9).hourly_limit is None  # the 10-second spike window
