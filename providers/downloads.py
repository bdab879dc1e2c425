"""Opening a provider's file for download: redirects followed by hand (a signed storage URL never gets the account's
token), the HTTP policy of providers.http on every hop, the body left unread for the caller to stream in chunks."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import requests

from providers.errors import ProviderError, Retryable, UnexpectedAnswer
from providers.http import Attempt, Classifier, HttpClient, TokenSource, error_text

MAX_REDIRECTS = 5
# The read timeout applies between chunks, not to the whole body: a large file may take minutes and still be healthy.
CHUNK_SIZE = 1024 * 1024


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port


def storage_refusal(label: str, *, outgoing: bool) -> Classifier:
    """The classifier for a provider's file storage (signed URLs): a refusal there most likely means the signed URL
    expired between two attempts, so the next attempt asks for a new one. `outgoing`: a response's file on its way
    to the provider, else an item's file on its way in."""
    what, when = ("one of the response's files", "response") if outgoing else ("one of the item's files", "item")

    def classify(response: requests.Response, attempt: Attempt) -> ProviderError:
        return Retryable(
            f"{label}'s file storage refused {what}. The portal tries it again later; if it keeps failing, contact "
            f"support with the time of the {when}.",
            retry_after=60,
            detail=f"{attempt.method} {attempt.url.split('?')[0]} -> {response.status_code}: {error_text(response)}",
        )

    return classify


def same_origin(url: str, base: str) -> bool:
    """Whether `url` goes to the scheme, host and port of `base` (an API base URL), as a token may."""
    return _origin(url) == _origin(base)


def open_download(
    http: HttpClient, url: str, *, classify: Classifier, auth: TokenSource | None = None
) -> requests.Response:
    """The provider's answer carrying the file's bytes (status 200, body unread): close it when done.

    The token goes only to the origin of `url` itself; storage services redirect to URLs that carry their own
    signature and refuse an Authorization header beside it."""
    origin = _origin(url)
    # A refusal from the storage a redirect leads to is its signed URL's (expired), not the API's: a passing fault,
    # since the next attempt starts at the API again and is given a new one.
    storage = storage_refusal(http.label, outgoing=False)
    for _ in range(MAX_REDIRECTS + 1):
        at_origin = _origin(url) == origin
        answer = http.send(
            "GET",
            url,
            auth=auth if at_origin else None,
            classify=classify if at_origin else storage,
            headers={"Accept": "*/*"},
            stream=True,
        )
        if not answer.is_redirect:
            return answer
        location = answer.headers.get("Location", "")
        answer.content  # noqa: B018 - read the (empty) redirect body, so that the next hop reuses the connection
        answer.close()
        url = urljoin(url, location)
    raise UnexpectedAnswer.for_provider(http.label, detail=f"more than {MAX_REDIRECTS} redirects downloading a file")
