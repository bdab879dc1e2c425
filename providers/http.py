"""The one place requests to providers are sent.

Every request has a (connect, read) timeout. 429, 502, 503, 504 and connection errors are retried with exponential
backoff and jitter (POST and PATCH only on 429, 503 and connections never made: they may have been acted on),
honouring `Retry-After` and Procore's `X-Rate-Limit-Reset`; a wait longer than `max_wait` seconds is never slept (web
requests and workers must stay responsive) but raised as RateLimited / ProviderUnavailable so the caller reschedules.
A 401 triggers one token refresh and one retry. Sleeping and the clock are injectable so tests never sleep.
Nothing here logs a token: log lines carry the method, the URL without query string and the status only.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import math
import os
import random
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from connector_portal import metrics
from providers.errors import (
    NeedsReauthorization,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    UnexpectedAnswer,
)
from providers.types import RateLimit

logger = logging.getLogger(__name__)

# Process-wide defaults an HttpClient uses unless given its own; tests replace them so nothing sleeps on the clock.
sleeper: Callable[[float], None] = time.sleep
clock: Callable[[], float] = time.time

# Requests sent per thread, by every HttpClient (token refreshes use their own client): see requests_sent().
_sent = threading.local()


def requests_sent() -> int:
    """How many requests this thread has sent to providers so far; the difference across a piece of work is its cost.

    Counts what reached the wire: retries and token refreshes included, connections never made not."""
    return getattr(_sent, "count", 0)


def _count_sent() -> None:
    _sent.count = requests_sent() + 1


# Callbacks told "still working" before every attempt this thread sends (see `on_each_attempt`).
_beats = threading.local()


@contextlib.contextmanager
def on_each_attempt(beat: Callable[[], None]) -> Iterator[None]:
    """Call `beat` before every attempt this thread sends to a provider while the block runs (retries included).

    How long-running work proves it is alive between its own checkpoints: the sync engine renews its lease here, so
    that a lease can be short (a dead worker's link is taken over quickly) without lapsing under a live but slow
    sync. `beat` may raise to stop the work (its lease was taken over); nothing is sent then."""
    stack: list[Callable[[], None]] = getattr(_beats, "stack", [])
    _beats.stack = [*stack, beat]
    try:
        yield
    finally:
        _beats.stack = stack


def _beat() -> None:
    for beat in getattr(_beats, "stack", ()):
        beat()


RETRY_STATUSES = frozenset({429, 502, 503, 504})
# The answers that say the request was not processed. A gateway's 502/504 may come after the provider acted (burnt a
# single-use refresh token, posted an RFI reply), so a request that is not idempotent is retried only on these.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class TokenSource(Protocol):
    """Where a request gets its bearer token, and a fresh one after the provider answered 401."""

    def current(self) -> str: ...

    def after_unauthorized(self, rejected: str) -> str:
        """A token other than `rejected` (refreshing if nobody else has), or raise NeedsReauthorization."""
        ...


@dataclass(frozen=True)
class StaticToken:
    """A token just received (e.g. during connect): it cannot be refreshed, so a 401 means sign in again."""

    token: str
    label: str = "the provider"

    def current(self) -> str:
        return self.token

    def after_unauthorized(self, rejected: str) -> str:
        raise NeedsReauthorization.for_provider(self.label)

    def __repr__(self) -> str:
        return "StaticToken([redacted])"


@dataclass(frozen=True)
class Attempt:
    """What the classifier knows about the failed request."""

    method: str
    url: str
    refreshed: bool  # a 401 was already answered by refreshing the token


# Turns a final non-2xx answer into the right typed error; each provider module supplies its own.
Classifier = Callable[[requests.Response, Attempt], ProviderError]
# Told the rate-limit headers of every answer that carries them (whoever plans the account's polling listens).
RateLimitObserver = Callable[[RateLimit], None]


def never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the other end (no connection was made), so even a POST is safe to
    send again, or to send to the next address (the webhook transport)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)


def _safe_url(url: str) -> str:
    return url.split("?", 1)[0]


def provider_session() -> requests.Session:
    """A requests Session that reads the environment once, when made, rather than at every request.

    By default requests looks for proxies in the environment (and a ~/.netrc) before each request and each redirect:
    on the files-in bench that cost ~0.3 ms a request, a fifth of the time of fetching a small file. Without any
    proxy variable set (the usual deployment) the session stops looking: no proxy, no ~/.netrc credentials (the portal
    never sends the host's), the CA bundle of REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE as requests reads it. With one set,
    requests keeps reading it per request, since NO_PROXY is decided per host."""
    session = requests.Session()
    if not urllib.request.getproxies():
        session.trust_env = False
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return session


@dataclass
class HttpClient:
    label: str = "the provider"
    session: requests.Session = field(default_factory=provider_session)
    timeout: tuple[float, float] = (5.0, 30.0)
    max_attempts: int = 4
    max_wait: float = 5.0  # longer waits are raised, not slept
    base_delay: float = 0.5
    sleep: Callable[[float], None] | None = None  # default: the module's `sleeper`
    clock: Callable[[], float] | None = None  # default: the module's `clock`
    jitter: Callable[[], float] = random.random

    # -- public ---------------------------------------------------------------------------------------------------

    def send(
        self,
        method: str,
        url: str,
        *,
        classify: Classifier,
        auth: TokenSource | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        content: Callable[[], Any] | None = None,
        basic: tuple[str, str] | None = None,
        on_rate_limit: RateLimitObserver | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send one logical request (with retries) and return a 2xx/3xx answer, or raise a ProviderError.

        `content` makes a streamed body (providers.uploads): called once per attempt, since a sent one is spent.
        `on_rate_limit` is told the `X-Rate-Limit-*` headers of each answer that has them, 429s included. With
        `stream` the answer's body is left unread (a file download reads it in chunks and closes the answer)."""
        method = method.upper()
        token = auth.current() if auth else None
        refreshed = False
        attempt = 0
        while True:
            all_headers = {"Accept": "application/json", **(headers or {})}
            if token:
                all_headers["Authorization"] = f"Bearer {token}"
            _beat()
            try:
                response = self.session.request(
                    method,
                    url,
                    headers=all_headers,
                    params=params,
                    json=json,
                    data=content() if content is not None else data,
                    auth=basic,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=stream,
                )
            except requests.RequestException as exc:
                sent_nothing = never_sent(exc)
                if not sent_nothing:
                    _count_sent()
                    metrics.PROVIDER_REQUESTS.labels(provider=self.label, status="error").inc()
                if method not in IDEMPOTENT_METHODS and not sent_nothing:
                    # The provider may have acted on it (e.g. burnt a single-use refresh token): never send twice.
                    raise self._unavailable(f"{method} {_safe_url(url)}: {type(exc).__name__}") from exc
                attempt += 1
                self._wait_or_raise(
                    attempt, None, self._unavailable(f"{method} {_safe_url(url)}: {type(exc).__name__}")
                )
                continue
            _count_sent()
            self._count_answer(response.status_code)
            logger.debug("%s %s -> %s", method, _safe_url(url), response.status_code)
            if on_rate_limit is not None:
                seen = rate_limit_of(response, now=self._now())
                if seen is not None:
                    on_rate_limit(seen)
            if response.status_code == 401 and auth is not None and not refreshed:
                refreshed = True
                token = auth.after_unauthorized(token or "")
                continue
            if response.status_code in RETRY_STATUSES:
                if method not in IDEMPOTENT_METHODS and response.status_code not in NOT_PROCESSED_STATUSES:
                    raise self._retry_error(response, self._server_wait(response))
                attempt += 1
                wait = self._server_wait(response)
                self._wait_or_raise(attempt, wait, self._retry_error(response, wait))
                continue
            if response.status_code >= 400:
                raise classify(response, Attempt(method=method, url=url, refreshed=refreshed))
            return response

    def send_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """Like send, and parse the JSON answer; an unreadable answer is UnexpectedAnswer."""
        response = self.send(method, url, **kwargs)
        return parse_json(response, label=self.label)

    # -- waiting --------------------------------------------------------------------------------------------------

    def _server_wait(self, response: requests.Response) -> float | None:
        """Seconds the provider asked us to wait (Retry-After, else X-Rate-Limit-Reset on a 429), or None."""
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            seconds = _parse_retry_after(retry_after, now=self._now())
            if seconds is not None:
                return seconds
        reset = response.headers.get("X-Rate-Limit-Reset")
        if response.status_code == 429 and reset:
            try:
                return max(0.0, float(reset) - self._now())
            except ValueError:
                return None
        return None

    def _backoff(self, attempt: int) -> float:
        delay = self.base_delay * (2 ** (attempt - 1))
        return delay * (0.5 + self.jitter() / 2)  # jitter spreads workers that failed together

    def _wait_or_raise(self, attempt: int, server_wait: float | None, error: ProviderError) -> None:
        wait = server_wait if server_wait is not None else self._backoff(attempt)
        metrics.PROVIDER_WAIT_SECONDS.labels(provider=self.label).inc(wait)
        if attempt >= self.max_attempts or wait > self.max_wait:
            metrics.PROVIDER_WAITS.labels(provider=self.label, outcome="deferred").inc()
            if isinstance(error, RateLimited | ProviderUnavailable) and server_wait is not None:
                error.retry_after = max(error.retry_after, math.ceil(server_wait))
            raise error
        metrics.PROVIDER_WAITS.labels(provider=self.label, outcome="slept").inc()
        logger.debug("waiting %.2fs before retry %d", wait, attempt)
        (self.sleep or sleeper)(wait)

    def _count_answer(self, status: int) -> None:
        metrics.PROVIDER_REQUESTS.labels(provider=self.label, status=str(status)).inc()
        if status == 429:
            metrics.PROVIDER_RATE_LIMITED.labels(provider=self.label).inc()

    def _now(self) -> float:
        return (self.clock or clock)()

    def _retry_error(self, response: requests.Response, wait: float | None) -> ProviderError:
        retry_after = max(1, math.ceil(wait)) if wait is not None else 60
        detail = f"{response.request.method} {_safe_url(response.url)} -> {response.status_code}"
        if response.status_code == 429:
            return RateLimited.for_provider(self.label, retry_after=retry_after, detail=detail)
        return ProviderUnavailable.for_provider(self.label, retry_after=max(retry_after, 60), detail=detail)

    def _unavailable(self, detail: str) -> ProviderUnavailable:
        return ProviderUnavailable.for_provider(self.label, retry_after=60, detail=detail)


def rate_limit_of(response: requests.Response, *, now: float) -> RateLimit | None:
    """The `X-Rate-Limit-Limit/-Remaining/-Reset` (Unix seconds) headers of an answer, or None when any is missing."""
    headers = response.headers
    try:
        limit = int(headers["X-Rate-Limit-Limit"])
        remaining = int(headers["X-Rate-Limit-Remaining"])
        reset = float(headers["X-Rate-Limit-Reset"])
    except (KeyError, ValueError):
        return None
    return RateLimit(limit=limit, remaining=remaining, resets_in=reset - now)


def retry_after_seconds(response: requests.Response, *, now: float) -> float | None:
    """Seconds an answer's `Retry-After` (seconds or an HTTP date) asks to wait, or None."""
    value = response.headers.get("Retry-After")
    return _parse_retry_after(value, now=now) if value else None


def _parse_retry_after(value: str, *, now: float) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def parse_json(response: requests.Response, *, label: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise UnexpectedAnswer.for_provider(
            label, detail=f"{_safe_url(response.url)} -> {response.status_code}: not JSON"
        ) from exc


def error_code(response: requests.Response) -> str:
    """The OAuth `error` (or similar) code of an error answer, or ''."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("error", "code", "errorCode"):
            if isinstance(body.get(key), str):
                return body[key]
    return ""


def error_text(response: requests.Response) -> str:
    """A short, token-free excerpt of an error answer for support detail."""
    return response.text[:300].replace("\n", " ")
