"""Files in the portal's private "attachments" storage: safe names, writing a stream in chunks while hashing it, and
serving a stored file with HTTP's ranges and validators. Provider-free: files in (projects) and out use it alike.

Nothing here holds a whole file in memory: bytes pass in chunks of CHUNK_SIZE, to a temporary file on the way in
and from the storage on the way out.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

CHUNK_SIZE = 1024 * 1024
MAX_FILENAME = 255
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def attachments_storage() -> Storage:
    return storages["attachments"]


def safe_filename(name: str, *, fallback: str = "attachment") -> str:
    """A name any file system and browser accepts: the last path part only, no control or reserved characters, no
    leading dots, at most 255 characters (UTF-8 bytes counted) with the extension kept."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if not name:
        return fallback
    stem, ext = os.path.splitext(name)
    if len(ext.encode()) > 20:  # not an extension, just a dot in a long name
        stem, ext = name, ""
    while len((stem + ext).encode()) > MAX_FILENAME:
        stem = stem[:-1]
    return (stem.rstrip() or fallback) + ext


def blob_name(*, firm_id: int, sha256: str) -> str:
    """Where a firm's file with this content lives in the storage."""
    return f"firms/{firm_id}/{sha256[:2]}/{sha256}"


class TooLarge(Exception):
    """The stream ran past the size limit (the rest was not read)."""


@dataclass
class Spooled:
    """A stream written to a temporary file: its size and SHA-256. Close it (or save it) when done."""

    handle: IO[bytes]
    size: int
    sha256: str

    def close(self) -> None:
        path = getattr(self.handle, "name", "")
        self.handle.close()
        if isinstance(path, str) and os.path.exists(path):
            os.unlink(path)


def _spool_dir(storage: Storage) -> str | None:
    """A folder on the storage's own disk, so that saving the spooled file is a rename, not a second copy."""
    if isinstance(storage, FileSystemStorage):
        folder = os.path.join(storage.location, ".incoming")
        os.makedirs(folder, exist_ok=True)
        return folder
    return None


# SHA-256 runs beside the download: hashlib lets go of the GIL while it hashes, so one chunk is hashed on the other
# core while it is written and the next one is received (hashing in line cost the files-in bench 5-7 points of its
# ratio to a plain copy). One thread for the process; each spool waits for its own previous chunk before handing
# over the next, so a file's chunks are hashed in order and at most one chunk a spool is held beyond the one being
# received. (A writer thread beside it was tried too and gained nothing measurable.)
_hasher: tuple[int, ThreadPoolExecutor] | None = None


def _hashing_thread() -> ThreadPoolExecutor:
    """This process's hashing thread: made anew in a forked child (a worker), which inherits no running thread."""
    global _hasher
    if _hasher is None or _hasher[0] != os.getpid():
        _hasher = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool-sha256"))
    return _hasher[1]


def spool(chunks: Iterable[bytes], *, max_bytes: int, storage: Storage | None = None) -> Spooled:
    """Write `chunks` to a temporary file while counting and hashing them; TooLarge past `max_bytes`."""
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(dir=_spool_dir(storage or attachments_storage()), delete=False)  # noqa: SIM115
    spooled = Spooled(handle, 0, "")
    hashing: Future[None] | None = None
    hasher = _hashing_thread()
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge
            if hashing is not None:
                hashing.result()
            hashing = hasher.submit(digest.update, chunk)
            handle.write(chunk)
        if hashing is not None:
            hashing.result()
        handle.flush()
    except BaseException:
        if hashing is not None:
            hashing.cancel() or hashing.exception()  # the digest is dropped, but never left half-written to
        spooled.close()
        raise
    spooled.size, spooled.sha256 = size, digest.hexdigest()
    return spooled


class _MovableFile(File):
    """A spooled file FileSystemStorage may move into place (it renames files that name their temporary path)."""

    def temporary_file_path(self) -> str:
        return str(getattr(self.file, "name", ""))


def spooled_save(spooled: Spooled, *, name: str, storage: Storage | None = None) -> str:
    """Keep the spooled bytes under `name` (content-addressed: an existing object of that name is the same bytes)."""
    storage = storage or attachments_storage()
    try:
        if storage.exists(name):
            return name
        spooled.handle.seek(0)
        wrapped = (
            _MovableFile(spooled.handle, name=name) if isinstance(storage, FileSystemStorage) else File(spooled.handle)
        )
        return storage.save(name, wrapped)
    finally:
        spooled.close()


# -- serving -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """A Range header that names no byte of the file: 416."""


def byte_range(header: str, size: int) -> ByteRange | None:
    """The one range of a `Range: bytes=...` header (None: the whole file). Several ranges or a malformed header are
    answered with the whole file, as RFC 9110 allows; a range past the end is Unsatisfiable."""
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header or "")
    if not match or not (match[1] or match[2]):
        return None
    if not match[1]:  # the last N bytes
        suffix = int(match[2])
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(match[1])
    end = int(match[2]) if match[2] else size - 1
    if start >= size or end < start:
        raise Unsatisfiable
    return ByteRange(start, min(end, size - 1))


def _read_range(storage: Storage, name: str, start: int, length: int) -> Iterator[bytes]:
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:  # S3: ask for the range itself rather than download the object to a temporary file
        key = storage._normalize_name(name)  # type: ignore[attr-defined]  # django-storages' S3Storage
        if length == 0:
            return
        body = bucket.Object(key).get(Range=f"bytes={start}-{start + length - 1}")["Body"]
        try:
            yield from body.iter_chunks(CHUNK_SIZE)
        finally:
            body.close()
        return
    with storage.open(name, "rb") as handle:
        handle.seek(start)
        left = length
        while left > 0:
            chunk = handle.read(min(CHUNK_SIZE, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def _disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_").replace("\\", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def stored_file_response(
    request: HttpRequest,
    *,
    name: str,
    size: int,
    sha256: str,
    filename: str,
    content_type: str,
    storage: Storage | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """The stored file as a download: ETag from its SHA-256 (If-None-Match answers 304), one `Range` answered 206
    (or 416 when it names no byte), always Content-Length and `Content-Disposition: attachment`."""
    storage = storage or attachments_storage()
    etag = f'"{sha256}"'
    common: dict[str, Any] = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-transform",
        "X-Content-Type-Options": "nosniff",
    }
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponse(status=304)
        for header, value in common.items():
            response[header] = value
        return response
    ranged: ByteRange | None
    try:
        if_range = request.headers.get("If-Range", "")
        ranged = byte_range(request.headers.get("Range", ""), size) if not if_range or if_range == etag else None
    except Unsatisfiable:
        body = {
            "code": "range_not_satisfiable",
            "message": f"The range asked for is not in the file, which has {size} bytes. "
            f"Ask for bytes 0 to {size - 1}.",
            "details": {"size": size},
        }
        response = JsonResponse(body, status=416)
        response["Content-Range"] = f"bytes */{size}"
        for header, value in common.items():
            response[header] = value
        return response
    start, length = (ranged.start, ranged.length) if ranged else (0, size)
    streaming = StreamingHttpResponse(
        _read_range(storage, name, start, length),
        status=206 if ranged else 200,
        content_type=content_type or "application/octet-stream",
    )
    streaming["Content-Length"] = str(length)
    streaming["Content-Disposition"] = _disposition(filename)
    if ranged:
        streaming["Content-Range"] = f"bytes {ranged.start}-{ranged.end}/{size}"
    for header, value in common.items():
        streaming[header] = value
    return streaming
