"""Spooling a stream to a temporary file while hashing it (the hashing runs on a thread beside the writes)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest

from connector_portal import files
from connector_portal.files import TooLarge, spool


def _chunks(count: int, size: int = 64 * 1024) -> Iterator[bytes]:
    for n in range(count):
        yield bytes([n % 251]) * size


def test_a_spooled_stream_has_its_bytes_size_and_sha256_in_order(db: None) -> None:
    expected = b"".join(_chunks(40))

    spooled = spool(_chunks(40), max_bytes=len(expected))

    try:
        spooled.handle.seek(0)
        assert spooled.handle.read() == expected
        assert (spooled.size, spooled.sha256) == (len(expected), hashlib.sha256(expected).hexdigest())
    finally:
        spooled.close()


def test_a_stream_past_the_limit_is_too_large_and_leaves_no_file(db: None) -> None:
    folder = files._spool_dir(files.attachments_storage())
    assert folder is not None
    before = set(os.listdir(folder))

    with pytest.raises(TooLarge):
        spool(_chunks(10), max_bytes=5 * 64 * 1024)

    assert set(os.listdir(folder)) == before


def test_a_forked_worker_gets_a_hashing_thread_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = files._hashing_thread()
    monkeypatch.setattr(files.os, "getpid", lambda: -1)  # as a child process sees itself after fork

    child = files._hashing_thread()

    assert child is not parent and child.submit(lambda: 42).result() == 42
