"""The sandbox's generated files: the same bytes every time, and a sandbox file kept from before the bytes were made
the present way declares the checksum of what it serves now."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from sandbox.files import BYTES_MADE, file_attach, generated, generated_chunks, generated_sha256
from sandbox.seed import seed_demo
from sandbox.server import SandboxApp
from sandbox.store import SCHEMA


def test_generated_bytes_are_the_same_every_time_and_differ_by_seed() -> None:
    size = 2 * 1024 * 1024 + 7
    first = generated(3, size)
    assert len(first) == size and first == b"".join(generated_chunks(3, size))
    assert first != generated(4, size)
    assert first[: 1024 * 1024] != first[1024 * 1024 : 2 * 1024 * 1024]  # a chunk is not its neighbour again
    assert generated_sha256(3, size) == hashlib.sha256(first).hexdigest()


def test_a_file_kept_from_before_gets_the_checksum_of_the_bytes_served_now(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite3"
    with sqlite3.connect(path) as made_before:  # the files table as it was, without bytes_made
        made_before.executescript(SCHEMA.replace(", bytes_made INTEGER NOT NULL DEFAULT 2", ""))
    app = SandboxApp(path)
    seed_demo(app.store)
    item_id = app.store.one("SELECT id FROM items ORDER BY id LIMIT 1")
    assert item_id is not None, "the seed makes items"
    row = file_attach(app, item_id=item_id["id"], filename="old.pdf", size=4096, seed=9)
    with app.store.write() as conn:  # as a sandbox file made before: the old way's mark and checksum
        conn.execute("UPDATE files SET bytes_made = 1, sha256 = 'stale' WHERE id = ?", (row["id"],))

    reopened = SandboxApp(path)

    kept = reopened.store.one("SELECT sha256, bytes_made FROM files WHERE id = ?", (row["id"],))
    assert kept is not None and kept["sha256"] == generated_sha256(9, 4096) and kept["bytes_made"] == BYTES_MADE
    # A file attached since says how its bytes are made, so the next opening leaves it alone.
    new = file_attach(reopened, item_id=item_id["id"], filename="new.pdf", size=4096, seed=10)
    assert new["bytes_made"] == BYTES_MADE
