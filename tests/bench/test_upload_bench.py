"""Files out (issue 12): a response's file PUT to `/api/v1/uploads/{id}/content/` through Django's WSGI handler, run
with `BENCH=1 pytest tests/bench -s`; skipped otherwise.

The body is read from a stream that makes its bytes as it goes (never a whole file in this process), so the peak memory
growth measured with tracemalloc is the portal's own: chunked reading, hashing, the temporary file and the storage.
The baseline is the least the same work needs: the same bytes read in the same chunks, hashed and written once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler

from connector_portal.models import Firm
from connector_portal.services import service_token_create
from projects.models import ResponseUpload
from projects.services.uploads import CHUNK, upload_declare

pytestmark = pytest.mark.skipif(os.environ.get("BENCH") != "1", reason="benchmarks run only with BENCH=1 (make bench)")
SIZE = int(os.environ.get("BENCH_UPLOAD_MIB", "256")) * 1024 * 1024
BLOCK = hashlib.shake_256(b"markup").digest(CHUNK)  # 1 MiB of noise, repeated: files do not compress to nothing
RESULTS: list[tuple[str, str, str]] = []


class MadeBody:
    """A WSGI input of `size` bytes made as they are read."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        self.left -= size
        return (BLOCK * (size // len(BLOCK) + 1))[:size]

    def readline(self, size: int = -1) -> bytes:  # WSGI inputs have it; a raw PUT body is never read by lines
        return self.read(size)


def made_sha256(size: int) -> str:
    digest, body = hashlib.sha256(), MadeBody(size)
    while block := body.read(CHUNK):
        digest.update(block)
    return digest.hexdigest()


@pytest.fixture(scope="module", autouse=True)
def print_table() -> Iterator[None]:
    yield
    print("\n\nFiles out benchmark (a response's file PUT to the API)")
    print(f"{'measure':<62} {'result':>14}  target")
    for name, result, target in RESULTS:
        print(f"{name:<62} {result:>14}  {target}")


def put(upload: ResponseUpload, token: str, *, traced: bool) -> tuple[float, int]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "PUT",
        "PATH_INFO": f"/api/v1/uploads/{upload.pk}/content/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": MadeBody(upload.size),
        "wsgi.errors": BytesIO(),
        "CONTENT_TYPE": "application/octet-stream",
        "CONTENT_LENGTH": str(upload.size),
        "HTTP_AUTHORIZATION": f"Bearer {token}",
    }
    status: list[str] = []
    if traced:  # tracemalloc slows every allocation: memory and time are measured in separate runs
        tracemalloc.start()
    began = time.perf_counter()
    body = b"".join(WSGIHandler()(environ, lambda s, h, *a: status.append(s)))  # type: ignore[arg-type]
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    tracemalloc.stop()
    assert status[0].startswith("200"), body[:300]
    return seconds, peak


def plain_copy(size: int) -> float:
    began = time.perf_counter()
    body, digest = MadeBody(size), hashlib.sha256()
    with tempfile.TemporaryFile() as out:
        while block := body.read(CHUNK):
            digest.update(block)
            out.write(block)
    return time.perf_counter() - began


@pytest.mark.django_db(transaction=True)
def test_a_large_file_put_streams_to_storage_in_flat_memory(firm: Firm, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    _, token = service_token_create(firm=firm)
    sha256 = made_sha256(SIZE)
    timed, traced = (
        upload_declare(
            firm=firm,
            filename="large markup.pdf",
            content_type="application/pdf",
            size=SIZE,
            sha256=sha256,
            idempotency_key=f"bench-{n}",
            body_hash="bench",
        )[0]
        for n in (1, 2)
    )
    baseline = plain_copy(SIZE)

    seconds, _ = put(timed, token, traced=False)
    _, peak = put(traced, token, traced=True)

    assert ResponseUpload.objects.filter(state=ResponseUpload.State.STORED).count() == 2
    mib = SIZE / 1024 / 1024
    RESULTS.append((f"PUT {mib:,.0f} MiB: throughput", f"{mib / seconds:,.0f} MiB/s", ""))
    RESULTS.append(("... share of a plain hashed copy of the same bytes", f"{baseline / seconds:.0%}", ">= 50 %"))
    RESULTS.append(("... peak memory growth (tracemalloc)", f"{peak / 1024 / 1024:.1f} MB", "< 50 MB"))
    assert peak < 50 * 1024 * 1024
