"""Files Project Center attaches to a response: declared, then streamed to storage, then named by a response.

`POST /api/v1/uploads` declares a file (name, type, size, SHA-256) once per Idempotency-Key; `PUT .../content`
streams its bytes through a temporary file (never the whole file in memory), checks the size and the hash, and only
then hands it to the attachments storage, so a wrong file leaves nothing stored. A response then names stored
uploads; delivering it hands each to the provider as a providers.uploads.OutgoingFile whose progress is written
here after every step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone

from connector_portal.models import Firm
from connector_portal.tenancy import scoped
from projects.models import ItemResponse, ResponseFile, ResponseUpload
from providers.registry import provider_label, provider_takes_files
from providers.uploads import ATTACHED, Opener, OutgoingFile

logger = logging.getLogger(__name__)
CHUNK = 1024 * 1024
FILENAME_MAX = 255
SHA256_SHAPE = re.compile(r"[0-9a-f]{64}")
MAX_FILES_PER_RESPONSE = 20


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class UploadRefused(Exception):
    """What Project Center sent cannot be taken as it is; `code` and `message` go into the API's error shape."""

    def __init__(self, *, code: str, message: str, details: dict[str, Any] | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.details, self.status = code, message, details or {}, status


def max_upload_bytes() -> int:
    return int(settings.RESPONSE_UPLOAD_MAX_BYTES)


def filename_problem(name: str) -> str | None:
    """Why a filename cannot be kept as sent (it names a path, holds control characters or is too long), or None."""
    if not name.strip(". "):
        return "The filename is empty. Send the file's own name, e.g. “S-201 markup.pdf”."
    if "/" in name or "\\" in name:
        return "The filename holds a path separator (/ or \\). Send the file's name alone, without folders."
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "The filename holds control characters. Send a filename of printable characters only."
    if len(name) > FILENAME_MAX:
        return f"The filename is {len(name)} characters long; at most {FILENAME_MAX} are kept. Shorten it."
    return None


def upload_check(*, filename: str, size: int, sha256: str) -> None:
    problem = filename_problem(filename)
    if problem is not None:
        raise UploadRefused(code="invalid_filename", message=problem, details={"filename": filename[:300]})
    if size < 1:
        raise UploadRefused(code="invalid_size", message="The file is empty: `size` must be at least 1 byte.")
    limit = max_upload_bytes()
    if size > limit:
        raise UploadRefused(
            code="file_too_large",
            message=f"The file is {size:,} bytes; the portal takes files of at most {limit:,} bytes. "
            "Send a smaller file (split or compress it).",
            details={"size": size, "max_size": limit},
        )
    if not SHA256_SHAPE.fullmatch(sha256):
        raise UploadRefused(
            code="invalid_sha256", message="`sha256` must be the file's SHA-256 as 64 lower-case hexadecimal digits."
        )


def upload_declare(
    *,
    firm: Firm,
    filename: str,
    content_type: str,
    size: int,
    sha256: str,
    idempotency_key: str,
    body_hash: str,
    now: dt.datetime | None = None,
) -> tuple[ResponseUpload, bool]:
    """Declare a file once per Idempotency-Key; answer (upload, created). A reused key with another body raises."""
    from projects.services.push import IdempotencyConflict

    existing = scoped(ResponseUpload.objects.all(), firm=firm).filter(idempotency_key=idempotency_key).first()
    if existing is None:
        upload_check(filename=filename, size=size, sha256=sha256)
        try:
            with transaction.atomic():
                upload = ResponseUpload.objects.create(
                    firm=firm,
                    filename=filename,
                    content_type=content_type or "application/octet-stream",
                    size=size,
                    sha256=sha256,
                    idempotency_key=idempotency_key,
                    request_hash=body_hash,
                    created_at=now or timezone.now(),
                )
            return upload, True
        except IntegrityError:  # the same key raced in from a concurrent request
            existing = ResponseUpload.objects.get(firm=firm, idempotency_key=idempotency_key)
    if existing.request_hash != body_hash:
        raise IdempotencyConflict(IdempotencyConflict.message)
    return existing, False


def _spool(stream: Readable, *, size: int) -> tuple[TemporaryUploadedFile, int, str]:
    """Copy at most size + 1 bytes of `stream` to a temporary file; answer (file, bytes read, SHA-256).

    Django's own temporary upload file: a file-system storage moves it into place instead of copying it again."""
    digest = hashlib.sha256()
    spool = TemporaryUploadedFile("upload", "application/octet-stream", size, None)
    read = 0
    while read <= size:
        block = stream.read(min(CHUNK, size + 1 - read))
        if not block:
            break
        digest.update(block)
        spool.write(block)
        read += len(block)
    spool.seek(0)
    return spool, read, digest.hexdigest()


def upload_store_content(*, upload: ResponseUpload, stream: Readable, now: dt.datetime | None = None) -> bool:
    """Store the upload's bytes once; answer whether they were stored now (False: stored before, nothing read).

    The bytes must be exactly the declared size and hash; otherwise UploadRefused and nothing is stored."""
    if upload.state == ResponseUpload.State.STORED:
        return False
    spool, read, sha256 = _spool(stream, size=upload.size)
    with spool:
        if read != upload.size:
            raise UploadRefused(
                code="size_mismatch",
                message=f"The content is {'longer than' if read > upload.size else f'{read:,} bytes, not'} the "
                f"{upload.size:,} bytes declared. Nothing was stored: send the whole file again (with its "
                "Content-Length), or declare it anew.",
                details={"declared_size": upload.size, "received_size": read if read <= upload.size else None},
            )
        if sha256 != upload.sha256:
            raise UploadRefused(
                code="checksum_mismatch",
                message="The content's SHA-256 is not the one declared, so it is not the file you meant. Nothing was "
                "stored: send the file again (it may have been changed or cut short on the way).",
                details={"declared_sha256": upload.sha256, "received_sha256": sha256},
            )
        name = storages["attachments"].save(f"responses/{upload.firm_id}/{upload.pk}/{upload.sha256}", spool)
    with transaction.atomic():
        locked = ResponseUpload.objects.select_for_update().filter(pk=upload.pk).first()
        if locked is None:  # the clean-up deleted it (declared long ago, never used) while its bytes came in
            storages["attachments"].delete(name)
            raise UploadRefused(
                code="upload_expired",
                message="This upload waited too long for its content and was deleted. Declare the file again "
                "with POST /api/v1/uploads, then send its bytes.",
                status=404,
            )
        if locked.state == ResponseUpload.State.STORED:  # a concurrent PUT of the same bytes won
            # A storage that overwrites (S3's file_overwrite) saved under the winner's very name: those are its bytes.
            if name != locked.storage_name:
                storages["attachments"].delete(name)
            return False
        locked.state, locked.storage_name, locked.stored_at = ResponseUpload.State.STORED, name, now or timezone.now()
        locked.save(update_fields=["state", "storage_name", "stored_at"])
    upload.state, upload.storage_name, upload.stored_at = locked.state, locked.storage_name, locked.stored_at
    return True


def uploads_for_response(*, firm: Firm, provider: str, upload_ids: Sequence[int]) -> list[ResponseUpload]:
    """The stored uploads a response names, in its order; UploadRefused names the first that cannot be attached,
    or says that the item's provider takes no files from the portal yet."""
    if not provider_takes_files(provider):
        label = provider_label(provider)
        raise UploadRefused(
            code="files_not_supported",
            message=f"The portal cannot attach files to responses in {label} yet. Send the response without "
            f"`attachments` and attach the files in {label} itself.",
            details={"provider": provider},
            status=422,
        )
    if len(upload_ids) > MAX_FILES_PER_RESPONSE:
        raise UploadRefused(code="too_many_files", message=f"A response takes at most {MAX_FILES_PER_RESPONSE} files.")
    if len(set(upload_ids)) != len(upload_ids):
        raise UploadRefused(code="duplicate_file", message="The same upload is listed twice in `attachments`.")
    found = {u.pk: u for u in scoped(ResponseUpload.objects.all(), firm=firm).filter(pk__in=upload_ids)}
    for upload_id in upload_ids:
        upload = found.get(upload_id)
        if upload is None:
            raise UploadRefused(
                code="unknown_upload",
                message=f"There is no upload {upload_id}. Declare the file with POST /api/v1/uploads first.",
                details={"upload_id": upload_id},
            )
        if upload.state != ResponseUpload.State.STORED:
            raise _not_stored(upload)
    return [found[upload_id] for upload_id in upload_ids]


def _not_stored(upload: ResponseUpload) -> UploadRefused:
    return UploadRefused(
        code="upload_not_stored",
        message=f"Upload {upload.pk} ({upload.filename}) has no content yet. PUT its bytes to its `upload_url`, "
        "then send the response.",
        details={"upload_id": upload.pk},
        status=422,
    )


def uploads_lock_for_response(*, uploads: Sequence[ResponseUpload]) -> list[ResponseUpload]:
    """The uploads again, row-locked until the transaction ends, in their order; UploadRefused names one the
    clean-up deleted since they were checked. Call it inside the atomic block that attaches them: the clean-up skips
    a locked row, and once the transaction commits the response names it, so it is never deleted from under it."""
    locked = {u.pk: u for u in ResponseUpload.objects.select_for_update().filter(pk__in=[u.pk for u in uploads])}
    for upload in uploads:
        current = locked.get(upload.pk)
        if current is None:
            hours = int(unused_upload_age() / dt.timedelta(hours=1))
            raise UploadRefused(
                code="upload_gone",
                message=f"Upload {upload.pk} ({upload.filename}) is gone: it was never attached to a response "
                f"within {hours} hours, so the portal deleted it. Upload the file again (POST /api/v1/uploads, "
                "then PUT its bytes) and send the response naming the new upload.",
                details={"upload_id": upload.pk},
            )
        if current.state != ResponseUpload.State.STORED:
            raise _not_stored(current)
    return [locked[upload.pk] for upload in uploads]


def response_files_add(*, response: ItemResponse, uploads: Iterable[ResponseUpload]) -> None:
    ResponseFile.objects.bulk_create(
        ResponseFile(firm_id=response.firm_id, response=response, upload=upload, position=position)
        for position, upload in enumerate(uploads)
    )


def _recorder(row: ResponseFile) -> Any:
    def record(file: OutgoingFile) -> None:
        row.state, row.provider_file_id, row.provider_state = file.state, file.provider_file_id, file.provider_state
        row.save(update_fields=["state", "provider_file_id", "provider_state", "updated_at"])

    return record


def _opener(storage: Storage, name: str) -> Opener:
    return lambda: storage.open(name, "rb")


def outgoing_files(*, response: ItemResponse) -> list[OutgoingFile]:
    """The response's files as the provider module takes them, each writing its progress back to its row."""
    rows = list(response.files.select_related("upload").order_by("position", "id"))
    storage = storages["attachments"]
    return [
        OutgoingFile(
            filename=row.upload.filename,
            content_type=row.upload.content_type,
            size=row.upload.size,
            sha256=row.upload.sha256,
            opener=_opener(storage, row.upload.storage_name),
            state=row.state,
            provider_file_id=row.provider_file_id,
            provider_state=dict(row.provider_state),
            recorder=_recorder(row),
        )
        for row in rows
    ]


def response_files_settle(*, response: ItemResponse, delivered: bool, detail: str = "") -> None:
    """After delivery every file is attached; after a final failure the others keep how far they got (a retry from
    admin goes on from there) and say why they are not attached."""
    files = ResponseFile.objects.filter(response=response).exclude(state=ResponseFile.State.ATTACHED)
    if delivered:
        files.update(state=ATTACHED, detail="")
    else:
        files.update(detail=detail)


def unused_upload_age() -> dt.timedelta:
    hours = int(settings.RESPONSE_UPLOAD_UNUSED_HOURS)
    if hours < 1:
        raise ValueError(f"RESPONSE_UPLOAD_UNUSED_HOURS must be at least 1 hour; it is {hours}.")
    return dt.timedelta(hours=hours)


def uploads_delete_unused(*, now: dt.datetime, age: dt.timedelta | None = None) -> int:
    """Delete the uploads no response names that were declared (or last stored) longer than `age` ago, with their
    bytes; answer how many. Safe to run twice, and beside a response being recorded: an upload a response names, or
    one being attached now (uploads_lock_for_response holds its row lock), is never touched.

    The bytes go first, while the row is locked (no response can attach it meanwhile): bytes the storage would not
    delete keep their row, so the next run tries them again instead of leaving bytes nothing names."""
    cutoff = now - (age or unused_upload_age())
    storage = storages["attachments"]
    with transaction.atomic():
        unused = (
            ResponseUpload.objects.alias(touched=Coalesce("stored_at", "created_at"))
            .filter(touched__lt=cutoff)
            .exclude(Exists(ResponseFile.objects.filter(upload=OuterRef("pk"))))
            .select_for_update(skip_locked=True)
        )
        gone = [pk for pk, name in unused.values_list("pk", "storage_name") if _bytes_deleted(storage, pk, name)]
        ResponseUpload.objects.filter(pk__in=gone).delete()
    return len(gone)


def _bytes_deleted(storage: Storage, pk: int, name: str) -> bool:
    if not name:
        return True  # declared, its bytes never sent
    try:
        storage.delete(name)
    except Exception as exc:  # any storage failure (S3 answers its own errors): keep the row for next time
        # Only the exception's class: a storage's message may quote a signed URL or the request that carried it.
        logger.warning(
            "could not delete the stored bytes of unused upload %s (%s); the next clean-up tries again",
            pk,
            type(exc).__name__,
        )
        return False
    return True
