"""The files attached to an ACC / BIM 360 RFI or submittal, read from the item's JSON.

construction.json documents `attachments` only on an RFI response's body, so the portal reads them where the item
gives them, defensively: `attachments[]` on the item (RFI question files, submittal files) and on each embedded RFI
response. Each entry names the file (`name` / `displayName`), its storage object (`urn`, with `urnVersion`; an RFI
attachment's `storageUrn`, as rfis-rfis-id-attachments-GET gives it, with `attachmentId`; a submittal attachment's
`uploadUrn`, as items-itemId-attachments-GET gives it, whose `urn` is the Files tool's version or null) and, where
given, a download URL (`url`, or `signedUrl`: signed, expiring, no token).

A file whose `urn`, `storageUrn` or `uploadUrn` (the first that is one) is an OSS object is downloaded the
documented way: `GET /oss/v2/buckets/{bucketKey}/objects/{objectKey}/signeds3download` with the account's token
answers a signed URL to its bytes (providers.autodesk.uploads opens it). A plain URL is used only for a file
without an OSS urn; a file with neither is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from providers.answers import object_or_empty
from providers.autodesk.uploads import oss_object, oss_path
from providers.types import AttachmentPlace, AttachmentRef

OSS_KEYS = ("urn", "storageUrn", "uploadUrn")  # where an attachment may name its OSS object, first found first


def _download(entry: dict[str, Any], api: str) -> tuple[str, bool]:
    """(URL, whether it takes the account's token): OSS's signeds3download for an OSS object, else the plain URL."""
    # A submittal attachment's `urn` is the Files tool's version (or null) and its OSS object is `uploadUrn`; an RFI
    # attachment's is `storageUrn`: the first that is an OSS object urn is the one to download.
    urns = (entry.get(key) for key in OSS_KEYS)
    found = next((o for o in (oss_object(u) for u in urns if isinstance(u, str)) if o is not None), None)
    if found is not None:
        return f"{api}{oss_path(*found, 'signeds3download')}", True
    url = entry.get("url") or entry.get("signedUrl")
    return (url, False) if isinstance(url, str) else ("", False)


def _ref(entry: dict[str, Any], place: AttachmentPlace, owner: Any, api: str) -> AttachmentRef | None:
    file_id = entry.get("id") or entry.get("attachmentId") or entry.get("urn") or entry.get("storageUrn")
    url, authenticated = _download(entry, api)
    if file_id is None or not url:
        return None
    size = entry.get("fileSize") if entry.get("fileSize") is not None else entry.get("size")
    return AttachmentRef(
        provider_id=str(file_id),
        filename=str(entry.get("name") or entry.get("displayName") or f"attachment-{file_id}"),
        url=url,
        place=place,
        owner_id="" if owner is None else str(owner),
        version=str(entry.get("urnVersion") or entry.get("version") or ""),
        content_type=str(entry.get("mimeType") or entry.get("contentType") or ""),
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
        authenticated=authenticated,
    )


def _from(entries: Any, place: AttachmentPlace, api: str, owner: Any = None) -> Iterator[AttachmentRef]:
    for entry in entries if isinstance(entries, list) else []:
        ref = _ref(entry, place, owner, api) if isinstance(entry, dict) else None
        if ref is not None:
            yield ref


def item_attachments(kind: str, attributes: dict[str, Any], *, api: str) -> tuple[AttachmentRef, ...]:
    """The item's files; `api` is the API host the OSS downloads go to."""
    refs = list(_from(attributes.get("attachments"), "question" if kind == "rfi" else "item", api))
    for response in attributes.get("responses") or []:
        response = object_or_empty(response)
        refs.extend(_from(response.get("attachments"), "answer", api, response.get("id")))
    return tuple(refs)
