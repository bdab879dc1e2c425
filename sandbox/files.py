"""Files the general contractor attaches to submittals and RFIs, and their download like the real storage services.

An item's JSON names each file with a URL (Procore's `url`, ACC's `url`, ConstructEx's `download_url`). Procore's and
ACC's answer a 302 to a signed storage URL; ConstructEx's takes the account's bearer token first. The storage URL
(`/_storage/{uid}?expires=&signature=`) carries an HMAC of the file and its expiry and answers 403 once expired or
tampered with, as S3's presigned URLs do. Large demo and bench files are not kept: their bytes are generated from a
seed on each download, so 1 GiB of attachments costs no disk.

Bad files for tests, by `fault`: `truncate` announces the whole Content-Length and sends half, then closes the
connection; `corrupt` sends other bytes than the SHA-256 the item declares (ConstructEx declares it).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import random
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .store import Store, inserted_id, placeholders
from .tokens import token_lookup
from .web import Request, Response, json_response, redirect

if TYPE_CHECKING:
    from .server import SandboxApp

Row = sqlite3.Row
SIGNED_URL_SECONDS = 300  # like S3 presigned GETs handed out by the providers: minutes, not hours
_SIGNING_KEY = b"sandbox-storage-signing-key"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


CHUNK = 1024 * 1024


@functools.cache
def _block() -> memoryview:
    return memoryview(random.Random(0).randbytes(CHUNK))  # noqa: S311 - test bytes, not secrets


def generated_chunks(seed: int, size: int) -> Iterator[bytes]:
    """`size` pseudo-random bytes from `seed`, a chunk at a time (the same bytes every time).

    Each chunk is one pseudo-random block turned by an amount the seed and the chunk's place choose, so that serving
    a file costs a copy of its bytes and not the making of random numbers (~3.5 s a GiB): a real storage service does
    that work on its own machines, and the files-in bench compares the portal with a plain copy of what is served."""
    block = _block()
    for n, start in enumerate(range(0, size, CHUNK)):
        turn, length = (seed * 7_919 + n * 65_537) % CHUNK, min(CHUNK, size - start)
        tail = block[turn : turn + length]
        yield bytes(tail) if len(tail) == length else b"".join((tail, block[: length - len(tail)]))


def checksums_renew(store: Store) -> None:
    """Files generated the way bytes were made before (`bytes_made` 1, one random number a byte) get the checksum of
    the bytes they are served with now, so that a sandbox file kept from then still matches what it declares."""
    with store.write() as conn:
        for row in conn.execute("SELECT id, seed, size FROM files WHERE bytes_made = 1 AND data IS NULL").fetchall():
            digest = generated_sha256(row["seed"], row["size"])
            conn.execute("UPDATE files SET sha256 = ?, bytes_made = 2 WHERE id = ?", (digest, row["id"]))
        conn.execute("UPDATE files SET bytes_made = 2 WHERE bytes_made = 1")


def generated(seed: int, size: int) -> bytes:
    return b"".join(generated_chunks(seed, size))


def generated_sha256(seed: int, size: int) -> str:
    digest = hashlib.sha256()
    for chunk in generated_chunks(seed, size):
        digest.update(chunk)
    return digest.hexdigest()


def content_of(row: Row) -> bytes:
    return bytes(row["data"]) if row["data"] is not None else generated(row["seed"], row["size"])


def small_pdf(title: str) -> bytes:
    """A valid one-page PDF naming `title` (the demo seed's drawings and sketches)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")[:80]
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def file_attach(
    app: SandboxApp,
    *,
    item_id: int,
    filename: str,
    data: bytes | None = None,
    size: int = 0,
    seed: int = 0,
    content_type: str = "application/pdf",
    hangs: str = "item",
    post_id: int | None = None,
    fault: str = "",
    touch: bool = True,
) -> Row:
    """Attach a file (its bytes, or `size` bytes generated from `seed`) to an item, its question or an answer."""
    length = len(data) if data is not None else size
    digest = _sha256(data) if data is not None else generated_sha256(seed, size)
    now = app.now_iso()
    with app.store.write() as conn:
        cursor = conn.execute(
            "INSERT INTO files (item_id, uid, hangs, post_id, filename, content_type, size, sha256, data, seed, fault,"
            " created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (item_id, "", hangs, post_id, filename, content_type, length, digest, data, seed, fault, now),
        )
        file_id = inserted_id(cursor)
        conn.execute("UPDATE files SET uid = ? WHERE id = ?", (f"f{file_id:08d}", file_id))
        if touch:
            conn.execute("UPDATE items SET updated_at = ? WHERE id = ?", (now, item_id))
    return app.store.row("SELECT * FROM files WHERE id = ?", (file_id,))


def seed_file(conn: sqlite3.Connection, *, item_id: int, filename: str, title: str, created_at: str) -> None:
    """A small PDF on a demo item, written in the seed's own transaction."""
    data = small_pdf(title)
    cursor = conn.execute(
        "INSERT INTO files (item_id, uid, hangs, filename, content_type, size, sha256, data, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        (
            item_id,
            "",
            "item",
            filename,
            "application/pdf",
            len(data),
            hashlib.sha256(data).hexdigest(),
            data,
            created_at,
        ),
    )
    file_id = inserted_id(cursor)
    conn.execute("UPDATE files SET uid = ? WHERE id = ?", (f"f{file_id:08d}", file_id))


def files_by_item(app: SandboxApp, item_ids: list[int]) -> dict[int, list[Row]]:
    rows = app.store.all(
        f"SELECT * FROM files WHERE item_id IN ({placeholders(item_ids)}) ORDER BY id",  # noqa: S608
        item_ids,
    )
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["item_id"]].append(row)
    return grouped


def _file_url(app: SandboxApp, row: Row) -> str:
    return f"{app.base_url}/_files/{row['uid']}"


# -- each provider's JSON ------------------------------------------------------------------------------------------


def procore_file(app: SandboxApp, row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["filename"],
        "filename": row["filename"],
        "content_type": row["content_type"],
        "url": _file_url(app, row),
        "version_timestamp": row["created_at"],
    }


def procore_add(app: SandboxApp, kind: str, results: list[dict[str, Any]]) -> None:
    """Procore: the submittal's `attachments[]`; an RFI's question and answers' `attachments[]`."""
    found = files_by_item(app, [r["id"] for r in results])
    for result in results:
        files = found.get(result["id"], [])
        if kind == "submittal":
            result["attachments"] = [procore_file(app, f) for f in files if f["hangs"] == "item"]
            continue
        for question in result.get("questions") or []:
            question["attachments"] = [procore_file(app, f) for f in files if f["hangs"] in ("item", "question")]
            for answer in question.get("answers") or []:  # beside the reviewer's own files (sandbox.uploads)
                gc = [procore_file(app, f) for f in files if f["post_id"] == answer["id"]]
                answer["attachments"] = [*(answer.get("attachments") or []), *gc]
            break


def acc_file(app: SandboxApp, row: Row) -> dict[str, Any]:
    return {
        "id": row["uid"],
        "name": row["filename"],
        "displayName": row["filename"],
        "urn": f"urn:adsk.objects:os.object:wip.dm.prod/{row['uid']}",
        "urnVersion": row["version"],
        "mimeType": row["content_type"],
        "fileSize": row["size"],
        "url": _file_url(app, row),
    }


def acc_add(app: SandboxApp, rows: list[Row], results: list[dict[str, Any]]) -> None:
    found = files_by_item(app, [r["id"] for r in rows])
    for row, result in zip(rows, results, strict=True):
        files = found.get(row["id"], [])
        result["attachments"] = [acc_file(app, f) for f in files if f["post_id"] is None]
        answers = {str(r.get("id")): r for r in result.get("responses") or []}
        for file in files:
            if file["post_id"] is not None:
                target = next((a for key, a in answers.items() if key.endswith(str(file["post_id"]))), None)
                if target is not None:
                    target.setdefault("attachments", []).append(acc_file(app, file))


def constructex_file(app: SandboxApp, row: Row) -> dict[str, Any]:
    return {
        "id": row["uid"],
        "version": row["version"],
        "filename": row["filename"],
        "content_type": row["content_type"],
        "size": row["size"],
        "sha256": row["sha256"],
        "download_url": f"{app.base_url}/constructex/api/v1/files/{row['uid']}/download",
    }


def constructex_add(app: SandboxApp, rows: list[Row], results: list[dict[str, Any]]) -> None:
    found = files_by_item(app, [r["id"] for r in rows])
    for row, result in zip(rows, results, strict=True):
        files = found.get(row["id"], [])
        result["attachments"] = [constructex_file(app, f) for f in files if f["post_id"] is None]
        for answer in result.get("answers") or []:  # beside the reviewer's own files (sandbox.uploads)
            gc = [constructex_file(app, f) for f in files if f["post_id"] == answer.get("id")]
            answer["attachments"] = [*(answer.get("attachments") or []), *gc]


# -- downloads -------------------------------------------------------------------------------------------------------


def _signature(uid: str, expires: int) -> str:
    return hmac.new(_SIGNING_KEY, f"{uid}:{expires}".encode(), hashlib.sha256).hexdigest()


def signed_url(app: SandboxApp, uid: str) -> str:
    expires = int(app.timestamp()) + SIGNED_URL_SECONDS
    return f"{app.base_url}/_storage/{uid}?expires={expires}&signature={_signature(uid, expires)}"


def _file(app: SandboxApp, uid: str) -> Row | None:
    return app.store.one("SELECT * FROM files WHERE uid = ?", (uid,))


def file_redirect(app: SandboxApp, request: Request) -> Response:
    """Procore's and ACC's file URL: a redirect to the signed storage URL (no token: the URL is the credential)."""
    if _file(app, request.params["uid"]) is None:
        return json_response({"errors": "File not found."}, 404)
    return redirect(signed_url(app, request.params["uid"]))


def _storage_error(code: str, message: str) -> Response:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return Response(403, body.encode(), {"Content-Type": "application/xml"})


def storage_get(app: SandboxApp, request: Request) -> Response:
    """The signed storage URL: the bytes while the signature holds, S3's 403 once it expired or was altered."""
    uid = request.params["uid"]
    expires = request.query.get("expires", "")
    if not expires.isdigit() or not hmac.compare_digest(
        request.query.get("signature", ""), _signature(uid, int(expires))
    ):
        return _storage_error("SignatureDoesNotMatch", "The request signature we calculated does not match.")
    if int(expires) < app.timestamp():
        return _storage_error("AccessDenied", "Request has expired")
    row = _file(app, uid)
    if row is None:
        return _storage_error("NoSuchKey", "The specified key does not exist.")
    headers = {"Content-Type": row["content_type"], "ETag": f'"{row["sha256"][:32]}"'}
    if row["data"] is None and not row["fault"]:  # generated bytes: streamed, never whole in memory
        return Response(
            200, b"", headers, declared_length=row["size"], chunks=generated_chunks(row["seed"], row["size"])
        )
    body = content_of(row)
    if row["fault"] == "corrupt":
        body = bytes(reversed(body))
    response = Response(200, body, headers)
    if row["fault"] == "truncate":
        response.body, response.declared_length = body[: len(body) // 2], len(body)
    return response


def constructex_download(app: SandboxApp, request: Request) -> Response:
    """ConstructEx's `download_url`: the account's bearer token, then a redirect to the signed storage URL."""
    if token_lookup(app, provider="constructex", token=request.bearer()) is None:
        return json_response({"error": {"code": "unauthorized", "message": "The access token is invalid."}}, 401)
    if _file(app, request.params["uid"]) is None:
        return json_response({"error": {"code": "not_found", "message": "No such file."}}, 404)
    return redirect(signed_url(app, request.params["uid"]))


ROUTES = [
    ("GET", "/_files/{uid}", file_redirect),
    ("GET", "/constructex/api/v1/files/{uid}/download", constructex_download),
    ("GET", "/_storage/{uid}", storage_get),
]
