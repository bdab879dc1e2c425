"""Files going out with responses: the providers' upload flows, emulated strictly, and the files they attach.

Procore (its reference, RestV10ProjectsProjectIdUploadsPost): `POST .../projects/{id}/uploads` declares a file (name,
type, size, one segment with its SHA-256) and answers `{uuid, url, fields}`; the file is POSTed to `url` (this
sandbox's stand-in for S3, `/procore-storage/uploads`) as multipart/form-data with exactly those fields, the file last,
before the signed policy expires; its bytes must be the declared size and SHA-256. `upload_ids` on an approver PATCH
or an RFI reply then attach stored uploads; attaching an upload again attaches it again, as Procore does, which is
what the portal's exactly-once delivery must avoid.

Every attached file is a row of `response_files`, shown on the control page and in the provider's JSON.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .web import Request, Response

if TYPE_CHECKING:
    from .server import SandboxApp

SCHEMA = """
CREATE TABLE IF NOT EXISTS out_uploads (
    id TEXT PRIMARY KEY, provider TEXT NOT NULL, project_id INTEGER NOT NULL, user_id INTEGER NOT NULL,
    filename TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'created', content BLOB, expires_at REAL NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS response_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, item_id INTEGER NOT NULL, approver_id INTEGER,
    post_id INTEGER, upload_id TEXT NOT NULL, filename TEXT NOT NULL, content_type TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS response_files_item ON response_files (item_id);
CREATE TABLE IF NOT EXISTS oss_sessions (
    upload_key TEXT PRIMARY KEY, object_key TEXT NOT NULL, user_id INTEGER NOT NULL, content BLOB,
    expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS acc_attachments (
    id TEXT PRIMARY KEY, item_id INTEGER NOT NULL, task_id TEXT NOT NULL, approver_id INTEGER NOT NULL,
    name TEXT NOT NULL, object_key TEXT NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0,
    draft INTEGER NOT NULL DEFAULT 1, created_by TEXT NOT NULL, created_at TEXT NOT NULL);
"""
# oss_sessions and acc_attachments: Autodesk's OSS signed uploads and ACC submittal attachments (sandbox/oss.py).
TABLES = ["out_uploads", "response_files", "oss_sessions", "acc_attachments"]

POLICY_SECONDS = 3600  # how long a signed storage POST stays valid, as Procore's S3 policies
_SECRET = b"sandbox-storage-signing-key"  # signs the storage fields; a changed field breaks its signature
_SHA256 = re.compile(r"[0-9a-f]{64}")
PROCORE_UPLOAD_KEYS = {
    "response_filename",
    "response_content_type",
    "attachment_content_disposition",
    "size",
    "segments",
}
SEGMENT_KEYS = {"size", "sha256", "md5", "etag"}


class UploadError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


# -- Procore: declaring an upload ----------------------------------------------------------------------------------


def procore_upload_declare(app: SandboxApp, *, project_id: int, user_id: int, body: Any, base_url: str) -> dict:
    """Check a Create Project Upload body and answer Procore's `{uuid, url, fields}`; UploadError says what is wrong."""
    if not isinstance(body, dict):
        raise UploadError(400, "The body must be a JSON object describing the upload.")
    unknown = sorted(set(body) - PROCORE_UPLOAD_KEYS)
    if unknown:
        raise UploadError(400, f"Unknown upload parameters: {', '.join(unknown)}.")
    filename, size, segments = body.get("response_filename"), body.get("size"), body.get("segments")
    if not isinstance(filename, str) or not filename.strip():
        raise UploadError(400, "response_filename is required so that the file keeps its name.")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise UploadError(400, "size must be the file size in bytes, a whole number above 0.")
    sha256 = _one_segment(segments, size)
    content_type = body.get("response_content_type") or "application/octet-stream"
    upload_id = uuid.UUID(int=uuid.uuid4().int).hex.upper()[:26]  # Procore's upload uuids are ULID-like text
    expires = app.timestamp() + POLICY_SECONDS
    with app.store.write() as conn:
        conn.execute(
            "INSERT INTO out_uploads (id, provider, project_id, user_id, filename, content_type, size, sha256,"
            " expires_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                upload_id,
                "procore",
                project_id,
                user_id,
                filename,
                str(content_type),
                size,
                sha256,
                expires,
                app.now_iso(),
            ),
        )
    return {"uuid": upload_id, "url": f"{base_url}/procore-storage/uploads", "fields": _fields(upload_id, expires)}


def _one_segment(segments: Any, size: int) -> str:
    if not isinstance(segments, list) or len(segments) != 1 or not isinstance(segments[0], dict):
        raise UploadError(400, "segments must list the file's one segment: [{size, sha256}].")
    segment = segments[0]
    unknown = sorted(set(segment) - SEGMENT_KEYS)
    if unknown:
        raise UploadError(400, f"Unknown segment parameters: {', '.join(unknown)}.")
    if segment.get("size") != size:
        raise UploadError(400, "The segment's size must be the file's size.")
    sha256 = segment.get("sha256")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise UploadError(400, "The segment's sha256 must be 64 lower-case hexadecimal digits.")
    return sha256


def _fields(upload_id: str, expires: float) -> dict[str, str]:
    policy = base64.b64encode(json.dumps({"expiration": int(expires), "key": upload_id}).encode()).decode()
    signature = hmac.new(_SECRET, policy.encode(), hashlib.sha256).hexdigest()
    return {
        "key": f"uploads/{upload_id}",
        "success_action_status": "201",
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": "SANDBOX/20260101/us-east-1/s3/aws4_request",
        "policy": policy,
        "x-amz-signature": signature,
    }


# -- Procore: the storage POST ---------------------------------------------------------------------------------------


def _s3_error(status: int, code: str, message: str) -> Response:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return Response(status, body.encode(), {"Content-Type": "application/xml"})


def form_parts(request: Request) -> list[tuple[str, str | None, bytes]]:
    """The (name, filename, bytes) parts of a multipart/form-data body, in order; [] when it is not one."""
    content_type = request.header("content-type")
    if not content_type.startswith("multipart/form-data") or "boundary=" not in content_type:
        return []
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts.append((str(name), part.get_filename(), payload if isinstance(payload, bytes) else b""))
    return parts


def procore_storage_post(app: SandboxApp, request: Request) -> Response:
    """S3's POST object as Procore's upload instructions use it: the signed fields, then the file."""
    parts = form_parts(request)
    if not parts or parts[-1][1] is None:
        return _s3_error(400, "InvalidArgument", "POST requires a multipart/form-data body with the file last.")
    fields = {name: value.decode() for name, filename, value in parts[:-1] if filename is None}
    content = parts[-1][2]
    policy, signature = fields.get("policy", ""), fields.get("x-amz-signature", "")
    if not hmac.compare_digest(hmac.new(_SECRET, policy.encode(), hashlib.sha256).hexdigest(), signature):
        return _s3_error(403, "SignatureDoesNotMatch", "The fields are not the ones the upload was given.")
    decoded = json.loads(base64.b64decode(policy))
    upload = app.store.one("SELECT * FROM out_uploads WHERE id = ?", (decoded["key"],))
    if upload is None or fields != _fields(upload["id"], upload["expires_at"]):
        return _s3_error(403, "AccessDenied", "The fields are not the ones the upload was given.")
    if app.timestamp() > upload["expires_at"]:
        return _s3_error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    if len(content) != upload["size"]:
        return _s3_error(400, "IncompleteBody", "The file is not the size the upload declared.")
    if hashlib.sha256(content).hexdigest() != upload["sha256"]:
        return _s3_error(400, "BadDigest", "The file's SHA-256 is not the one the upload declared.")
    with app.store.write() as conn:
        conn.execute("UPDATE out_uploads SET state = 'stored', content = ? WHERE id = ?", (content, upload["id"]))
    body = f"<PostResponse><Key>{fields['key']}</Key></PostResponse>"
    return Response(201, body.encode(), {"Content-Type": "application/xml"})


# -- attaching -------------------------------------------------------------------------------------------------------


def stored_uploads(app: SandboxApp, *, upload_ids: Any, provider: str, project_id: int, user_id: int) -> list:
    """The stored uploads a response names; UploadError (400) for a malformed list or one not ready to attach."""
    if not isinstance(upload_ids, list) or not all(isinstance(u, str | int) for u in upload_ids):
        raise UploadError(400, "upload_ids must be a list of upload ids.")
    found = []
    for upload_id in upload_ids:
        row = app.store.one(
            "SELECT * FROM out_uploads WHERE id = ? AND provider = ? AND project_id = ?",
            (str(upload_id), provider, project_id),
        )
        if row is None or row["user_id"] != user_id:
            raise UploadError(400, f"Upload {upload_id} was not found in this project.")
        if row["state"] != "stored":
            raise UploadError(400, f"Upload {upload_id} is not complete: its file was never stored.")
        found.append(row)
    return found


def files_attach(
    app: SandboxApp,
    uploads: Iterable[Any],
    *,
    provider: str,
    item_id: int,
    approver_id: int | None = None,
    post_id: int | None = None,
) -> None:
    with app.store.write() as conn:
        for upload in uploads:
            conn.execute(
                "INSERT INTO response_files (provider, item_id, approver_id, post_id, upload_id, filename,"
                " content_type, size, sha256, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    provider,
                    item_id,
                    approver_id,
                    post_id,
                    upload["id"],
                    upload["filename"],
                    upload["content_type"],
                    upload["size"],
                    upload["sha256"],
                    app.now_iso(),
                ),
            )


def files_of(app: SandboxApp, *, column: str, ids: Iterable[int]) -> dict[int, list[Any]]:
    """Attached files by approver or post id (`column` is approver_id or post_id)."""
    assert column in ("approver_id", "post_id")
    wanted = list(ids)
    if not wanted:
        return {}
    rows = app.store.all(
        f"SELECT * FROM response_files WHERE {column} IN ({','.join('?' * len(wanted))}) ORDER BY id",  # noqa: S608
        wanted,
    )
    found: dict[int, list[Any]] = {}
    for row in rows:
        found.setdefault(row[column], []).append(row)
    return found


def procore_attachment_json(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["filename"], "filename": row["filename"], "content_type": row["content_type"]}


def procore_with_files(app: SandboxApp, submittals: list[dict], rfis: list[dict]) -> None:
    """Fill the `attachments` of approvers (submittals) and answers (RFIs) in Procore JSON about to be answered."""
    approvers = [a for s in submittals for a in s.get("approvers") or []]
    answers = [a for r in rfis for q in r.get("questions") or [] for a in q.get("answers") or []]
    by_approver = files_of(app, column="approver_id", ids=[a["id"] for a in approvers])
    by_post = files_of(app, column="post_id", ids=[a["id"] for a in answers])
    for approver in approvers:
        approver["attachments"] = [procore_attachment_json(f) for f in by_approver.get(approver["id"], [])]
    for answer in answers:
        answer["attachments"] = [procore_attachment_json(f) for f in by_post.get(answer["id"], [])]


def attached_content(app: SandboxApp, file_id: int) -> bytes | None:
    """The bytes of an attached file (what the GC would download)."""
    row = app.store.one(
        "SELECT u.content FROM response_files f JOIN out_uploads u ON u.id = f.upload_id WHERE f.id = ?", (file_id,)
    )
    return None if row is None else bytes(row["content"])


def response_files_all(app: SandboxApp) -> list[Any]:
    """Every attached file with what it hangs on, newest first (the control page's table)."""
    return app.store.all(
        "SELECT f.*, i.kind, i.number, i.title FROM response_files f JOIN items i ON i.id = f.item_id"
        " ORDER BY f.id DESC LIMIT 200"
    )


ROUTES = [("POST", "/procore-storage/uploads", procore_storage_post)]


# -- ConstructEx: the portal's assumed contract (providers/constructex.py) -------------------------------------------

CX_UPLOAD_KEYS = {"filename", "content_type", "size", "sha256"}


def constructex_upload_declare(app: SandboxApp, *, project_id: int, user_id: int, body: Any, base_url: str) -> dict:
    """`POST /api/v1/projects/{id}/uploads` {filename, content_type, size, sha256} → {id, upload_url, state}."""
    if not isinstance(body, dict) or set(body) - CX_UPLOAD_KEYS or not {"filename", "size", "sha256"} <= set(body):
        raise UploadError(422, "An upload takes filename, size and sha256 (content_type optional), nothing else.")
    filename, size, sha256 = body["filename"], body["size"], body["sha256"]
    if not isinstance(filename, str) or not filename.strip() or "/" in filename or "\\" in filename:
        raise UploadError(422, "filename must be the file's name, without folders.")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise UploadError(422, "size must be the file size in bytes, a whole number above 0.")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise UploadError(422, "sha256 must be 64 lower-case hexadecimal digits.")
    upload_id = uuid.uuid4().hex
    with app.store.write() as conn:
        conn.execute(
            "INSERT INTO out_uploads (id, provider, project_id, user_id, filename, content_type, size, sha256,"
            " expires_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                upload_id,
                "constructex",
                project_id,
                user_id,
                filename,
                str(body.get("content_type") or "application/octet-stream"),
                size,
                sha256,
                app.timestamp() + POLICY_SECONDS,
                app.now_iso(),
            ),
        )
    url = f"{base_url}/constructex/api/v1/uploads/{upload_id}/content"
    return {"id": upload_id, "upload_url": url, "state": "created"}


def constructex_upload_put(app: SandboxApp, *, upload_id: str, user_id: int, content: bytes) -> dict:
    """`PUT /api/v1/uploads/{id}/content` with the raw bytes: stored when size and SHA-256 are the declared ones."""
    upload = app.store.one(
        "SELECT * FROM out_uploads WHERE id = ? AND provider = 'constructex' AND user_id = ?", (upload_id, user_id)
    )
    if upload is None:
        raise UploadError(404, "No such upload.")
    if len(content) != upload["size"] or hashlib.sha256(content).hexdigest() != upload["sha256"]:
        raise UploadError(422, "The content is not the size and SHA-256 the upload declared.")
    with app.store.write() as conn:
        conn.execute("UPDATE out_uploads SET state = 'stored', content = ? WHERE id = ?", (content, upload_id))
    return {"id": upload_id, "state": "stored"}


def cx_attachment_json(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "filename": row["filename"], "content_type": row["content_type"], "size": row["size"]}
