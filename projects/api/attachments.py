"""`/api/v1/attachments/{id}/content/`: one stored file of the firm's synced items, streamed to Project Center.

The bytes stream from the private storage in chunks (never whole in memory), with Content-Length, an ETag from the
SHA-256 (If-None-Match answers 304), `Range` for resuming (206, or 416 when the range names no byte) and
`Content-Disposition: attachment` with the file's safe name. Another firm's file is a 404 like a missing one; a file
not stored (still downloading, too large, failed) answers 409 in the error shape, saying which and why.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.request import Request
from rest_framework.reverse import reverse

from connector_portal.api.base import FirmAPIView
from connector_portal.api.errors import ApiError
from connector_portal.api.schema import error_responses
from connector_portal.api.serializers import OutputSerializer
from connector_portal.files import stored_file_response
from projects.models import Attachment

NOT_STORED_WAIT = 60


class AnyMediaRenderer(renderers.BaseRenderer):
    """Lets a client that asks for the file's own type (or any) get it; errors still leave as JSON."""

    media_type = "*/*"
    format = "download"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


class AttachmentSerializer(OutputSerializer):  # rendered from an Attachment (with its blob)
    id = serializers.IntegerField(help_text="Download it at `download_url`.")
    filename = serializers.CharField(help_text="Safe to save under: no folders or control characters, ≤ 255 long.")
    content_type = serializers.CharField(allow_blank=True, help_text="As the provider or its storage named it.")
    size = serializers.IntegerField(allow_null=True, help_text="Bytes: the stored file's, else the provider's claim.")
    sha256 = serializers.CharField(allow_blank=True, help_text="Hex SHA-256 of the stored bytes; empty until stored.")
    state = serializers.ChoiceField(choices=Attachment.State.choices)
    reason = serializers.CharField(allow_blank=True, help_text="Why it is not stored (too large, failed), in words.")
    attached_to = serializers.ChoiceField(
        source="place", choices=Attachment.Place.choices, help_text="Where it hangs on the item."
    )
    download_url = serializers.CharField(help_text="Where to GET the bytes (with the API token).")

    def get_download_url(self, attachment: Attachment) -> str:
        request = self.context.get("request")
        return reverse("api-v1:attachment-content", kwargs={"attachment_id": attachment.pk}, request=request)


def _not_stored(attachment: Attachment) -> ApiError:
    if attachment.state == Attachment.State.PENDING:
        return ApiError(
            status_code=status.HTTP_409_CONFLICT,
            code="attachment_pending",
            message="The portal is still downloading this file from the provider. Try again in a minute.",
            details={"state": attachment.state, "retry_after_seconds": NOT_STORED_WAIT},
            retry_after=NOT_STORED_WAIT,
        )
    return ApiError(
        status_code=status.HTTP_409_CONFLICT,
        code="attachment_not_stored",
        message=f"The portal does not hold this file: {attachment.reason}",
        details={"state": attachment.state},
    )


NOT_STORED_EXAMPLE = (
    "The file is not stored yet, or could not be.",
    {
        "code": "attachment_pending",
        "message": "The portal is still downloading this file from the provider. Try again in a minute.",
        "details": {"state": "pending", "retry_after_seconds": 60},
    },
)


RANGE_EXAMPLE = (
    "The range names no byte of the file (Content-Range: bytes */size).",
    {
        "code": "range_not_satisfiable",
        "message": "The range asked for is not in the file, which has 1843200 bytes. Ask for bytes 0 to 1843199.",
        "details": {"size": 1843200},
    },
)
BYTES_EXAMPLE = OpenApiExample("A PDF's bytes", value="%PDF-1.4 …", response_only=True)


class AttachmentContentView(FirmAPIView):
    firm_queryset = Attachment.objects.all()
    pagination_class = None
    renderer_classes = (renderers.JSONRenderer, AnyMediaRenderer)  # type: ignore[assignment]  # the base names its two

    @extend_schema(
        operation_id="attachment_content",
        summary="Download an attached file",
        description=(
            "The bytes of a file attached to a submittal or RFI (each feed entry lists its item's files with their "
            "`download_url`). Send `Range: bytes=N-` to resume a large download (206), and `If-None-Match` with the "
            "ETag (the SHA-256 in quotes) to skip one you hold (304). A file not stored answers 409: "
            "`attachment_pending` while it downloads (retry after `retry_after_seconds`), `attachment_not_stored` "
            "when it is too large or failed (`message` says why)."
        ),
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The whole file.", examples=[BYTES_EXAMPLE]
            ),
            (206, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The range asked (Content-Range says which).", examples=[BYTES_EXAMPLE]
            ),
            304: OpenApiResponse(description="Not modified: the ETag sent is this file's."),
            **error_responses(404, 409, 416, examples={409: NOT_STORED_EXAMPLE, 416: RANGE_EXAMPLE}),
        },
        tags=["attachments"],
    )
    def get(self, request: Request, attachment_id: int) -> HttpResponseBase:
        attachment = self.get_firm_object(Attachment.objects.select_related("blob"), pk=attachment_id)
        blob = attachment.blob
        if attachment.state != Attachment.State.STORED or blob is None:
            raise _not_stored(attachment)
        return stored_file_response(
            request,
            name=blob.storage_name,
            size=blob.size,
            sha256=blob.sha256,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
