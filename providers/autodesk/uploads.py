"""Uploading a response's files to Autodesk's Docs/OSS storage, as APS documents it, and reading files back from it.

Every file's bytes go the OSS way: `GET /oss/v2/buckets/{bucketKey}/objects/{objectKey}/signeds3upload` opens an
upload session (`uploadKey`, one signed S3 URL); the bytes are PUT to that URL (S3 itself: no token); `POST` to the
same path with `{uploadKey, size}` completes it. What the object is, and how it is attached, depends on the item:
- an ACC RFI answer (APS tutorial "Upload Attachments to RFIs",
  https://aps.autodesk.com/en/docs/acc/v1/tutorials/rfis3/rfi-upload): the object is a Data Management storage
  location (`POST /data/v1/projects/{projectId}/storage`, datamanagement.yaml) in the RFI's own folder, the
  `virtualFolderUrn` of `GET .../rfis/{rfiId}` (Autodesk makes that folder asynchronously after the RFI; until it
  shows, nothing can be stored in it). The response POST names each object in `attachments: [{attachmentType:
  "rfiResponse", displayName, fileName, storageUrn}]` (`fileName` is the OSS objectKey, `storageUrn` the object's
  urn: APS tutorial "Submit an RFI Response", https://aps.autodesk.com/en/docs/acc/v1/tutorials/rfis3/rfi-response).
- an ACC submittal review: the review task close carries no files (its `saveAttachmentDrafts` is documented as an
  array of strings, "Not relevant": https://aps.autodesk.com/en/docs/acc/reference/http/submittals-tasks-taskIdclose-
  POST/), so the documented way is the submittal's own attachments (APS tutorial "Attach Local Files to Submittals",
  https://aps.autodesk.com/en/docs/acc/v1/tutorials/submittals/attach-local-files): `POST .../items/{itemId}/
  attachments {name, urnTypeId: "2", taskId}` (submittals-attachments-POST; "2" is a local file; in `name` each
  character the page lists as not supported, `/ ? * \\ < > | :` and control characters, is replaced by `_`) creates
  a draft on the reviewer's task whose answer names an empty OSS object in `uploadUrn` (its `urn` stays null until
  Autodesk has processed the file), the OSS flow fills it, `PATCH .../attachments/{id} {isFileUploaded: true}`
  confirms it, and closing the task publishes the task's drafts with the review.
Each step is noted on the file before the next goes out. A retry reuses what reached Autodesk: a file whose upload
completed is not uploaded again; a storage object or attachment already made is filled rather than made again (the
submittal's attachments are read first, so a lost answer to the attachment POST does not make a second one; a listed
draft counts as confirmed when its `isFileUploaded` is `true` or `"true"`, both forms APS's pages show). An RFI file's
object is reused only when it was stored in that RFI's folder (noted as `folder`); otherwise it is stored again there.

Files in: the first of an attachment's `urn`, `storageUrn` (an RFI attachment's) and `uploadUrn` (a submittal
attachment's, whose `urn` is the Files tool's version) that is an OSS object urn names its OSS object;
`GET .../signeds3download` answers a signed URL to its bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from providers.answers import expect_list, object_or_empty, require
from providers.autodesk.client import MAX_PAGES, AutodeskClient
from providers.downloads import open_download, same_origin, storage_refusal
from providers.errors import UnexpectedAnswer
from providers.types import AttachmentRef
from providers.uploads import STARTED, UPLOADED, OutgoingFile, raw_body

if TYPE_CHECKING:
    from providers.models import ProviderAccount

OSS_URN = "urn:adsk.objects:os.object:"
RFI_RESPONSE_FILE = "rfiResponse"  # the attachmentType of a file on an RFI response
LOCAL_FILE = "2"  # the urnTypeId of a submittal attachment uploaded from a local file
SIGNED_URL_MINUTES = 60  # long enough for a file of hundreds of megabytes
# The characters submittals-attachments-POST lists as not supported in an attachment's `name`
# (https://aps.autodesk.com/en/docs/acc/reference/http/submittals-attachments-POST/).
NAME_UNSUPPORTED = "/\n\r\t\0\f?*\\<>|:"
UNSUPPORTED_IN_NAME = str.maketrans(dict.fromkeys(NAME_UNSUPPORTED, "_"))


def oss_object(urn: str) -> tuple[str, str] | None:
    """(bucketKey, objectKey) of an OSS object urn (`urn:adsk.objects:os.object:{bucket}/{key}`), else None."""
    if not urn.startswith(OSS_URN) or "/" not in urn:
        return None
    bucket, _, key = urn.removeprefix(OSS_URN).partition("/")
    return (bucket, key) if bucket and key else None


def oss_path(bucket: str, key: str, operation: str) -> str:
    return f"/oss/v2/buckets/{quote(bucket, safe='')}/objects/{quote(key, safe='')}/{operation}"


class AutodeskUploads(AutodeskClient):
    def rfi_attachments(
        self, *, account: ProviderAccount, project_id: str, folder: str, files: Sequence[OutgoingFile]
    ) -> list[dict[str, str]]:
        """The `attachments` of an ACC RFI response: each file stored in the RFI's folder, uploaded once."""
        for file in files:
            # An object noted in another folder (or with none noted: the portal once stored these files in the
            # project's "Project Files") is not the RFI's: the file is stored again, in the RFI's folder.
            here = file.provider_state.get("folder") == folder
            if file.reusable and here:
                continue
            if not (here and file.provider_state.get("urn")):
                urn = self._storage(account, project_id, folder, file.filename)
                file.note(STARTED, provider_file_id=urn, urn=urn, folder=folder)
            self._oss_upload(account, str(file.provider_state["urn"]), file)
            file.note(UPLOADED)
        return [_rfi_entry(file) for file in files]

    def submittal_attachments(
        self, *, account: ProviderAccount, item_url: str, task_id: str, files: Sequence[OutgoingFile]
    ) -> None:
        """Each file as an uploaded draft attachment on the reviewer's task (published when the task is closed)."""
        listed: list[dict[str, Any]] | None = None
        taken = {file.provider_file_id for file in files if file.provider_file_id}  # drafts this response holds
        for file in files:
            if file.reusable:
                continue
            if not file.provider_file_id:
                name = attachment_name(file.filename)
                earlier = None
                # Only a file whose draft POST went out may have a draft its answer never named; a draft of the
                # same name is otherwise another file's (the reviewer's own, or one of this response's).
                if file.provider_state.get("draft_posted"):
                    listed = self._attachments(account, item_url) if listed is None else listed
                    earlier = next((a for a in listed if _same_draft(a, name, task_id, taken)), None)
                if earlier is not None and _uploaded(earlier):
                    taken.add(str(earlier.get("id")))
                    file.note(UPLOADED, provider_file_id=str(earlier.get("id")), urn=str(earlier.get("uploadUrn")))
                    continue
                if earlier is None:
                    file.note(file.state, draft_posted=True)  # written down before the POST goes out
                created = earlier or self._call(
                    "POST",
                    f"{item_url}/attachments",
                    account=account,
                    json={"name": name, "urnTypeId": LOCAL_FILE, "taskId": task_id},
                )
                created = object_or_empty(created)
                file.note(
                    STARTED,
                    provider_file_id=str(require(created, "id", label=self.label)),
                    urn=str(require(created, "uploadUrn", label=self.label)),
                )
                taken.add(file.provider_file_id)
            self._oss_upload(account, str(file.provider_state["urn"]), file)
            self._call(
                "PATCH",
                f"{item_url}/attachments/{file.provider_file_id}",
                account=account,
                json={"isFileUploaded": True},
            )
            file.note(UPLOADED)

    def open_attachment(self, *, account: ProviderAccount, ref: AttachmentRef) -> requests.Response:
        """An OSS object's bytes through the signed URL `signeds3download` answers (the URL is the credential: no
        token goes with it); a file given by a plain URL is downloaded from it, without the token."""
        # The URL comes from an item's JSON, which another party may have written: the token goes only to a URL
        # the portal built for the API host itself, never to one that merely looks like an OSS download.
        if not (ref.authenticated and same_origin(ref.url, self.endpoints.api)):
            return open_download(self.http, ref.url, classify=self.classify)
        if not ref.url.endswith("/signeds3download"):
            return super().open_attachment(account=account, ref=ref)
        signed = self._call("GET", ref.url, account=account)
        url = object_or_empty(signed).get("url")
        if not isinstance(url, str) or not url:
            raise UnexpectedAnswer.for_provider(self.label, detail="signeds3download answered no url")
        return open_download(self.http, url, classify=storage_refusal(self.label, outgoing=False))

    # -- the steps ---------------------------------------------------------------------------------------------------

    def _storage(self, account: ProviderAccount, project_id: str, folder: str, name: str) -> str:
        created = self._call(
            "POST",
            f"{self.endpoints.api}/data/v1/projects/{project_id}/storage",
            account=account,
            headers={"Content-Type": "application/vnd.api+json"},
            json={
                "jsonapi": {"version": "1.0"},
                "data": {
                    "type": "objects",
                    "attributes": {"name": name},
                    "relationships": {"target": {"data": {"type": "folders", "id": folder}}},
                },
            },
        )
        return str(require(object_or_empty(object_or_empty(created).get("data")), "id", label=self.label))

    def _attachments(self, account: ProviderAccount, item_url: str) -> list[dict[str, Any]]:
        """The submittal's attachments, every page (`limit` at most 50, `offset`, `pagination.totalResults`)."""
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = self._call(
                "GET", f"{item_url}/attachments", account=account, params={"limit": 50, "offset": len(found)}
            )
            results = expect_list(page, label=self.label, key="results")
            found += results
            total = object_or_empty(object_or_empty(page).get("pagination")).get("totalResults")
            if not results or not isinstance(total, int) or len(found) >= total:
                break
        return found

    def _oss_upload(self, account: ProviderAccount, urn: str, file: OutgoingFile) -> None:
        found = oss_object(urn)
        if found is None:
            raise UnexpectedAnswer.for_provider(self.label, detail=f"not an OSS object urn: {urn[:80]}")
        url = f"{self.endpoints.api}{oss_path(*found, 'signeds3upload')}"
        session = self._call("GET", url, account=account, params={"minutesExpiration": SIGNED_URL_MINUTES})
        urls = object_or_empty(session).get("urls")
        upload_key = object_or_empty(session).get("uploadKey")
        if not isinstance(urls, list) or len(urls) != 1 or not upload_key:
            raise UnexpectedAnswer.for_provider(self.label, detail="signeds3upload answered no uploadKey or urls")
        # S3 itself, not Autodesk's API: no bearer token, its own refusals; a PUT is sent again after a lost answer.
        self.http.send("PUT", str(urls[0]), content=raw_body(file), classify=storage_refusal(self.label, outgoing=True))
        self._call("POST", url, account=account, json={"uploadKey": str(upload_key), "size": file.size})


def _rfi_entry(file: OutgoingFile) -> dict[str, str]:
    """An RFI response's `attachments` entry for an uploaded file: its name, OSS objectKey and object urn."""
    urn = file.provider_file_id
    found = oss_object(urn)
    return {
        "attachmentType": RFI_RESPONSE_FILE,
        "displayName": file.filename,
        "fileName": found[1] if found else urn.rsplit("/", 1)[-1],
        "storageUrn": urn,
    }


def attachment_name(filename: str) -> str:
    """A submittal attachment's `name`: the file's name with each character submittals-attachments-POST lists as not
    supported replaced by `_` and no space at either end (a display name only: the file's bytes keep their own name
    in OSS)."""
    return filename.translate(UNSUPPORTED_IN_NAME).strip() or "attachment"


def _uploaded(attachment: dict[str, Any]) -> bool:
    """Whether a listed draft's file is confirmed: APS's examples answer `isFileUploaded` as the string "true", its
    tutorial as the boolean."""
    flag = attachment.get("isFileUploaded")
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def _same_draft(attachment: Any, name: str, task_id: str, taken: set[str]) -> bool:
    """A listed attachment that is this file's lost draft: on the reviewer's task, of its name (as Autodesk keeps it,
    spaces at either end dropped), and not one another file of the response already holds."""
    return (
        isinstance(attachment, dict)
        and str(attachment.get("name", "")).strip() == name
        and str(attachment.get("taskId")) == task_id
        and str(attachment.get("id")) not in taken
    )
