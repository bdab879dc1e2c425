"""An attachment whose row goes while its file downloads (its item or firm deleted) leaves no blob behind."""

from __future__ import annotations

import pytest
import responses

from connector_portal.models import Firm
from projects.models import Attachment, AttachmentBlob
from projects.services.attachments import attachment_fetch
from tests.api.factories import linked_add
from tests.files.factories import attachment_add


@pytest.mark.django_db(transaction=True)
def test_an_attachment_deleted_during_its_download_records_no_blob(firm: Firm) -> None:
    attachment = attachment_add(linked_add(firm).item, None, provider_id="9001")

    def serve_after_the_row_went(request: object) -> tuple[int, dict[str, str], bytes]:
        Attachment.objects.filter(pk=attachment.pk).delete()
        return 200, {}, b"%PDF-1.4 sketch"

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, attachment.source_url, callback=serve_after_the_row_went)
        answer = attachment_fetch(attachment_id=attachment.pk)

    assert answer is None
    assert not AttachmentBlob.objects.exists()
