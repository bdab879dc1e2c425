"""`/api/v1/webhooks/`: where the portal tells Project Center that the firm's feed grew, so it need not poll.

The secret that signs the calls is answered once, when the webhook is created or its secret replaced.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import FirmViewSet, audit_actor
from connector_portal.api.errors import ApiError
from connector_portal.api.schema import error_responses
from connector_portal.api.serializers import OutputSerializer, StrictSerializer
from projects.models import OutboundDelivery, OutboundWebhook
from projects.services import outbound

RECENT_DELIVERIES = 50
# What the API accepts as an endpoint, stated in the schema itself (a looser `format: uri` would admit host names
# that no validator accepts): http(s), a host name of dot-separated labels or an IPv4 address, a port, a path.
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
URL_PATTERN = rf"^https?://{LABEL}(?:\.{LABEL}){{0,9}}(?::[0-9]{{1,5}})?(?:/[!-~]*)?$"
WEBHOOK_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The webhook's id.")


class WebhookSerializer(OutputSerializer):  # rendered from an OutboundWebhook; never its secret
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="Where the portal POSTs events.")
    description = serializers.CharField(allow_blank=True)
    active = serializers.BooleanField(help_text="False after repeated failures (see disabled_reason) or when off.")
    disabled_reason = serializers.CharField(allow_blank=True, help_text="Why it is off, in words.")
    notified_position = serializers.IntegerField(help_text="The newest feed position Project Center was told of.")
    consecutive_failures = serializers.IntegerField()
    last_success_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="Shown this once: keep it to check the X-Portal-Signature of calls.")


class WebhookCreateSerializer(StrictSerializer):
    url = serializers.RegexField(
        URL_PATTERN,
        max_length=500,
        help_text="https:// endpoint of Project Center, on a public address: a host that is or resolves to a "
        "loopback, private, link-local, multicast, reserved or unspecified address is refused (400, saying why).",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookUpdateSerializer(StrictSerializer):
    url = serializers.RegexField(URL_PATTERN, max_length=500, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, help_text="true turns it on again and forgets the failures.")


class DeliverySerializer(OutputSerializer):  # rendered from an OutboundDelivery
    id = serializers.IntegerField()
    event = serializers.ChoiceField(choices=OutboundDelivery.Event.choices)
    position = serializers.IntegerField()
    status = serializers.ChoiceField(choices=OutboundDelivery.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    attempts = serializers.IntegerField()
    response_status = serializers.IntegerField(allow_null=True, help_text="HTTP status the endpoint answered.")
    error = serializers.CharField(allow_blank=True, help_text="What went wrong on the last attempt, in words.")
    duration_ms = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


WEBHOOK_EXAMPLE = {
    "id": 7,
    "url": "https://pc.example.com/hooks/connector-portal",
    "description": "Project Center, head office",
    "active": True,
    "disabled_reason": "",
    "notified_position": 1042,
    "consecutive_failures": 0,
    "last_success_at": "2026-03-02T09:00:04Z",
    "created_at": "2026-03-01T08:00:00Z",
}
SECRET_EXAMPLE = {**WEBHOOK_EXAMPLE, "secret": "whsec_3q2-Xv8...", "notified_position": 0, "last_success_at": None}
DELIVERY_EXAMPLE = {
    "id": 311,
    "event": "feed.grew",
    "position": 1042,
    "status": "delivered",
    "status_label": "Delivered",
    "attempts": 1,
    "response_status": 204,
    "error": "",
    "duration_ms": 38,
    "created_at": "2026-03-02T09:00:03Z",
    "last_attempt_at": "2026-03-02T09:00:03Z",
    "next_attempt_at": None,
    "delivered_at": "2026-03-02T09:00:04Z",
}


def _conflict(url: str) -> ApiError:
    return ApiError(
        status_code=status.HTTP_409_CONFLICT,
        code="conflict",
        message=outbound.WebhookExists.message,
        details={"url": url},
    )


def _answer(example: dict[str, Any], name: str, code: str = "200") -> OpenApiExample:
    return OpenApiExample(name, value=example, response_only=True, status_codes=[code])


@extend_schema_view(
    list=extend_schema(
        summary="List the firm's webhooks",
        responses={200: WebhookSerializer(many=True), **error_responses(400)},
        examples=[_answer(WEBHOOK_EXAMPLE, "A webhook")],
    ),
    create=extend_schema(
        summary="Register a webhook",
        description=(
            'The portal POSTs `{"id", "type": "feed.grew", "created_at", "data": {"position", '
            '"feed_url"}}` whenever the feed grows (events are coalesced: read the feed from your cursor, not from '
            "the event). Each call carries `X-Portal-Timestamp` (Unix seconds) and `X-Portal-Signature: "
            'v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: refuse calls whose signature differs or whose '
            "timestamp is over 5 minutes old. Answer 2xx within 10 seconds. The secret is in this answer only."
        ),
        request=WebhookCreateSerializer,
        responses={201: WebhookWithSecretSerializer, **error_responses(400, 409)},
        examples=[
            OpenApiExample("A webhook", value={"url": WEBHOOK_EXAMPLE["url"]}, request_only=True),
            _answer(SECRET_EXAMPLE, "Registered", "201"),
        ],
    ),
    retrieve=extend_schema(
        summary="Read a webhook",
        parameters=[WEBHOOK_ID],
        responses={200: WebhookSerializer, **error_responses(404)},
        examples=[_answer(WEBHOOK_EXAMPLE, "A webhook")],
    ),
    partial_update=extend_schema(
        summary="Change a webhook, or turn it off or on again",
        parameters=[WEBHOOK_ID],
        request=WebhookUpdateSerializer,
        responses={200: WebhookSerializer, **error_responses(400, 404, 409)},
        examples=[
            OpenApiExample("Turn on again", value={"active": True}, request_only=True),
            _answer(WEBHOOK_EXAMPLE, "A webhook"),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a webhook",
        parameters=[WEBHOOK_ID],
        responses={204: None, **error_responses(404)},
        examples=[OpenApiExample("Deleted", value=None, response_only=True, status_codes=["204"])],
    ),
)
@extend_schema(tags=["webhooks"])
class OutboundWebhookViewSet(FirmViewSet):
    firm_queryset = OutboundWebhook.objects.all()
    serializer_class = WebhookSerializer
    pagination_class = None  # a firm has a handful

    def list(self, request: Request) -> Response:
        return Response(WebhookSerializer(self.get_queryset().order_by("pk"), many=True).data)

    def create(self, request: Request) -> Response:
        data = self._valid(WebhookCreateSerializer, request)
        try:
            webhook, secret = outbound.webhook_create(
                firm=self.firm, now=timezone.now(), **data, **audit_actor(request)
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        except outbound.WebhookExists as exc:
            raise _conflict(data["url"]) from exc
        answer = {**WebhookSerializer(webhook).data, "secret": secret}
        return Response(answer, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(WebhookSerializer(self._webhook()).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        webhook = self._webhook()
        data = self._valid(WebhookUpdateSerializer, request)
        try:
            webhook = outbound.webhook_update(webhook=webhook, **data, **audit_actor(request))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        except outbound.WebhookExists as exc:
            raise _conflict(data["url"]) from exc
        return Response(WebhookSerializer(webhook).data)

    def destroy(self, request: Request, pk: str) -> Response:
        outbound.webhook_delete(webhook=self._webhook(), **audit_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Send a signed test event now",
        description="Sent at once, also to a webhook that is off; the answer is the delivery with its outcome.",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={200: DeliverySerializer, **error_responses(404)},
        examples=[_answer({**DELIVERY_EXAMPLE, "event": "test"}, "Delivered")],
    )
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request: Request, pk: str) -> Response:
        delivery = outbound.webhook_send_test(webhook=self._webhook(), now=timezone.now())
        return Response(DeliverySerializer(delivery).data)

    @extend_schema(
        summary="Replace the signing secret",
        description="The new secret signs every call from now on and is in this answer only.",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={200: WebhookWithSecretSerializer, **error_responses(404)},
        examples=[_answer(SECRET_EXAMPLE, "New secret")],
    )
    @action(detail=True, methods=["post"], url_path="secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        webhook = self._webhook()
        secret = outbound.webhook_rotate_secret(webhook=webhook, **audit_actor(request))
        return Response({**WebhookSerializer(webhook).data, "secret": secret})

    @extend_schema(
        summary="The webhook's recent deliveries",
        description=f"The last {RECENT_DELIVERIES} events, newest first, with each one's outcome.",
        parameters=[WEBHOOK_ID],
        responses={200: DeliverySerializer(many=True), **error_responses(404)},
        examples=[_answer(DELIVERY_EXAMPLE, "A delivery")],
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        recent = self._webhook().deliveries.order_by("-created_at", "-pk")[:RECENT_DELIVERIES]
        return Response(DeliverySerializer(recent, many=True).data)

    def _webhook(self) -> OutboundWebhook:
        webhook = self.get_object()
        assert isinstance(webhook, OutboundWebhook)  # the rows of firm_queryset
        return webhook

    def _valid(self, serializer_class: type[StrictSerializer], request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
