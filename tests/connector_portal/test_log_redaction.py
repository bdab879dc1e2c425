"""The redaction filter is on every log handler: the portal's, Django's request log (runserver) and gunicorn's access
log, so that OAuth's code and state, tokens and Authorization headers never reach a log file."""

from __future__ import annotations

import io
import json
import logging
import runpy
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils.log import configure_logging
from gunicorn.config import Config

from connector_portal.logformat import chosen_log_format
from connector_portal.logging import RedactSecretsFilter, redact, redact_every_handler

REQUEST_LINE = "GET /oauth/procore/callback/?code=the-oauth-code&state=the-oauth-state HTTP/1.1"


def _written(handler: logging.Handler, logger: logging.Logger, *args: object) -> str:
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logger.info(*args)
    finally:
        handler.setStream(previous)
    return stream.getvalue()


def test_every_configured_handler_has_the_filter() -> None:
    # Start-up as django.setup() does it (other tests may have configured logging again since): logging first, then
    # the apps' ready().
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    apps.get_app_config("connector_portal").ready()
    names = ["", "django", "django.server", "django.request", "django-q"]
    handlers = [h for name in names for h in logging.getLogger(name).handlers]
    handlers = [h for h in handlers if not type(h).__module__.startswith("_pytest")]  # pytest's capture, not ours
    assert len(handlers) >= 3  # Django's own handlers (django, django.server) and the root console
    assert all(any(isinstance(f, RedactSecretsFilter) for f in h.filters) for h in handlers)
    redact_every_handler()
    assert redact_every_handler() == 0  # once is enough: doing it again adds nothing


def test_djangos_request_log_masks_code_state_and_the_webhook_token() -> None:
    logger = logging.getLogger("django.server")
    (handler,) = [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]

    line = _written(handler, logger, '"%s" %s %s', REQUEST_LINE, 302, 0)
    webhook = _written(handler, logger, '"%s" %s %s', "POST /webhooks/procore/link-token-123/ HTTP/1.1", 200, 9)

    assert "the-oauth-code" not in line and "the-oauth-state" not in line and "code=[redacted]" in line
    assert "link-token-123" not in webhook


def test_gunicorns_access_and_error_logs_mask_them_too() -> None:
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("errorlog", "-")
    glogger = config["logger_class"](cfg)

    access = _written(glogger.access_log.handlers[0], glogger.access_log, "%s", REQUEST_LINE)
    error = _written(glogger.error_log.handlers[0], glogger.error_log, "Authorization: Bearer abc.def")

    assert "the-oauth-code" not in access and "the-oauth-state" not in access
    assert "abc.def" not in error
    glogger.reopen_files()
    assert all(any(isinstance(f, RedactSecretsFilter) for f in h.filters) for h in glogger.access_log.handlers)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("authorization=Basic QWxhZGRpbjpvcGVu", "QWxhZGRpbjpvcGVu"),
        ('{"refresh_token": "r-123", "x": 1}', "r-123"),
        ("?token=t-1&next=/", "t-1"),
        ("state=s-1; code=c-1", "s-1"),
        ("ncp_0123abcd_SecretPart", "SecretPart"),
    ],
)
def test_redact_masks_each_credential_shape(text: str, secret: str) -> None:
    assert secret not in redact(text)


def test_a_traceback_is_masked_as_well(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    try:
        raise ValueError("refused https://example.com/?code=secret-code")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RedactSecretsFilter().filter(record)
    assert "secret-code" not in (record.exc_text or "")


def test_gunicorns_logs_are_json_lines_when_the_portal_logs_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "json")
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("errorlog", "-")
    glogger = config["logger_class"](cfg)

    access = json.loads(_written(glogger.access_log.handlers[0], glogger.access_log, "%s", REQUEST_LINE))
    error = json.loads(_written(glogger.error_log.handlers[0], glogger.error_log, "Worker booted"))

    assert access["logger"] == "gunicorn.access" and access["level"] == "INFO"
    assert access["message"].startswith("GET /oauth/procore/callback/?code=[redacted]&state=[redacted]")
    assert error["message"] == "Worker booted"


@pytest.mark.parametrize(
    ("variables", "chosen"),
    [
        ({}, "text"),
        ({"DEBUG": "false"}, "json"),
        ({"DEBUG": "off", "LOG_FORMAT": "text"}, "text"),
        ({"DEBUG": "yes"}, "text"),
    ],
)
def test_the_log_format_follows_debug_unless_set(variables: dict[str, str], chosen: str) -> None:
    assert chosen_log_format(variables) == chosen
