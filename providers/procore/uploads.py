"""Uploading a response's files to Procore, as its reference documents (RestV10ProjectsProjectIdUploads*).

1. `POST /rest/v1.0/projects/{project_id}/uploads` with the file's name, type, size and one segment (size, sha256)
   answers `{uuid, url, fields}`;
2. the file is POSTed to `url` as multipart/form-data with exactly those `fields`, the file last (S3's POST policy);
3. the caller passes the uuids as `upload_ids` on the approver PATCH or the RFI reply.
Each step is noted on the file before the next goes out: an upload whose bytes reached Procore is reused by a retry;
one whose storage POST lost its answer is begun again under a new uuid (an unattached upload shows nowhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from providers.downloads import storage_refusal
from providers.errors import UnexpectedAnswer
from providers.procore.client import ProcoreClient, company_headers
from providers.uploads import STARTED, UPLOADED, OutgoingFile, multipart_body

if TYPE_CHECKING:
    from providers.models import ProviderAccount


class ProcoreUploads(ProcoreClient):
    def upload_ids(
        self, *, account: ProviderAccount, company_id: str, project_id: str, files: Sequence[OutgoingFile]
    ) -> list[str]:
        """Procore's upload uuid of every file, uploading those an earlier attempt did not finish."""
        return [
            file.provider_file_id if file.reusable else self._upload(account, company_id, project_id, file)
            for file in files
        ]

    def _upload(self, account: ProviderAccount, company_id: str, project_id: str, file: OutgoingFile) -> str:
        created = self._call(
            "POST",
            f"{self.endpoints.api}/rest/v1.0/projects/{project_id}/uploads",
            account=account,
            headers=company_headers(company_id),
            json={
                "response_filename": file.filename,
                "response_content_type": file.content_type,
                "attachment_content_disposition": True,
                "size": file.size,
                "segments": [{"size": file.size, "sha256": file.sha256}],
            },
        )
        uuid, url, fields = _instructions(created)
        file.note(STARTED, provider_file_id=uuid)
        content_type, body = multipart_body(fields, file)
        # The storage service, not Procore's API: no bearer token, its own refusals (most likely its signed policy
        # expired between two attempts: the next attempt begins a new upload).
        refused = storage_refusal(self.label, outgoing=True)
        self.http.send("POST", url, headers={"Content-Type": content_type}, content=body, classify=refused)
        file.note(UPLOADED)
        return uuid


def _instructions(created: Any) -> tuple[str, str, dict[str, str]]:
    if not isinstance(created, dict) or not all(created.get(k) for k in ("uuid", "url")):
        raise UnexpectedAnswer.for_provider("Procore", detail="upload created without uuid or url")
    fields = created.get("fields") or {}
    if not isinstance(fields, dict):
        raise UnexpectedAnswer.for_provider("Procore", detail="upload fields are not an object")
    return str(created["uuid"]), str(created["url"]), {str(k): str(v) for k, v in fields.items()}
