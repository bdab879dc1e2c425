"""`GET /api/v1/firm/`: the caller's firm, its licence and which connectors it may use today."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import FirmAPIView
from connector_portal.api.schema import error_responses
from connector_portal.models import Connector, Firm
from connector_portal.selectors import firm_licence


class LicenceSerializer(serializers.Serializer):
    valid_until = serializers.DateField(allow_null=True, help_text="Last day of the licence; null when it never ends.")
    is_current = serializers.BooleanField(help_text="False once valid_until has passed.")


class ConnectorSerializer(serializers.Serializer):
    connector = serializers.ChoiceField(choices=Connector.choices)
    label = serializers.CharField()
    allowed = serializers.BooleanField(help_text="Whether the firm's licence lets it connect projects with it today.")


class FirmSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.SlugField()
    licence = LicenceSerializer(allow_null=True, help_text="Null when the firm has no licence (no connector allowed).")
    connectors = ConnectorSerializer(many=True)


def firm_summary(*, firm: Firm) -> dict[str, Any]:
    licence = firm_licence(firm=firm)
    allowed = set(licence.connectors()) if licence else set()
    return {
        "name": firm.name,
        "slug": firm.slug,
        "licence": {"valid_until": licence.valid_until, "is_current": licence.is_current()} if licence else None,
        "connectors": [
            {"connector": value, "label": label, "allowed": value in allowed} for value, label in Connector.choices
        ],
    }


FIRM_EXAMPLE = {
    "name": "Acme Architects",
    "slug": "acme-architects",
    "licence": {"valid_until": "2030-12-31", "is_current": True},
    "connectors": [
        {"connector": "procore", "label": "Procore", "allowed": True},
        {"connector": "autodesk", "label": "BIM 360", "allowed": False},
        {"connector": "constructex", "label": "ConstructEx", "allowed": True},
    ],
}


class FirmView(FirmAPIView):
    serializer_class = FirmSerializer
    pagination_class = None

    @extend_schema(
        operation_id="firm_retrieve",
        summary="The firm, its licence and its connectors",
        description="The token's firm, its licence, and for each connector whether the firm may use it today.",
        responses={200: FirmSerializer, **error_responses()},
        examples=[
            OpenApiExample("A firm licensed for Procore and ConstructEx", value=FIRM_EXAMPLE, response_only=True)
        ],
        tags=["firm"],
    )
    def get(self, request: Request) -> Response:
        return Response(FirmSerializer(firm_summary(firm=self.firm)).data)
