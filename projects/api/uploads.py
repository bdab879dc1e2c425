"""Files for responses: declare one (`POST /uploads/`), PUT its bytes (`/uploads/{id}/content/`), read it back.

Built for files of hundreds of megabytes: the bytes are one raw PUT body, streamed to storage in chunks (DRF's
parsers never see it), checked against the declared size and SHA-256 before anything is kept, and refused above
RESPONSE_UPLOAD_MAX_BYTES. Declaring is idempotent by the Idempotency-Key; PUTting a stored upload again stores
nothing new. A response then lists stored upload ids in `attachments`.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import FirmAPIView
from connector_portal.api.errors import ApiError
from connector_portal.api.schema import error_responses
from connector_portal.api.serializers import OutputSerializer, StrictSerializer
from projects.api.responses import IDEMPOTENCY_PARAMETER, KEY_REUSED, idempotency_key
from projects.models import ResponseUpload
from projects.selectors import upload_get
from projects.services import IdempotencyConflict, request_hash
from projects.services.uploads import FILENAME_MAX, UploadRefused, upload_declare, upload_store_content

# What the checks of projects.services.uploads take, as the schema states it (the checks themselves answer in words).
FILENAME_PATTERN = r"^[^/\\\x00-\x1f\x7f-\x9f]*[^/\\\x00-\x1f\x7f-\x9f. ][^/\\\x00-\x1f\x7f-\x9f]*$"


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": FILENAME_MAX, "pattern": FILENAME_PATTERN})
class FilenameField(serializers.CharField):
    pass


# The schema states the limit in force when it was generated (the committed one: the 2 GiB default).
@extend_schema_field({"type": "integer", "minimum": 1, "maximum": settings.RESPONSE_UPLOAD_MAX_BYTES})
class SizeField(serializers.IntegerField):
    pass


@extend_schema_field({"type": "string", "pattern": "^[0-9a-f]{64}$"})
class Sha256Field(serializers.CharField):
    pass


UPLOAD_ID_PARAMETER = OpenApiParameter("upload_id", int, OpenApiParameter.PATH, description="The upload's `id`.")


class UploadRequestSerializer(StrictSerializer):
    filename = FilenameField(
        max_length=1000,  # longer than kept, so that a too-long name gets the plain answer, not a field error
        trim_whitespace=False,
        help_text="The file's own name (no folders, no control characters, at most 255 characters).",
    )
    content_type = serializers.CharField(
        max_length=255, required=False, default="application/octet-stream", help_text="Its media type."
    )
    size = SizeField(
        min_value=0,
        help_text="Its size in bytes, exactly: at least 1, at most RESPONSE_UPLOAD_MAX_BYTES (2 GiB by default).",
    )
    sha256 = Sha256Field(max_length=64, help_text="Its SHA-256, 64 lower-case hexadecimal digits.")


class UploadSerializer(OutputSerializer):  # rendered from a ResponseUpload; context["request"] builds the URLs
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="This upload.")
    upload_url = serializers.URLField(help_text="PUT the file's bytes here, as the raw request body.")
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    state = serializers.ChoiceField(
        choices=ResponseUpload.State.choices, help_text="`awaiting_content` until its bytes are stored."
    )
    created_at = serializers.DateTimeField()
    stored_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, upload: ResponseUpload) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-v1:upload-detail", args=[upload.pk]))

    def get_upload_url(self, upload: ResponseUpload) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-v1:upload-content", args=[upload.pk]))


def _refused(exc: UploadRefused) -> ApiError:
    return ApiError(status_code=exc.status, code=exc.code, message=exc.message, details=exc.details)


UPLOAD_EXAMPLE = {
    "id": 91,
    "url": "https://portal.example.com/api/v1/uploads/91/",
    "upload_url": "https://portal.example.com/api/v1/uploads/91/content/",
    "filename": "S-201 markup.pdf",
    "content_type": "application/pdf",
    "size": 48213,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "state": "awaiting_content",
    "created_at": "2026-03-02T10:14:00Z",
    "stored_at": None,
}
BAD_FILE = (
    "The declaration or the bytes are not acceptable: a filename with a path, control characters or over 255 "
    "characters, an empty or too large size, a malformed SHA-256, or content whose size or SHA-256 is not the one "
    "declared (then nothing is stored).",
    {
        "code": "checksum_mismatch",
        "message": "The content's SHA-256 is not the one declared, so it is not the file you meant. Nothing was "
        "stored: send the file again (it may have been changed or cut short on the way).",
        "details": {"declared_sha256": "9f86…", "received_sha256": "e3b0…"},
    },
)


class UploadsView(FirmAPIView):
    serializer_class = UploadRequestSerializer
    pagination_class = None

    @extend_schema(
        operation_id="upload_create",
        summary="Declare a file to attach to a response",
        description=(
            "Step 1 of 3 for a response's files. Declare the file's name, media type, size and SHA-256; the answer's "
            "`upload_url` takes its bytes (step 2, `PUT`). Step 3: list the upload's `id` in the response's "
            "`attachments`. Repeating the request with the same Idempotency-Key and body answers the same upload."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=UploadRequestSerializer,
        responses={201: UploadSerializer, **error_responses(400, 409, examples={400: BAD_FILE, 409: KEY_REUSED})},
        examples=[
            OpenApiExample(
                "A marked-up drawing",
                value={k: UPLOAD_EXAMPLE[k] for k in ("filename", "content_type", "size", "sha256")},
                request_only=True,
            ),
            OpenApiExample("Declared", value=UPLOAD_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
        tags=["responses"],
    )
    def post(self, request: Request) -> Response:
        key = idempotency_key(request)
        serializer = UploadRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            upload, created = upload_declare(
                firm=self.firm,
                filename=data["filename"],
                content_type=data["content_type"],
                size=data["size"],
                sha256=data["sha256"],
                idempotency_key=key,
                body_hash=request_hash({"upload": dict(data)}),
            )
        except UploadRefused as exc:
            raise _refused(exc) from exc
        except IdempotencyConflict as exc:
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT, code="idempotency_conflict", message=exc.message
            ) from exc
        body = UploadSerializer(upload, context={"request": request}).data
        headers = {"Location": body["url"]}
        if not created:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class UploadView(FirmAPIView):
    serializer_class = UploadSerializer
    pagination_class = None

    @extend_schema(
        operation_id="upload_retrieve",
        summary="Read an upload",
        parameters=[UPLOAD_ID_PARAMETER],
        responses={200: UploadSerializer, **error_responses(404)},
        examples=[OpenApiExample("Declared", value=UPLOAD_EXAMPLE, response_only=True)],
        tags=["responses"],
    )
    def get(self, request: Request, upload_id: int) -> Response:
        upload = upload_get(firm=self.firm, upload_id=upload_id)
        return Response(UploadSerializer(upload, context={"request": request}).data)


class UploadContentView(FirmAPIView):
    serializer_class = UploadSerializer
    pagination_class = None

    @extend_schema(
        operation_id="upload_content_put",
        summary="Send an upload's bytes",
        description=(
            "Step 2: the file's bytes as the raw request body (any Content-Type; `application/octet-stream` fits), "
            "exactly the declared size. They are streamed to storage and kept only when their size and SHA-256 are "
            "the declared ones; otherwise 400 and nothing is stored, so the same PUT can simply be sent again. A PUT "
            "to an upload already stored stores nothing new and answers it as it is (`Idempotent-Replayed: true`)."
        ),
        parameters=[UPLOAD_ID_PARAMETER],
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={200: UploadSerializer, **error_responses(400, 404, examples={400: BAD_FILE})},
        examples=[
            OpenApiExample(
                "The file's bytes",
                value="%PDF-1.4 … (the raw bytes of S-201 markup.pdf, 48,213 of them)",
                request_only=True,
                media_type="application/octet-stream",
            ),
            OpenApiExample(
                "Stored",
                value={**UPLOAD_EXAMPLE, "state": "stored", "stored_at": "2026-03-02T10:14:09Z"},
                response_only=True,
            ),
        ],
        tags=["responses"],
    )
    def put(self, request: Request, upload_id: int) -> Response:
        upload = upload_get(firm=self.firm, upload_id=upload_id)
        declared = request.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > upload.size and upload.state != upload.State.STORED:
            raise ApiError(
                status_code=status.HTTP_400_BAD_REQUEST,
                code="size_mismatch",
                message=f"The body is {int(declared):,} bytes; the upload was declared as {upload.size:,}. "
                "Nothing was stored: send exactly the declared file.",
                details={"declared_size": upload.size, "received_size": int(declared)},
            )
        try:
            # The Django request's own stream: DRF's parsers would read the whole body into memory first.
            stored = upload_store_content(upload=upload, stream=request._request)
        except UploadRefused as exc:
            raise _refused(exc) from exc
        headers = {} if stored else {"Idempotent-Replayed": "true"}
        return Response(UploadSerializer(upload, context={"request": request}).data, headers=headers)
