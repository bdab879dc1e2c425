"""The files Procore attaches to a submittal or RFI, read from the item's JSON (PROVIDERS.md, "Files").

A submittal carries its own `attachments[]` and each approver's `associated_attachments[]` (the files the approver
returned); an RFI's questions and their answers carry `attachments[]`. Each `url` is signed storage and may redirect.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from providers.answers import object_or_empty
from providers.types import AttachmentPlace, AttachmentRef


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _ref(entry: dict[str, Any], place: AttachmentPlace, owner: Any) -> AttachmentRef | None:
    file_id = entry.get("attachment_id") or entry.get("id")
    url = entry.get("url")
    if file_id is None or not isinstance(url, str) or not url:
        return None
    return AttachmentRef(
        provider_id=str(file_id),
        filename=str(entry.get("filename") or entry.get("name") or f"attachment-{file_id}"),
        url=url,
        place=place,
        owner_id="" if owner is None else str(owner),
        version=str(entry.get("version_timestamp") or entry.get("updated_at") or ""),
        content_type=str(entry.get("content_type") or ""),
        size=_size(entry.get("size") if entry.get("size") is not None else entry.get("file_size")),
    )


def _from(entries: Any, place: AttachmentPlace, owner: Any = None) -> Iterator[AttachmentRef]:
    for entry in entries if isinstance(entries, list) else []:
        ref = _ref(entry, place, owner) if isinstance(entry, dict) else None
        if ref is not None:
            yield ref


def submittal_attachments(entry: dict[str, Any]) -> tuple[AttachmentRef, ...]:
    refs = list(_from(entry.get("attachments"), "item"))
    for approver in entry.get("approvers") or []:
        approver = object_or_empty(approver)
        refs.extend(_from(approver.get("associated_attachments"), "approver", approver.get("id")))
    return tuple(refs)


def rfi_attachments(entry: dict[str, Any]) -> tuple[AttachmentRef, ...]:
    refs: list[AttachmentRef] = []
    for question in entry.get("questions") or []:
        question = object_or_empty(question)
        refs.extend(_from(question.get("attachments"), "question", question.get("id")))
        for answer in question.get("answers") or []:
            answer = object_or_empty(answer)
            refs.extend(_from(answer.get("attachments"), "answer", answer.get("id")))
    return tuple(refs)
