"""Reviewer responses: record one (`POST /items/{item_id}/responses/`), read its delivery (`/responses/{id}/`).

Recording is idempotent by the `Idempotency-Key` header (the rules live in projects.services.push.response_submit):
the same key with the same body answers the first result again, the same key with another body is a 409. The answer
to a recording is a receipt that never changes; the delivery to the provider is followed at the response's `url`.
"""

from __future__ import annotations

import re

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import FirmAPIView
from connector_portal.api.errors import ApiError
from connector_portal.api.schema import error_responses
from connector_portal.api.serializers import OutputSerializer, StrictSerializer
from projects.models import ItemResponse, ResponseFile
from projects.selectors import item_get, response_get
from projects.services import IdempotencyConflict, ResponseRefused, response_submit
from projects.services.uploads import MAX_FILES_PER_RESPONSE, UploadRefused

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_SHAPE = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII: it is stored and compared as sent
COMMENT_MAX = 10_000

ITEM_ID_PARAMETER = OpenApiParameter(
    "item_id", int, OpenApiParameter.PATH, description="The item's `id` from the change feed."
)
RESPONSE_ID_PARAMETER = OpenApiParameter("response_id", int, OpenApiParameter.PATH, description="The response's id.")
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    pattern=r"^[\x21-\x7e]{1,255}$",
    description=(
        "A key you choose for this response (e.g. a UUID), 1 to 255 visible ASCII characters. Repeat the request "
        "with the same key and body after a timeout: you get the first result, and the response is recorded once."
    ),
)


class ResponseRequestSerializer(StrictSerializer):
    keyword = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="For a submittal: a Record a Response keyword from the feed entry's `response_keywords`. "
        "For an RFI it is kept but not sent (an RFI takes a reply).",
    )
    comment = serializers.CharField(
        max_length=COMMENT_MAX,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="The reviewer's comment; for an RFI, the reply itself (required).",
    )
    attachments = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=MAX_FILES_PER_RESPONSE,
        help_text="Ids of stored uploads (`POST /api/v1/uploads/`, then PUT their content) to attach to the "
        "response: the marked-up drawings of a submittal review, the sketch of an RFI answer.",
    )


# Rendered from an ItemResponse; `context["request"]` builds its absolute `url`.
class ResponseReceiptSerializer(OutputSerializer):
    id = serializers.IntegerField()
    url = serializers.URLField(help_text="Where to follow its delivery to the provider.")
    item_id = serializers.IntegerField()
    keyword = serializers.CharField(allow_blank=True)
    comment = serializers.CharField(allow_blank=True)
    idempotency_key = serializers.CharField()
    attachments = serializers.ListField(child=serializers.IntegerField(), help_text="The upload ids it carries.")
    created_at = serializers.DateTimeField()

    def get_url(self, response: ItemResponse) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-v1:response-detail", args=[response.pk]))

    def get_attachments(self, response: ItemResponse) -> list[int]:
        return [row.upload_id for row in response.files.all()]


class ResponseFileSerializer(OutputSerializer):  # rendered from a ResponseFile
    upload_id = serializers.IntegerField()
    filename = serializers.CharField(source="upload.filename")
    size = serializers.IntegerField(source="upload.size")
    sha256 = serializers.CharField(source="upload.sha256")
    state = serializers.ChoiceField(
        choices=ResponseFile.State.choices,
        help_text="pending (not sent yet), started (the provider gave it an id), uploaded (the provider holds its "
        "bytes), attached (attached to the response at the provider).",
    )
    state_label = serializers.CharField(source="get_state_display")
    detail = serializers.CharField(allow_blank=True, help_text="Why it is not attached, in words, after a failure.")


class ProviderResponseSerializer(OutputSerializer):  # rendered from the ItemResponse that was sent as it
    id = serializers.CharField(source="option_id")
    name = serializers.CharField(source="option_name")


class ResponseDeliverySerializer(ResponseReceiptSerializer):
    status = serializers.ChoiceField(choices=ItemResponse.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    delivered = serializers.BooleanField()
    attempts = serializers.IntegerField(help_text="How many times the portal has tried to send it.")
    next_attempt_at = serializers.DateTimeField(allow_null=True, help_text="When it tries again, while pending.")
    provider_response = ProviderResponseSerializer(
        allow_null=True, help_text="The provider response the keyword was sent as; null before or for RFIs."
    )
    provider_answer = serializers.CharField(allow_blank=True, help_text="What happened at the provider, in words.")
    files = ResponseFileSerializer(many=True, help_text="Each attached file and how far it got at the provider.")
    updated_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)

    def get_files(self, response: ItemResponse) -> list[ResponseFile]:
        return list(response.files.select_related("upload").order_by("position", "id"))

    def get_delivered(self, response: ItemResponse) -> bool:
        return response.status == ItemResponse.Status.DELIVERED

    def get_provider_response(self, response: ItemResponse) -> ItemResponse | None:
        return response if response.option_id else None


def idempotency_key(request: Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        raise ApiError(
            status_code=status.HTTP_400_BAD_REQUEST,
            code="idempotency_key_required",
            message="Send an Idempotency-Key header (e.g. a new UUID) so that a repeated request is recorded once.",
        )
    if not IDEMPOTENCY_KEY_SHAPE.fullmatch(key):
        raise ApiError(
            status_code=status.HTTP_400_BAD_REQUEST,
            code="invalid_idempotency_key",
            message="The Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces). A UUID fits.",
        )
    return key


RECEIPT_EXAMPLE = {
    "id": 377,
    "url": "https://portal.example.com/api/v1/responses/377/",
    "item_id": 5531,
    "keyword": "Approved as Noted",
    "comment": "See markups on sheet S-201.",
    "idempotency_key": "0b9e6d1c-5d4f-4d55-9a43-1f0e6f1b2a11",
    "attachments": [91],
    "created_at": "2026-03-02T10:15:00Z",
}
DELIVERY_EXAMPLE = {
    **RECEIPT_EXAMPLE,
    "status": "delivered",
    "status_label": "Delivered",
    "delivered": True,
    "attempts": 1,
    "next_attempt_at": None,
    "provider_response": {"id": "12", "name": "Approved as Noted"},
    "provider_answer": "“Approved as Noted” was recorded in Procore.",
    "files": [
        {
            "upload_id": 91,
            "filename": "S-201 markup.pdf",
            "size": 48213,
            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "state": "attached",
            "state_label": "Attached to the response",
            "detail": "",
        }
    ],
    "updated_at": "2026-03-02T10:15:04Z",
    "delivered_at": "2026-03-02T10:15:04Z",
}
NOT_ALLOWED = (
    "The keyword is missing or not mapped for this connection (a submittal needs one: an empty body `{}` has none), or "
    "an RFI reply has no text; `details.allowed_keywords` lists the keywords that are mapped.",
    {
        "code": "keyword_not_allowed",
        "message": "“Approved with Comments” is not a response keyword of this project's connection. Use one of: "
        "“Approved”, “Approved as Noted”, “Revise and Resubmit”, “Rejected”.",
        "details": {
            "keyword": "Approved with Comments",
            "allowed_keywords": ["Approved", "Approved as Noted", "Revise and Resubmit", "Rejected"],
        },
    },
)
KEY_REUSED = (
    "The Idempotency-Key was already used with a different body.",
    {"code": "idempotency_conflict", "message": IdempotencyConflict.message, "details": {}},
)
NO_KEY = (
    "No or a malformed Idempotency-Key header, or the body is not valid.",
    {
        "code": "idempotency_key_required",
        "message": "Send an Idempotency-Key header (e.g. a new UUID) so that a repeated request is recorded once.",
        "details": {},
    },
)


class ItemResponsesView(FirmAPIView):
    serializer_class = ResponseRequestSerializer
    pagination_class = None

    @extend_schema(
        operation_id="item_response_record",
        summary="Record a reviewer's response for an item",
        description=(
            "Stores the response and queues its delivery to the provider; answers 201 with a receipt whose `url` "
            "shows the delivery. Repeating the request with the same Idempotency-Key and body answers the same 201 "
            "and receipt (with the header `Idempotent-Replayed: true`) and records nothing new; the same key with "
            "a different body is refused with 409."
        ),
        parameters=[ITEM_ID_PARAMETER, IDEMPOTENCY_PARAMETER],
        request=ResponseRequestSerializer,
        responses={
            201: ResponseReceiptSerializer,
            **error_responses(400, 404, 409, 422, examples={400: NO_KEY, 409: KEY_REUSED, 422: NOT_ALLOWED}),
        },
        examples=[
            OpenApiExample(
                "Approved as noted",
                value={"keyword": "Approved as Noted", "comment": "See markups on sheet S-201.", "attachments": [91]},
                request_only=True,
            ),
            OpenApiExample("Recorded", value=RECEIPT_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
        tags=["responses"],
    )
    def post(self, request: Request, item_id: int) -> Response:
        item = item_get(firm=self.firm, item_id=item_id)
        key = idempotency_key(request)
        serializer = ResponseRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        keyword, comment = serializer.validated_data["keyword"], serializer.validated_data["comment"]
        try:
            response, created = response_submit(
                firm=self.firm,
                item=item,
                keyword=keyword,
                comment=comment,
                idempotency_key=key,
                attachments=serializer.validated_data["attachments"],
            )
        except UploadRefused as exc:
            raise ApiError(status_code=exc.status, code=exc.code, message=exc.message, details=exc.details) from exc
        except ResponseRefused as exc:
            raise ApiError(
                status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                code=exc.code,
                message=exc.message,
                details=exc.details,
            ) from exc
        except IdempotencyConflict as exc:
            raise ApiError(
                status_code=status.HTTP_409_CONFLICT, code="idempotency_conflict", message=exc.message
            ) from exc
        body = ResponseReceiptSerializer(response, context={"request": request}).data
        headers = {"Location": body["url"]}
        if not created:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class ResponseView(FirmAPIView):
    serializer_class = ResponseDeliverySerializer
    pagination_class = None

    @extend_schema(
        operation_id="response_retrieve",
        summary="Read a response's delivery to the provider",
        description=(
            "`status` is pending (waiting or retrying: see `next_attempt_at`), delivering, delivered, failed "
            "(`provider_answer` says why and what to do) or dismissed."
        ),
        parameters=[RESPONSE_ID_PARAMETER],
        responses={200: ResponseDeliverySerializer, **error_responses(404)},
        examples=[OpenApiExample("Delivered", value=DELIVERY_EXAMPLE, response_only=True)],
        tags=["responses"],
    )
    def get(self, request: Request, response_id: int) -> Response:
        response = response_get(firm=self.firm, response_id=response_id)
        return Response(ResponseDeliverySerializer(response, context={"request": request}).data)
