"""`GET /api/v1/firm/`: the caller's firm, its licence and which connectors it may use today."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import FirmAPIView
from connector_portal.api.schema import error_responses
from connector_portal.api.serializers import OutputSerializer
from connector_portal.models import Connector, Firm, Licence
from connector_portal.selectors import firm_licence


class LicenceSerializer(OutputSerializer):  # rendered from the firm's Licence
    valid_until = serializers.DateField(allow_null=True, help_text="Last day of the licence; null when it never ends.")
    is_current = serializers.BooleanField(help_text="False once valid_until has passed.")


# Rendered from a Connector member; `context["licence"]` is the firm's licence (or None).
class ConnectorSerializer(OutputSerializer):
    connector = serializers.ChoiceField(source="value", choices=Connector.choices)
    # The stubs see Field.label here; DRF's serializer class moves declared fields out of the class attributes.
    label = serializers.CharField()  # type: ignore[assignment]
    allowed = serializers.BooleanField(help_text="Whether the firm's licence lets it connect projects with it today.")

    def get_allowed(self, connector: Connector) -> bool:
        licence: Licence | None = self.context["licence"]
        return licence is not None and licence.allows(connector.value)


# Rendered from the Firm; `context["licence"]` is its licence (firm_licence), or None.
class FirmSerializer(OutputSerializer):
    name = serializers.CharField()
    slug = serializers.SlugField()
    licence = LicenceSerializer(allow_null=True, help_text="Null when the firm has no licence (no connector allowed).")
    connectors = ConnectorSerializer(many=True)

    def get_licence(self, firm: Firm) -> Licence | None:
        return self.context["licence"]

    def get_connectors(self, firm: Firm) -> list[Connector]:
        return list(Connector)


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
        licence = firm_licence(firm=self.firm)
        return Response(FirmSerializer(self.firm, context={"licence": licence}).data)
