"""The sandbox process: one threaded stdlib HTTP server with our own router, so faults can stall or drop sockets.

`SandboxApp` holds everything a request needs (store, clock, faults, rate limits, webhooks); tests change it directly.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from . import autodesk, constructex, control, files, oauth, procore, uploads, webhooks
from .faults import FaultInjector
from .ratelimit import RateLimiter
from .requestlog import RequestLog
from .store import Store, iso
from .web import Request, Response, Router, json_response


@dataclass
class TokenSettings:
    """Lifetimes in seconds, per provider (None: the refresh token does not expire)."""

    access: dict[str, int] = field(default_factory=lambda: {"procore": 5400, "autodesk": 3600, "constructex": 3600})
    refresh: dict[str, int | None] = field(
        default_factory=lambda: {"procore": None, "autodesk": 15 * 24 * 3600, "constructex": 30 * 24 * 3600}
    )
    code: dict[str, int] = field(default_factory=lambda: {"procore": 600, "autodesk": 600, "constructex": 600})


class SandboxApp:
    def __init__(self, db_path: str | Path, *, request_log: str | Path | None = None) -> None:
        self.store = Store(db_path)
        files.checksums_renew(self.store)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # replace in tests to move time
        self.sleep: Callable[[float], None] = time.sleep  # replace in tests to record added latency
        self.faults = FaultInjector()
        self.limiter = RateLimiter()
        self.tokens = TokenSettings()
        self.request_log = RequestLog(request_log)
        self.webhooks = webhooks.Dispatcher(self)
        self.stopping = threading.Event()
        # Where clients reach this sandbox (file URLs in item JSON are absolute); the server sets it when it binds.
        self.base_url = "http://127.0.0.1:8001"
        self.pending: dict[str, dict[str, Any]] = {}  # sign-in tickets between the sign-in and the consent page
        self.router = Router(
            [
                *oauth.ROUTES,
                *procore.ROUTES,
                *autodesk.ROUTES,
                *constructex.ROUTES,
                *control.ROUTES,
                *uploads.ROUTES,
                *files.ROUTES,
            ]
        )

    def now(self) -> datetime:
        return self.clock()

    def timestamp(self) -> float:
        return self.clock().timestamp()

    def now_iso(self) -> str:
        return iso(self.clock())

    def handle(self, request: Request) -> Response:
        try:
            response = self.router.dispatch(self, request)
        except Exception:  # a bug in the sandbox must answer 500, not kill the connection thread silently
            traceback.print_exc(file=sys.stderr)
            response = json_response({"error": "internal sandbox error"}, 500)
        return response or json_response({"error": "not found", "path": request.path}, 404)


class _Dropped(Exception):
    """The fault injector closed the connection: write nothing."""


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would add ~40 ms on keep-alive
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _request(self) -> Request:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or self.server.netloc
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        return Request(self.command, parts.path, query, headers, body, f"http://{host}")

    def _answer(self) -> None:
        app = self.server.app
        request = self._request()
        try:
            response = self._faulty_or_real(app, request)
        except _Dropped:
            app.request_log.append(request, 0, app.now_iso())
            return
        app.request_log.append(request, response.status, app.now_iso())
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        declared = response.declared_length
        self.send_header("Content-Length", str(len(response.body) if declared is None else declared))
        self.end_headers()
        if self.command != "HEAD":
            for chunk in response.chunks if response.chunks is not None else [response.body]:
                self.wfile.write(chunk)
        if declared is not None and response.chunks is None:
            self.close_connection = True

    def _faulty_or_real(self, app: SandboxApp, request: Request) -> Response:
        injector = app.faults
        if injector.applies(request):
            faults = injector.faults
            if injector.draw(faults.drop_rate):
                self._drop()
            if injector.draw(faults.stall_rate):
                app.stopping.wait(faults.stall_seconds)
            if faults.latency_ms:
                app.sleep(faults.latency_ms / 1000)
            injected = injector.injected_answer(request)
            if injected is not None:
                return injected
        return app.handle(request)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        raise _Dropped

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _answer


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: SandboxApp, host: str, port: int, *, verbose: bool = False) -> None:
        self.app = app
        self.verbose = verbose
        super().__init__((host, port), SandboxHandler)
        app.base_url = self.base_url

    @property
    def netloc(self) -> str:
        """`host:port` the server listens on (an AF_INET socket names its host as text, never bytes)."""
        host, port = cast(tuple[str, int], self.server_address[:2])
        return f"{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.netloc}"

    def stop(self) -> None:
        self.app.stopping.set()  # releases stalled requests
        self.shutdown()
        self.server_close()
        self.app.webhooks.stop()
