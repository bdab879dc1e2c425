"""The sandbox's tiny web layer: request, response and router (no framework, so sockets stay under our control)."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host:port of this sandbox, as the client reached it
    params: dict[str, str] = field(default_factory=dict)  # path parameters from the route
    context: dict[str, Any] = field(default_factory=dict)  # e.g. the authenticated token

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        """The JSON body, or None when there is none or it is not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        """Form fields; a JSON object body is accepted too (Procore's token endpoint takes both)."""
        if "application/json" in self.header("content-type"):
            data = self.json()
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def bearer(self) -> str:
        auth = self.header("authorization")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else ""

    def basic(self) -> tuple[str, str] | None:
        auth = self.header("authorization")
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except ValueError:
            return None
        return user, password


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # A Content-Length other than the body's: the connection is closed after the body (a download cut short).
    declared_length: int | None = None
    # A large body sent chunk by chunk instead of `body` (its length in `declared_length`), so that the sandbox never
    # holds a whole file in memory either.
    chunks: Iterable[bytes] | None = None

    def with_headers(self, **headers: str) -> Response:
        self.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
        return self


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data).encode()
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def text_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8", **(headers or {})})


def html_response(body_html: str, title: str, status: int = 200) -> Response:
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body><main>{body_html}</main></body></html>"
    )
    return Response(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})


def redirect(url: str, params: dict[str, str] | None = None) -> Response:
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    return Response(302, b"", {"Location": url})


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#1a1a1a}main{max-width:46rem}"
    "label{display:block;margin:.6rem 0 .2rem}input,select{padding:.35rem;min-width:16rem}"
    "button{margin:.6rem .4rem 0 0;padding:.4rem 1.1rem}.error{color:#a40000}"
    "fieldset{margin:1rem 0;border:1px solid #ccc}table{border-collapse:collapse}td,th{padding:.2rem .6rem}"
)

Handler = Callable[[Any, Request], Response]  # (the SandboxApp, the request)
Route = tuple[str, str, Handler]


class Router:
    """Routes `METHOD /path/{param}` patterns to handlers; a parameter matches one path segment."""

    def __init__(self, routes: list[Route] | None = None) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        for method, pattern, handler in routes or []:
            self.add(method, pattern, handler)

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+?)", re.escape(pattern))
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def dispatch(self, app: Any, request: Request) -> Response | None:
        """The handler's answer, a 405 when only the method is wrong, None when no route matches the path."""
        path_matched = False
        for method, regex, handler in self._routes:
            match = regex.match(request.path)
            if not match:
                continue
            path_matched = True
            if method == request.method:
                request.params = match.groupdict()
                return handler(app, request)
        return json_response({"error": "method not allowed"}, 405) if path_matched else None


def int_param(value: str | None, default: int, *, low: int = 0, high: int | None = None) -> int:
    """A whole-number query parameter clamped to [low, high]; a missing or bad one takes the default."""
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        number = default
    number = max(low, number)
    return min(number, high) if high is not None else number
