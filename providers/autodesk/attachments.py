"""The files attached to an ACC / BIM 360 RFI or submittal, read from the item's JSON.

construction.json documents `attachments` only on an RFI response's body, so the portal reads them where the item
gives them, defensively: `attachments[]` on the item (RFI question files, submittal files) and on each embedded RFI
response. Each entry names the file (`name` / `displayName`), its storage object (`urn`, with `urnVersion`) and,
where given, a download URL (`url`, or `signedUrl`: signed, expiring, no token). Files without any URL are skipped:
downloading them takes the project's Docs storage flow, which is not built yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from providers.answers import object_or_empty
from providers.types import AttachmentPlace, AttachmentRef


def _ref(entry: dict[str, Any], place: AttachmentPlace, owner: Any) -> AttachmentRef | None:
    file_id = entry.get("id") or entry.get("urn")
    url = entry.get("url") or entry.get("signedUrl")
    if file_id is None or not isinstance(url, str) or not url:
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
    )


def _from(entries: Any, place: AttachmentPlace, owner: Any = None) -> Iterator[AttachmentRef]:
    for entry in entries if isinstance(entries, list) else []:
        ref = _ref(entry, place, owner) if isinstance(entry, dict) else None
        if ref is not None:
            yield ref


def item_attachments(kind: str, attributes: dict[str, Any]) -> tuple[AttachmentRef, ...]:
    refs = list(_from(attributes.get("attachments"), "question" if kind == "rfi" else "item"))
    for response in attributes.get("responses") or []:
        response = object_or_empty(response)
        refs.extend(_from(response.get("attachments"), "answer", response.get("id")))
    return tuple(refs)
