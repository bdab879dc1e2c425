"""The sandbox's Autodesk file flows are strict: Data Management storage (into a project folder or an RFI's own folder,
once made), OSS signed uploads (a wrong uploadKey, or one whose bytes never arrived, is Autodesk's 400), RFI response
attachments ({attachmentType, displayName, fileName, storageUrn}, each stored in that RFI's folder), submittal task
attachments ({name, urnTypeId "2", taskId}, a name without the characters APS lists as not supported, answered with
`uploadUrn`) and the task close (`saveAttachmentDrafts` an array of strings) refuse what
Autodesk does not take; what a response attached shows on the control page."""

from __future__ import annotations

import hashlib
from typing import Any

import requests

from sandbox.testing import RunningSandbox

from .conftest import TIMEOUT, Api
from .test_autodesk import ACC, _acc_project, _hubs

CONTENT = b"%PDF-1.4 a clouded sketch " * 20


def reviewer(sandbox: RunningSandbox) -> Api:
    return Api(sandbox, "autodesk", "reviewer@sandbox.test")


def project_files(api: Api) -> tuple[str, str]:
    """(b.projectId, id of its Project Files folder)."""
    hub, project = _hubs(api)[ACC], _acc_project(api)
    folders = api.get(f"/project/v1/hubs/{hub}/projects/{project}/topFolders").json()["data"]
    return project, next(f["id"] for f in folders if f["attributes"]["name"] == "Project Files")


def storage_body(folder: str, name: str = "sketch.pdf") -> dict[str, Any]:
    target = {"data": {"type": "folders", "id": folder}}
    return {
        "jsonapi": {"version": "1.0"},
        "data": {"type": "objects", "attributes": {"name": name}, "relationships": {"target": target}},
    }


def stored_object(api: Api, folder: str | None = None) -> tuple[str, str]:
    """(b.projectId, object key) of a new, empty storage object (in Project Files unless `folder` is given)."""
    project, files_folder = project_files(api)
    created = api.post(f"/data/v1/projects/{project}/storage", json=storage_body(folder or files_folder))
    assert created.status_code == 201, created.text
    return project, created.json()["data"]["id"].rsplit("/", 1)[1]


def oss(key: str) -> str:
    return f"/oss/v2/buckets/wip.dm.prod/objects/{key}/signeds3upload"


def upload(api: Api, key: str, content: bytes = CONTENT) -> str:
    """Open a session and PUT the bytes to its signed URL; its uploadKey."""
    session = api.get(oss(key)).json()
    assert requests.put(session["urls"][0], data=content, timeout=TIMEOUT).status_code == 200
    return str(session["uploadKey"])


def completed(api: Api, key: str) -> None:
    """Upload the bytes into the object `key` and complete its upload."""
    api.post(oss(key), json={"uploadKey": upload(api, key)})


def test_a_storage_payload_with_undocumented_keys_or_an_unknown_folder_is_refused(sandbox: RunningSandbox) -> None:
    api = reviewer(sandbox)
    project, folder = project_files(api)
    url = f"/data/v1/projects/{project}/storage"

    assert api.post(url, json={**storage_body(folder), "extra": 1}).status_code == 400
    wrong = storage_body(folder)
    wrong["data"]["attributes"]["size"] = 3
    assert api.post(url, json=wrong).status_code == 400
    assert api.post(url, json=storage_body("urn:adsk.wipprod:fs.folder:co.nope")).status_code == 404
    assert api.post(f"/data/v1/projects/{project[2:]}/storage", json=storage_body(folder)).status_code == 404


def test_an_upload_completes_only_with_its_own_upload_key_after_its_bytes_arrived(sandbox: RunningSandbox) -> None:
    api = reviewer(sandbox)
    _project, key = stored_object(api)

    assert api.get(oss(key), params={"colour": "red"}).status_code == 400
    empty = api.get(oss(key)).json()["uploadKey"]
    refused = api.post(oss(key), json={"uploadKey": empty})
    assert refused.status_code == 400 and "PUT the bytes" in refused.text
    upload_key = upload(api, key)
    assert api.post(oss(key), json={"uploadKey": "not-the-key"}).status_code == 400
    assert api.post(oss(key), json={"uploadKey": upload_key, "parts": 1}).status_code == 400
    assert api.post(oss(key), json={"uploadKey": upload_key, "size": len(CONTENT) + 1}).status_code == 400
    done = api.post(oss(key), json={"uploadKey": upload_key, "size": len(CONTENT)})
    assert done.status_code == 200 and done.json()["size"] == len(CONTENT)


def test_the_signed_url_refuses_a_changed_signature_or_once_expired(sandbox: RunningSandbox) -> None:
    api = reviewer(sandbox)
    _project, key = stored_object(api)
    url = api.get(oss(key)).json()["urls"][0]

    assert requests.put(url.replace("signature=", "signature=0"), data=CONTENT, timeout=TIMEOUT).status_code == 403
    sandbox.clock.advance(121)
    assert requests.put(url, data=CONTENT, timeout=TIMEOUT).status_code == 403


def rfi_url(api: Api, project: str) -> str:
    search = api.post(
        f"/construction/rfis/v3/projects/{project[2:]}/search:rfis", json={"filter": {"status": ["open"]}}
    )
    return f"/construction/rfis/v3/projects/{project[2:]}/rfis/{search.json()['results'][0]['id']}"


def rfi_entry(key: str, name: str = "sketch.pdf") -> dict[str, str]:
    urn = f"urn:adsk.objects:os.object:wip.dm.prod/{key}"
    return {"attachmentType": "rfiResponse", "displayName": name, "fileName": key, "storageUrn": urn}


def test_an_rfi_response_takes_only_completed_uploads_and_shows_them_on_the_response(sandbox: RunningSandbox) -> None:
    api = reviewer(sandbox)
    project, _ = project_files(api)
    rfi = rfi_url(api, project)
    folder = api.get(rfi).json()["virtualFolderUrn"]
    _project, key = stored_object(api, folder)
    entry = rfi_entry(key)
    answer = {"text": "See the sketch.", "status": "answered"}

    early = api.post(f"{rfi}/responses", json={**answer, "attachments": [entry]})
    assert early.status_code == 400 and "not a completed upload" in early.text
    completed(api, key)
    assert api.post(f"{rfi}/responses", json={**answer, "attachments": [{**entry, "folder": "x"}]}).status_code == 400
    assert api.post(f"{rfi}/responses", json={**answer, "attachments": [entry]}).status_code == 201

    [response] = api.get(rfi).json()["responses"]
    shown = [{k: a[k] for k in entry} for a in response["attachments"]]
    assert shown == [entry] and response["attachments"][0]["fileSize"] == len(CONTENT)
    files = sandbox.app.store.all("SELECT filename, sha256 FROM response_files WHERE provider = 'autodesk'")
    assert [(f["filename"], f["sha256"]) for f in files] == [("sketch.pdf", hashlib.sha256(CONTENT).hexdigest())]
    assert "sketch.pdf" in requests.get(f"{sandbox.base_url}/_control/", timeout=TIMEOUT).text  # the control page


def test_an_rfi_response_refuses_the_undocumented_entry_keys_and_any_entry_missing_a_documented_one(
    sandbox: RunningSandbox,
) -> None:
    api = reviewer(sandbox)
    project, _ = project_files(api)
    rfi = rfi_url(api, project)
    _project, key = stored_object(api, api.get(rfi).json()["virtualFolderUrn"])
    completed(api, key)
    answer = {"text": "See the sketch.", "status": "answered"}
    urn = f"urn:adsk.objects:os.object:wip.dm.prod/{key}"
    entry = rfi_entry(key)

    wrong = [
        {"name": "sketch.pdf", "urn": urn, "urnType": "oss"},  # keys APS does not document for RFIs v3
        *({k: v for k, v in entry.items() if k != missing} for missing in entry),
        {**entry, "attachmentType": "rfiOfficialResponse"},  # documented on the RFI's PATCH, not on a response
        {**entry, "fileName": "another.pdf"},  # not the object's key
    ]
    for attachment in wrong:
        refused = api.post(f"{rfi}/responses", json={**answer, "attachments": [attachment]})
        assert refused.status_code == 400, attachment
        assert refused.json()["errors"][0]["code"] == "BAD_INPUT"  # Autodesk's kind of 400

    assert api.get(rfi).json()["responses"] == []
    assert api.post(f"{rfi}/responses", json={**answer, "attachments": [entry]}).status_code == 201


def test_an_rfi_response_refuses_a_file_stored_in_project_files_or_in_another_rfis_folder(
    sandbox: RunningSandbox,
) -> None:
    api = reviewer(sandbox)
    project, _ = project_files(api)
    rfi = rfi_url(api, project)
    row = sandbox.app.store.row("SELECT id, project_id FROM items WHERE uid = ?", (rfi.rsplit("/", 1)[1],))
    other = sandbox.app.store.row(
        "SELECT uid FROM items WHERE kind = 'rfi' AND project_id = ? AND id != ? LIMIT 1",
        (row["project_id"], row["id"]),
    )
    other_folder = api.get(f"{rfi.rsplit('/', 1)[0]}/{other['uid']}").json()["virtualFolderUrn"]
    answer = {"text": "See the sketch.", "status": "answered"}

    for folder in (None, other_folder):  # Project Files; the other RFI's own folder
        _project, key = stored_object(api, folder)
        completed(api, key)
        refused = api.post(f"{rfi}/responses", json={**answer, "attachments": [rfi_entry(key)]})
        assert refused.status_code == 400 and "not stored in this RFI's folder" in refused.text, folder
        assert refused.json()["errors"][0]["code"] == "BAD_INPUT"

    assert api.get(rfi).json()["responses"] == []
    assert sandbox.app.store.all("SELECT id FROM response_files WHERE provider = 'autodesk'") == []


def test_an_rfi_shows_its_folder_only_once_made_and_its_folder_takes_storage_only_then(
    sandbox: RunningSandbox,
) -> None:
    api = reviewer(sandbox)
    project, _ = project_files(api)
    rfi = rfi_url(api, project)
    folder = api.get(rfi).json()["virtualFolderUrn"]
    row = sandbox.app.store.row("SELECT id, project_id FROM items WHERE uid = ?", (rfi.rsplit("/", 1)[1],))
    url = f"/data/v1/projects/{project}/storage"

    sandbox.scenario("rfi_folder", item_id=row["id"], ready=False)
    assert "virtualFolderUrn" not in api.get(rfi).json()
    assert api.post(url, json=storage_body(folder)).status_code == 404
    sandbox.scenario("rfi_folder", item_id=row["id"], ready=True)
    assert api.get(rfi).json()["virtualFolderUrn"] == folder
    assert api.post(url, json=storage_body(folder)).status_code == 201
    other = sandbox.app.store.row(
        "SELECT uid FROM items WHERE kind = 'rfi' AND project_id = ? AND id != ? LIMIT 1",
        (row["project_id"], row["id"]),
    )
    assert api.get(f"{rfi.rsplit('/', 1)[0]}/{other['uid']}").json()["virtualFolderUrn"] != folder  # one per RFI


def my_task(sandbox: RunningSandbox, api: Api) -> tuple[str, str, str]:
    """(item URL, step id, task id) of the reviewer's open review task on the project's first submittal."""
    project = _acc_project(api)[2:]
    base = f"/construction/submittals/v2/projects/{project}"
    item = api.get(f"{base}/items").json()["results"][0]
    me = sandbox.app.store.row("SELECT adsk_id FROM users WHERE id = 7000000001")["adsk_id"]
    step = api.get(f"{base}/items/{item['id']}/steps").json()["results"][0]
    task = next(t for t in step["tasks"] if t["assignedTo"] == me)
    return f"{base}/items/{item['id']}", step["id"], task["id"]


def test_a_task_attachment_is_confirmed_only_once_uploaded_and_published_only_by_a_close_that_saves_it(
    sandbox: RunningSandbox,
) -> None:
    api = reviewer(sandbox)
    item, step, task = my_task(sandbox, api)
    assert api.post(f"{item}/attachments", json={"taskId": task, "urnTypeId": "2"}).status_code == 400
    local = {"name": "a.pdf", "urnTypeId": "2", "taskId": task}
    files_tool = api.post(f"{item}/attachments", json={**local, "urn": "x"})
    assert files_tool.status_code == 400 and "does not emulate" in files_tool.text
    draft = api.post(f"{item}/attachments", json={**local, "name": "markup.pdf"}).json()
    assert draft["urn"] is None
    key = draft["uploadUrn"].rsplit("/", 1)[1]

    early = api.patch(f"{item}/attachments/{draft['id']}", json={"isFileUploaded": True})
    assert early.status_code == 400 and "not uploaded" in early.text
    completed(api, key)
    assert api.patch(f"{item}/attachments/{draft['id']}", json={"isFileUploaded": True}).status_code == 200
    listed = api.get(f"{item}/attachments").json()["results"]
    assert [(a["name"], a["isFileUploaded"], a["uploadUrn"]) for a in listed] == [
        ("markup.pdf", "true", draft["uploadUrn"])  # the string, as the listing's reference example shows it
    ]

    responses = api.get(item.rsplit("/items/", 1)[0] + "/responses").json()["results"]
    close = f"{item}/steps/{step}/tasks/{task}:close"
    body = {"responseId": responses[0]["id"]}
    assert api.post(close, json={**body, "attachments": []}).status_code == 400
    assert api.post(close, json=body).status_code == 200
    files = sandbox.app.store.all("SELECT filename, approver_id FROM response_files WHERE provider = 'autodesk'")
    assert [f["filename"] for f in files] == ["markup.pdf"] and files[0]["approver_id"] is not None


def test_a_task_attachment_needs_the_local_file_urn_type_and_the_close_takes_no_boolean_save_attachment_drafts(
    sandbox: RunningSandbox,
) -> None:
    api = reviewer(sandbox)
    item, step, task = my_task(sandbox, api)
    missing = api.post(f"{item}/attachments", json={"name": "markup.pdf", "taskId": task})
    assert missing.status_code == 400 and "urnTypeId" in missing.text
    assert (
        api.post(f"{item}/attachments", json={"name": "markup.pdf", "urnTypeId": 2, "taskId": task}).status_code == 400
    )
    assert (
        api.post(f"{item}/attachments", json={"name": "markup.pdf", "urnTypeId": "1", "taskId": task}).status_code
        == 400
    )
    assert api.get(f"{item}/attachments").json()["results"] == []
    responses = api.get(item.rsplit("/items/", 1)[0] + "/responses").json()["results"]
    close = f"{item}/steps/{step}/tasks/{task}:close"

    for wrong in (True, "yes", [True]):
        refused = api.post(close, json={"responseId": responses[0]["id"], "saveAttachmentDrafts": wrong})
        assert refused.status_code == 400 and "array of strings" in refused.text
    assert api.post(close, json={"responseId": responses[0]["id"], "saveAttachmentDrafts": [""]}).status_code == 200


def test_a_task_attachment_name_with_characters_autodesk_does_not_support_is_refused(sandbox: RunningSandbox) -> None:
    api = reviewer(sandbox)
    item, _step, task = my_task(sandbox, api)

    for name in ("a:b.pdf", "a?.pdf", "a*.pdf", "a<b>.pdf", "a|b.pdf", "a\\b.pdf", "a/b.pdf", "a\tb.pdf"):
        refused = api.post(f"{item}/attachments", json={"name": name, "urnTypeId": "2", "taskId": task})
        assert refused.status_code == 400, name
        assert refused.json()["errors"][0]["code"] == "BAD_INPUT" and "not supported" in refused.text

    assert api.get(f"{item}/attachments").json()["results"] == []
    assert (
        api.post(f"{item}/attachments", json={"name": "a_b.pdf", "urnTypeId": "2", "taskId": task}).status_code == 201
    )


def test_a_task_attachment_takes_is_file_uploaded_true_but_not_false(sandbox: RunningSandbox) -> None:
    api = reviewer(sandbox)
    item, _step, task = my_task(sandbox, api)
    local = {"name": "markup.pdf", "urnTypeId": "2", "taskId": task}

    refused = api.post(f"{item}/attachments", json={**local, "isFileUploaded": False})
    assert refused.status_code == 400 and "cannot be set to False" in refused.text
    created = api.post(f"{item}/attachments", json={**local, "isFileUploaded": True})
    assert created.status_code == 201, created.text
    # Still a draft to fill: its file is confirmed by the PATCH once uploaded.
    assert [a["isFileUploaded"] for a in api.get(f"{item}/attachments").json()["results"]] == ["false"]
