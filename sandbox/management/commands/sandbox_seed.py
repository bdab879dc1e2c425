"""`manage.py sandbox_seed`: reset the provider sandbox to its demo data and print who can sign in."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sandbox.config import default_db_path
from sandbox.seed import seed_bulk, seed_demo
from sandbox.store import Store


class Command(BaseCommand):
    help = "Write the provider sandbox's deterministic demo data (and optionally a large project for benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--db", default=None, help="SQLite file of the sandbox (default: SANDBOX_DB)")
        parser.add_argument(
            "--bulk", type=int, default=0, metavar="N", help="add a project with N submittals and N RFIs"
        )
        parser.add_argument("--bulk-provider", default="procore", choices=["procore", "autodesk", "constructex"])

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store(options["db"] or default_db_path())
        users = seed_demo(store)
        self.stdout.write("Provider sandbox users (sign in at the sandbox's Procore, Autodesk and ConstructEx pages):")
        for user in users:
            self.stdout.write(f"  {user['login']:<26} password: {user['password']:<9} {user['role']}")
        if options["bulk"]:
            started = time.monotonic()
            project_id = seed_bulk(store, provider=options["bulk_provider"], count=options["bulk"])
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"Bulk {options['bulk_provider']} project {project_id}: {options['bulk']} submittals and "
                f"{options['bulk']} RFIs in {elapsed:.1f}s"
            )
