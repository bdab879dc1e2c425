"""Files going out with a response: what a provider module is handed, and a streamed multipart body.

The projects app hands each file as an OutgoingFile: what it is, how to open its bytes, and how far an earlier
attempt got at the provider. A provider module calls `note` after every step of its upload flow, and the projects
app writes that down at once; so a retry after a lost answer reuses what reached the provider and never uploads or
attaches a file twice. States are the ResponseFile states of the projects app, by value.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import IO, Any

PENDING = "pending"
STARTED = "started"  # the provider knows of the upload (an id was given) but has not confirmed its bytes
UPLOADED = "uploaded"  # the provider holds the bytes: the id can be attached
ATTACHED = "attached"

CHUNK = 1024 * 1024  # bytes read from storage at a time: memory stays flat whatever the file's size

Opener = Callable[[], AbstractContextManager[IO[bytes]]]


@dataclass
class OutgoingFile:
    filename: str
    content_type: str
    size: int
    sha256: str
    opener: Opener = field(repr=False)
    state: str = PENDING
    provider_file_id: str = ""
    provider_state: dict[str, Any] = field(default_factory=dict)
    recorder: Callable[[OutgoingFile], None] = field(default=lambda file: None, repr=False)

    @property
    def reusable(self) -> bool:
        """The provider already holds this file's bytes under `provider_file_id`."""
        return self.state in (UPLOADED, ATTACHED) and bool(self.provider_file_id)

    def note(self, state: str, *, provider_file_id: str | None = None, **provider_state: Any) -> None:
        """Record one step of the upload flow (written down by the caller before the next request goes out)."""
        self.state = state
        if provider_file_id is not None:
            self.provider_file_id = provider_file_id
        self.provider_state.update(provider_state)
        self.recorder(self)

    def chunks(self) -> Iterator[bytes]:
        with self.opener() as handle:
            while block := handle.read(CHUNK):
                yield block


class StreamBody:
    """A request body read from parts (bytes and open files) in chunks, with a known length (no chunked encoding,
    which S3-style storage refuses). requests reads it through `read` and sets Content-Length from `__len__`."""

    def __init__(self, parts: list[bytes | OutgoingFile]) -> None:
        self._parts = parts
        self._length = sum(len(p) if isinstance(p, bytes) else p.size for p in parts)
        self._blocks = self._iterate()
        self._buffer = b""

    def __len__(self) -> int:
        return self._length

    def _iterate(self) -> Iterator[bytes]:
        for part in self._parts:
            if isinstance(part, bytes):
                yield part
            else:
                yield from part.chunks()

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            block = next(self._blocks, None)
            if block is None:
                break
            self._buffer += block
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def multipart_body(fields: dict[str, str], file: OutgoingFile, *, file_field: str = "file") -> tuple[str, Any]:
    """(Content-Type, body factory) of a multipart/form-data POST: the fields first, the file last (S3's POST
    policy ignores anything after the file). Each call of the factory gives a fresh body, for a retry."""
    boundary = uuid.uuid4().hex

    def head(name: str, extra: str = "") -> bytes:
        return f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n'.encode()

    prefix = b"".join(head(k) + b"\r\n" + str(v).encode() + b"\r\n" for k, v in fields.items())
    quoted = file.filename.replace("\\", "\\\\").replace('"', '\\"')
    file_head = head(file_field, f'; filename="{quoted}"') + f"Content-Type: {file.content_type}\r\n\r\n".encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def factory() -> StreamBody:
        return StreamBody([prefix + file_head, file, tail])

    return f"multipart/form-data; boundary={boundary}", factory


def raw_body(file: OutgoingFile) -> Callable[[], StreamBody]:
    """A body factory sending the file's bytes as they are (a PUT to a signed URL)."""
    return lambda: StreamBody([file])
