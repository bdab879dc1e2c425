"""Autodesk's file storage, emulated strictly: Data Management storage objects, OSS signed S3 uploads and downloads,
and the files of ACC RFI responses.

- `POST /data/v1/projects/{b.projectId}/storage` (datamanagement.yaml, createStorage) creates an empty object in the
  bucket `wip.dm.prod` under a folder of the project (`GET /project/v1/hubs/{hub}/projects/{project}/topFolders`) or
  an RFI's own folder, the `virtualFolderUrn` its JSON shows once Autodesk has made it (APS tutorial "Upload
  Attachments to RFIs", https://aps.autodesk.com/en/docs/acc/v1/tutorials/rfis3/rfi-upload; the scenario
  `rfi_folder` keeps an RFI's folder not made yet: the RFI shows no `virtualFolderUrn` and its folder takes nothing);
- `GET /oss/v2/buckets/{bucketKey}/objects/{objectKey}/signeds3upload` opens an upload session: `{uploadKey, urls}`;
  the bytes are PUT to the signed URL (`/autodesk-s3/...`, this sandbox's S3: no token, the URL is the credential);
  `POST .../signeds3upload {uploadKey}` completes it. A wrong uploadKey, or one whose bytes never arrived, is a 400;
- `GET .../signeds3download` answers a signed URL to the object's bytes (the GC's files and completed uploads);
- an ACC RFI response's `attachments` are `{attachmentType: "rfiResponse", displayName, fileName, storageUrn}` (APS
  tutorial "Submit an RFI Response", https://aps.autodesk.com/en/docs/acc/v1/tutorials/rfis3/rfi-response), each a
  completed upload stored in that RFI's own folder (an object of another folder is a 400); the RFI shows them as
  rfis-rfis-id-attachments-GET lists attachments;
- ACC submittals' task attachments, filled through the OSS flow above, are in sandbox.acc_attachments.
Each file attached to a response becomes a row of `response_files` (sandbox.uploads), shown on the control page.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from . import files, uploads
from .autodesk_api import AdskError, BodyRule, Caller, api, checked_body, hub_for, strip_b
from .items import can_see_project, project_get, uid_for
from .web import Request, Response, int_param, json_response

if TYPE_CHECKING:
    from .server import SandboxApp

BUCKET = "wip.dm.prod"
URN_PREFIX = f"urn:adsk.objects:os.object:{BUCKET}/"
FOLDERS = ("Project Files", "Plans")
URL_MINUTES = 2  # OSS's default life of a signed URL
SESSION_SECONDS = 24 * 3600  # an upload session must be completed within a day
_KEY = b"sandbox-oss-signing-key"
UPLOAD_QUERY = ("parts", "firstPart", "uploadKey", "minutesExpiration", "useAcceleration")
DOWNLOAD_QUERY = ("minutesExpiration", "useCdn", "redirect", "response-content-type", "response-content-disposition")
COMPLETE_BODY = BodyRule(keys={"uploadKey": (), "size": (), "eTags": ()}, required=("uploadKey",))
RFI_ATTACHMENT_KEYS = ("attachmentType", "displayName", "fileName", "storageUrn")  # all required
RFI_RESPONSE_TYPES = ("rfiResponse",)  # a response's own files (rfis-rfis-id-attachments-GET lists others too)


def object_urn(key: str) -> str:
    return URN_PREFIX + key


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sign(text: str, expires: int) -> str:
    return hmac.new(_KEY, f"{text}:{expires}".encode(), hashlib.sha256).hexdigest()


def _signed(app: SandboxApp, path: str, minutes: int) -> str:
    expires = int(app.timestamp()) + minutes * 60
    return f"{app.base_url}{path}?expires={expires}&signature={_sign(path, expires)}"


def _signature_holds(app: SandboxApp, request: Request) -> bool:
    expires = request.query.get("expires", "")
    return (
        expires.isdigit()
        and hmac.compare_digest(request.query.get("signature", ""), _sign(request.path, int(expires)))
        and int(expires) >= app.timestamp()
    )


def _s3_error(status: int, code: str, message: str) -> Response:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return Response(status, body.encode(), {"Content-Type": "application/xml"})


def unknown_query(request: Request, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.query) - set(allowed))
    if unknown:
        raise AdskError(400, "Bad input", f"Unknown query parameter(s): {', '.join(unknown)}.")


def new_object(app: SandboxApp, *, project_row: int, user_id: int, name: str, folder: str) -> str:
    """An empty OSS object reserved for `name`, stored in `folder` (the urn of the Data Management folder its storage
    targeted; empty for a submittal attachment's object); its key."""
    key = f"{uuid.uuid4()}.{name.rsplit('.', 1)[-1]}" if "." in name else str(uuid.uuid4())
    with app.store.write() as conn:
        conn.execute(
            "INSERT INTO out_uploads (id, provider, project_id, user_id, filename, content_type, size, sha256,"
            " expires_at, created_at, folder) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (key, "autodesk", project_row, user_id, name, "application/octet-stream", 0, "", 0, app.now_iso(), folder),
        )
    return key


# -- Data Management: folders and storage ------------------------------------------------------------------------


def folder_id(project: Any, name: str) -> str:
    return f"urn:adsk.wipprod:fs.folder:co.{uid_for('folder', project['id'] * 10 + FOLDERS.index(name))}"


def rfi_folder_id(item: Any) -> str:
    """The urn of an ACC RFI's own folder (its `virtualFolderUrn`), where its attachments are stored."""
    return f"urn:adsk.wipprod:fs.folder:co.{uid_for('rfi-folder', item['id'])}"


def _folders(app: SandboxApp, project: Any) -> set[str]:
    """The folders of the project that take storage: its top folders and the RFIs' folders Autodesk has made."""
    rfis = app.store.all(
        "SELECT id FROM items WHERE project_id = ? AND kind = 'rfi' AND folder_ready = 1", (project["id"],)
    )
    return {folder_id(project, name) for name in FOLDERS} | {rfi_folder_id(r) for r in rfis}


def _dm_project(app: SandboxApp, caller: Caller, raw: str) -> Any:
    uid = strip_b(raw)
    project = project_get(app, provider="autodesk", uid=uid) if uid else None
    if project is None:
        raise AdskError(404, "Project not found", f"No project {raw} (Data Management ids carry 'b.').")
    if not can_see_project(app, project=project, user_id=caller.user_id):
        raise AdskError(403, "Forbidden", "You are not a member of this project.")
    return project


@api
def top_folders(app: SandboxApp, request: Request, caller: Caller) -> Response:
    hub = hub_for(app, caller, request.params["hub_id"])
    project = _dm_project(app, caller, request.params["project_id"])
    if project["org_id"] != hub["id"]:
        raise AdskError(404, "Project not found", "The project is not in this hub.")
    data = [
        {"type": "folders", "id": folder_id(project, name), "attributes": {"name": name, "displayName": name}}
        for name in FOLDERS
    ]
    return json_response({"jsonapi": {"version": "1.0"}, "data": data})


def _storage_target(body: Any, folders: set[str]) -> tuple[str, str]:
    """(the object's name, its target folder's urn) from a StoragePayload (datamanagement.yaml), every key checked;
    AdskError otherwise."""
    if not isinstance(body, dict) or set(body) - {"jsonapi", "data"} or not isinstance(body.get("data"), dict):
        raise AdskError(400, "Bad input", "The body must be a StoragePayload: {jsonapi, data}.")
    data = body["data"]
    if set(data) - {"type", "attributes", "relationships"} or data.get("type") != "objects":
        raise AdskError(400, "Bad input", "data takes type 'objects', attributes and relationships only.")
    attributes = data.get("attributes")
    if not isinstance(attributes, dict) or set(attributes) != {"name"} or not str(attributes["name"]).strip():
        raise AdskError(400, "Bad input", "data.attributes must hold the object's name, and nothing else.")
    target = ((data.get("relationships") or {}).get("target") or {}).get("data")
    if not isinstance(target, dict) or target.get("type") not in ("folders", "items"):
        raise AdskError(400, "Bad input", "data.relationships.target.data must name a folder or item {type, id}.")
    if target.get("id") not in folders:
        raise AdskError(404, "Folder not found", f"No folder {target.get('id')!r} in this project.")
    return str(attributes["name"]), str(target["id"])


@api
def storage_create(app: SandboxApp, request: Request, caller: Caller) -> Response:
    project = _dm_project(app, caller, request.params["project_id"])
    name, folder = _storage_target(request.json(), _folders(app, project))
    key = new_object(app, project_row=project["id"], user_id=caller.user_id, name=name, folder=folder)
    body = {
        "jsonapi": {"version": "1.0"},
        "links": {"self": {"href": f"/oss/v2/buckets/{BUCKET}/objects/{key}"}},
        "data": {"type": "objects", "id": object_urn(key)},
    }
    return json_response(body, 201)


# -- OSS: signed uploads and downloads ---------------------------------------------------------------------------


def _object(app: SandboxApp, caller: Caller, bucket: str, key: str) -> Any:
    if bucket != BUCKET:
        raise AdskError(404, "Bucket not found", f"No bucket {bucket!r} is open to this user.")
    row = app.store.one("SELECT * FROM out_uploads WHERE id = ? AND provider = 'autodesk'", (key,))
    if row is None:
        raise AdskError(404, "Object not found", f"No object {key!r} in {bucket}: create its storage first.")
    if row["user_id"] != caller.user_id:
        raise AdskError(403, "Forbidden", "This object's storage was created by another user.")
    return row


@api
def signed_upload(app: SandboxApp, request: Request, caller: Caller) -> Response:
    unknown_query(request, UPLOAD_QUERY)
    row = _object(app, caller, request.params["bucket"], request.params["key"])
    if request.query.get("parts", "1") != "1":
        raise AdskError(400, "Bad input", "This sandbox takes single-part uploads only (parts=1).")
    minutes = int_param(request.query.get("minutesExpiration"), URL_MINUTES)
    if not 1 <= minutes <= 60:
        raise AdskError(400, "Bad input", "minutesExpiration must be from 1 to 60.")
    upload_key = uuid.uuid4().hex + uuid.uuid4().hex
    expires = app.timestamp() + SESSION_SECONDS
    with app.store.write() as conn:
        conn.execute(
            "INSERT INTO oss_sessions (upload_key, object_key, user_id, expires_at) VALUES (?,?,?,?)",
            (upload_key, row["id"], caller.user_id, expires),
        )
    return json_response(
        {
            "uploadKey": upload_key,
            "uploadExpiration": _iso(expires),
            "urlExpiration": _iso(app.timestamp() + minutes * 60),
            "urls": [_signed(app, f"/autodesk-s3/uploads/{upload_key}", minutes)],
        }
    )


def s3_put(app: SandboxApp, request: Request) -> Response:
    """The signed S3 URL of an upload session: takes the bytes while the signature holds."""
    if not _signature_holds(app, request):
        return _s3_error(403, "AccessDenied", "Request has expired or its signature does not match.")
    session = app.store.one("SELECT * FROM oss_sessions WHERE upload_key = ?", (request.params["upload_key"],))
    if session is None:
        return _s3_error(404, "NoSuchUpload", "The specified upload does not exist.")
    with app.store.write() as conn:
        conn.execute("UPDATE oss_sessions SET content = ? WHERE upload_key = ?", (request.body, session["upload_key"]))
    return Response(200, b"", {"ETag": f'"{hashlib.md5(request.body).hexdigest()}"'})  # noqa: S324 - S3's ETag


@api
def signed_upload_complete(app: SandboxApp, request: Request, caller: Caller) -> Response:
    row = _object(app, caller, request.params["bucket"], request.params["key"])
    body = checked_body(request, COMPLETE_BODY)
    session = app.store.one(
        "SELECT * FROM oss_sessions WHERE upload_key = ? AND object_key = ? AND user_id = ?",
        (str(body["uploadKey"]), row["id"], caller.user_id),
    )
    if session is None or session["expires_at"] < app.timestamp():
        raise AdskError(400, "Bad input", "uploadKey is not an open upload session of this object.")
    content = session["content"]
    if content is None:
        raise AdskError(400, "Bad input", "No data was uploaded in this session: PUT the bytes to its URL first.")
    content = bytes(content)
    if "size" in body and body["size"] != len(content):
        raise AdskError(400, "Bad input", f"size {body['size']} is not the {len(content)} bytes uploaded.")
    etag = hashlib.md5(content).hexdigest()  # noqa: S324 - S3's ETag
    if "eTags" in body and [str(e).strip('"') for e in body["eTags"] or []] != [etag]:
        raise AdskError(400, "Bad input", "eTags are not the ones of the uploaded data.")
    with app.store.write() as conn:
        conn.execute(
            "UPDATE out_uploads SET state = 'stored', content = ?, size = ?, sha256 = ? WHERE id = ?",
            (content, len(content), hashlib.sha256(content).hexdigest(), row["id"]),
        )
        conn.execute("DELETE FROM oss_sessions WHERE upload_key = ?", (session["upload_key"],))
    return json_response(
        {
            "bucketKey": BUCKET,
            "objectId": object_urn(row["id"]),
            "objectKey": row["id"],
            "size": len(content),
            "contentType": row["content_type"],
            "location": f"{request.base_url}/autodesk/oss/v2/buckets/{BUCKET}/objects/{row['id']}",
        }
    )


@api
def signed_download(app: SandboxApp, request: Request, caller: Caller) -> Response:
    """A signed URL to an object's bytes: a file the GC attached (its uid is the object key), or a completed
    upload of the caller's project."""
    unknown_query(request, DOWNLOAD_QUERY)
    if request.params["bucket"] != BUCKET:
        raise AdskError(404, "Bucket not found", f"No bucket {request.params['bucket']!r}.")
    key = request.params["key"]
    gc = app.store.one("SELECT * FROM files WHERE uid = ?", (key,))
    if gc is not None:
        return json_response({"status": "complete", "url": files.signed_url(app, key), "size": gc["size"]})
    row = app.store.one("SELECT * FROM out_uploads WHERE id = ? AND provider = 'autodesk'", (key,))
    if row is None or row["state"] != "stored":
        raise AdskError(404, "Object not found", f"No object {key!r} with data in {BUCKET}.")
    url = _signed(app, f"/autodesk-s3/objects/{key}", URL_MINUTES)
    return json_response({"status": "complete", "url": url, "size": row["size"]})


def s3_get(app: SandboxApp, request: Request) -> Response:
    if not _signature_holds(app, request):
        return _s3_error(403, "AccessDenied", "Request has expired or its signature does not match.")
    row = app.store.one("SELECT * FROM out_uploads WHERE id = ? AND state = 'stored'", (request.params["key"],))
    if row is None:
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
    return Response(200, bytes(row["content"]), {"Content-Type": row["content_type"]})


# -- ACC RFIs: a response's attachments --------------------------------------------------------------------------


def rfi_attachments(app: SandboxApp, project: Any, item: Any, caller: Caller, raw: Any) -> list[Any]:
    """The completed uploads an RFI response's `attachments` name ({attachmentType 'rfiResponse', displayName,
    fileName, storageUrn}, all required), each stored in that RFI's own folder (its `virtualFolderUrn`: APS tutorial
    "Upload Attachments to RFIs" stores a response's files there, and documents no other folder); AdskError (400)
    for anything else, so that a bad attachment refuses the whole response."""
    if raw is None:
        return []
    shape = ", ".join(RFI_ATTACHMENT_KEYS)
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise AdskError(400, "Bad input", f"attachments must be a list of {{{shape}}}.")
    found = []
    for entry in raw:
        unknown = sorted(set(entry) - set(RFI_ATTACHMENT_KEYS))
        missing = [key for key in RFI_ATTACHMENT_KEYS if not isinstance(entry.get(key), str) or not entry[key]]
        if unknown or missing:
            words = f"unknown {unknown}" if unknown else f"missing {missing}"
            raise AdskError(400, "Bad input", f"An attachment takes {shape} (all required); {words}.")
        if entry["attachmentType"] not in RFI_RESPONSE_TYPES:
            raise AdskError(
                400,
                "Bad input",
                f"attachmentType of a response's file must be rfiResponse; got {entry['attachmentType']!r}.",
            )
        urn, key = entry["storageUrn"], entry["storageUrn"].removeprefix(URN_PREFIX)
        if not urn.startswith(URN_PREFIX) or entry["fileName"] != key:
            raise AdskError(400, "Bad input", "storageUrn must be an OSS object urn and fileName its objectKey.")
        row = app.store.one(
            "SELECT * FROM out_uploads WHERE id = ? AND provider = 'autodesk' AND project_id = ? AND user_id = ?",
            (key, project["id"], caller.user_id),
        )
        if row is None or row["state"] != "stored":
            raise AdskError(400, "Bad input", f"{urn} is not a completed upload of this project.")
        if row["folder"] != rfi_folder_id(item):
            raise AdskError(
                400,
                "Bad input",
                f"{urn} is not stored in this RFI's folder: store the file with its storage target "
                f"{rfi_folder_id(item)} (the RFI's virtualFolderUrn).",
            )
        found.append(row)
    return found


def response_attachment_json(row: Any, rfi_uid: str) -> dict[str, Any]:
    """A response's file as rfis-rfis-id-attachments-GET gives an attachment."""
    key = str(row["upload_id"])
    return {
        "attachmentId": str(row["id"]),
        "attachmentType": "rfiResponse",
        "displayName": row["filename"],
        "fileName": key,
        "storageUrn": object_urn(key),
        "rfiId": rfi_uid,
        "fileSize": row["size"],
    }


def rfi_with_files(app: SandboxApp, results: list[dict[str, Any]], posts: dict[int, list[Any]]) -> None:
    """Fill each embedded RFI response's `attachments` with the files its author attached."""
    answers = {p["uid"]: p["id"] for group in posts.values() for p in group if p["kind"] == "answer"}
    by_post = uploads.files_of(app, column="post_id", ids=list(answers.values()))
    for result in results:
        for response in result.get("responses") or []:
            attached = by_post.get(answers[response["id"]], [])
            response["attachments"] = [response_attachment_json(f, result["id"]) for f in attached]


OSS = "/autodesk/oss/v2/buckets/{bucket}/objects/{key}"
ROUTES = [
    ("GET", "/autodesk/project/v1/hubs/{hub_id}/projects/{project_id}/topFolders", top_folders),
    ("POST", "/autodesk/data/v1/projects/{project_id}/storage", storage_create),
    ("GET", f"{OSS}/signeds3upload", signed_upload),
    ("POST", f"{OSS}/signeds3upload", signed_upload_complete),
    ("GET", f"{OSS}/signeds3download", signed_download),
    ("PUT", "/autodesk-s3/uploads/{upload_key}", s3_put),
    ("GET", "/autodesk-s3/objects/{key}", s3_get),
]
