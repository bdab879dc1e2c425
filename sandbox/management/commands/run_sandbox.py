"""`manage.py run_sandbox`: serve the provider sandbox (Procore, Autodesk, ConstructEx) as its own process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox.config import default_db_path, request_log_path
from sandbox.seed import seed_demo
from sandbox.server import SandboxApp, SandboxServer


class Command(BaseCommand):
    help = "Run the local provider sandbox (development and tests only; refuses to start with DEBUG off)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--db", default=None, help="SQLite file for the sandbox's state (default: SANDBOX_DB)")
        parser.add_argument("--force", action="store_true", help="start even with DEBUG off")
        parser.add_argument("--verbose-log", action="store_true", help="print one line per request")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "The provider sandbox is for development only and DEBUG is off. "
                "Use --force if you really mean to run it here."
            )
        app = SandboxApp(options["db"] or default_db_path(), request_log=request_log_path())
        if app.store.row("SELECT COUNT(*) FROM users")[0] == 0:
            seed_demo(app.store)  # a fresh database gets the demo data, so sign-in works at once
        try:
            server = SandboxServer(app, options["host"], options["port"], verbose=options["verbose_log"])
        except OSError as error:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {error}") from error
        self.stdout.write(f"Provider sandbox on {server.base_url} (control page: {server.base_url}/_control/)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
