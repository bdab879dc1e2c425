"""Where the sandbox keeps its state and log when run as a process (`SANDBOX_DB`, `SANDBOX_REQUEST_LOG`)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def default_db_path() -> Path:
    return Path(os.environ.get("SANDBOX_DB") or REPO_ROOT / "sandbox.sqlite3")


def request_log_path() -> str | None:
    return os.environ.get("SANDBOX_REQUEST_LOG") or None
