"""`/api/v1/projects/{pc_project_id}/connection/mapping/`: the connection's response mapping table, read and replaced.

Each row says which provider response a Project Center Record a Response keyword is sent as. Reading checks the rows
against the provider's live responses (cached for a few minutes) and flags renamed, missing or unmapped ones; when the
provider cannot be asked, the saved rows are shown unchecked. Replacing validates every keyword against the provider's
current responses exactly as the connection page does, and is audited with the token as actor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import acting_user, audit_actor
from connector_portal.api.errors import ApiError, error_body
from connector_portal.api.permissions import admins_only_message, require_firm_admin
from connector_portal.api.project_scope import ID_PARAMETER
from connector_portal.api.schema import ErrorExample, error_responses
from connector_portal.api.serializers import OutputSerializer, StrictSerializer
from connector_portal.models import Connector
from mappings.constants import normalise
from mappings.matching import RowCheck, check_rows
from mappings.models import MappingRow, MappingTable
from mappings.selectors import provider_label, response_keywords, table_rows
from projects.api.connection import NO_CONNECTION, LinkScopedView
from projects.api.errors import provider_failure
from projects.connect import wiring
from projects.models import ProjectLink
from projects.selectors import link_table_get, mapping_check
from projects.services.mapping import mapping_table_create_for_link, mapping_table_replace
from providers.errors import ProviderError
from providers.types import ResponseOption

MAX_ROWS = 200
ROW_STATUSES = ("ok", "renamed", "missing", "ambiguous", "unmapped", "stale", "unchecked")


@dataclass(frozen=True)
class UncheckedRow:
    """A saved row shown as it was saved while the provider cannot be asked; it reads like a RowCheck."""

    keyword: str
    standard: str
    saved_id: str
    saved_name: str
    message: str  # why it is unchecked
    status: str = "unchecked"
    current: None = None
    is_flagged: bool = True

    @classmethod
    def of(cls, row: MappingRow, *, message: str) -> UncheckedRow:
        return cls(row.keyword, row.standard, row.response_id, row.response_name, message)


def _sendable(row: RowCheck | UncheckedRow) -> bool:
    if isinstance(row, UncheckedRow):
        return bool(row.standard)  # judged by what was saved: a row with a meaning can be sent
    return row.current is not None and row.status != "stale"


@dataclass(frozen=True)
class LinkMapping:
    """A connection's table with each keyword's row, checked against `options` or, when they are None, unchecked."""

    link: ProjectLink
    table: MappingTable | None
    rows: Sequence[RowCheck | UncheckedRow]
    options: Sequence[ResponseOption] | None
    unchecked: str = ""  # why the provider could not be asked


def link_mapping(
    *, link: ProjectLink, table: MappingTable | None, options: Sequence[ResponseOption] | None, unchecked: str = ""
) -> LinkMapping:
    rows: Sequence[RowCheck | UncheckedRow]
    if options is None:
        saved = table_rows(table=table) if table is not None else []
        rows = [UncheckedRow.of(row, message=unchecked) for row in saved]
    elif table is not None:
        rows = mapping_check(table=table, options=options).rows
    else:
        keywords = response_keywords(project=link.project)
        check = check_rows(rows=[], keywords=keywords, options=options, provider_label=provider_label(link.provider))
        rows = check.rows
    return LinkMapping(link=link, table=table, rows=rows, options=options, unchecked=unchecked)


class ProviderOptionSerializer(OutputSerializer):  # rendered from a ResponseOption
    id = serializers.CharField()
    name = serializers.CharField()
    standard = serializers.CharField(help_text="The response's stable meaning, e.g. `approved as noted`.")


class MappingRowSerializer(OutputSerializer):  # rendered from a RowCheck or an UncheckedRow
    keyword = serializers.CharField(help_text="The Project Center Record a Response keyword.")
    response_id = serializers.CharField(
        source="saved_id", allow_blank=True, help_text="The provider response id saved for it."
    )
    response_name = serializers.CharField(
        source="saved_name", allow_blank=True, help_text="Its name when the mapping was saved."
    )
    standard = serializers.CharField(allow_blank=True, help_text="Its meaning; empty while unmapped.")
    status = serializers.ChoiceField(choices=ROW_STATUSES, help_text="`ok`, or what changed at the provider.")
    flagged = serializers.BooleanField(source="is_flagged", help_text="True when a person should look at this row.")
    sendable = serializers.BooleanField(help_text="False when responses with this keyword cannot be sent now.")
    message = serializers.CharField(allow_blank=True, help_text="What changed and what to do, in words.")
    current_response = ProviderOptionSerializer(
        source="current", allow_null=True, help_text="The provider response it is sent as today; null when none fits."
    )

    def get_sendable(self, row: RowCheck | UncheckedRow) -> bool:
        return _sendable(row)


class MappingSerializer(OutputSerializer):  # rendered from a LinkMapping
    pc_project_id = serializers.CharField(source="link.project.pc_project_id")
    provider = serializers.ChoiceField(source="link.provider", choices=Connector.choices)
    provider_label = serializers.CharField(source="link.get_provider_display")
    updated_at = serializers.DateTimeField(
        source="table.updated_at", allow_null=True, help_text="Null until the table is first saved."
    )
    checked = serializers.BooleanField(help_text="False when the provider could not be asked just now.")
    check_message = serializers.CharField(
        source="unchecked", allow_blank=True, help_text="Why it is unchecked, in words."
    )
    ok = serializers.BooleanField(help_text="True when every keyword can be sent.")
    rows = MappingRowSerializer(many=True)
    provider_responses = ProviderOptionSerializer(
        many=True, help_text="The responses the provider offers for this project now (to choose from)."
    )

    def get_checked(self, mapping: LinkMapping) -> bool:
        return mapping.options is not None

    def get_ok(self, mapping: LinkMapping) -> bool:
        return mapping.options is not None and all(_sendable(r) or r.status == "stale" for r in mapping.rows)

    def get_provider_responses(self, mapping: LinkMapping) -> Sequence[ResponseOption]:
        return mapping.options or ()


class MappingChoiceSerializer(StrictSerializer):
    keyword = serializers.CharField(max_length=100)
    response_id = serializers.CharField(max_length=100, help_text="The id of one of `provider_responses`.")


class MappingReplaceSerializer(StrictSerializer):
    rows: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=MappingChoiceSerializer(),
        max_length=MAX_ROWS,
        help_text="One row for every Record a Response keyword of the project.",
    )

    def validate_rows(self, rows: list[dict[str, str]]) -> list[dict[str, str]]:
        seen: set[str] = set()
        for row in rows:
            if normalise(row["keyword"]) in seen:
                raise serializers.ValidationError(f"“{row['keyword']}” appears more than once; send it once.")
            seen.add(normalise(row["keyword"]))
        return rows


ROW_EXAMPLE = {
    "keyword": "Approved as Noted",
    "response_id": "12",
    "response_name": "Approved as Noted",
    "standard": "approved as noted",
    "status": "ok",
    "flagged": False,
    "sendable": True,
    "message": "",
    "current_response": {"id": "12", "name": "Approved as Noted", "standard": "approved as noted"},
}
MAPPING_EXAMPLE = {
    "pc_project_id": "PC-2024-017",
    "provider": "procore",
    "provider_label": "Procore",
    "updated_at": "2026-03-02T09:00:00Z",
    "checked": True,
    "check_message": "",
    "ok": False,
    "rows": [
        ROW_EXAMPLE,
        {
            "keyword": "Rejected",
            "response_id": "14",
            "response_name": "Rejected",
            "standard": "rejected",
            "status": "renamed",
            "flagged": True,
            "sendable": True,
            "message": "Renamed from “Rejected” to “Not Approved” in Procore. The mapping still matches on its "
            "meaning; save the mapping to confirm the new name.",
            "current_response": {"id": "14", "name": "Not Approved", "standard": "rejected"},
        },
        {
            "keyword": "No Action Taken",
            "response_id": "",
            "response_name": "",
            "standard": "",
            "status": "unmapped",
            "flagged": True,
            "sendable": False,
            "message": "“No Action Taken” is not mapped yet. Choose the Procore response it should send.",
            "current_response": None,
        },
    ],
    "provider_responses": [
        {"id": "12", "name": "Approved as Noted", "standard": "approved as noted"},
        {"id": "14", "name": "Not Approved", "standard": "rejected"},
        {"id": "15", "name": "For Record Only", "standard": "for record only"},
    ],
}
MAPPING_EDIT = "change a connection's response mapping"
ADMINS_ONLY: ErrorExample = (
    "Signed in to the browsable API as a member who is not an administrator of the firm (only administrators change "
    "a mapping; the service-account token may), signed in without a firm, or the CSRF check failed.",
    error_body(code="permission_denied", message=admins_only_message(MAPPING_EDIT)),
)
INVALID_MAPPING: ErrorExample = (
    "A keyword is missing (an empty `rows` list misses every one), unknown, or mapped to a response the provider does "
    "not offer; `details.keywords` says what to change for each keyword.",
    {
        "code": "invalid_mapping",
        "message": "The mapping was not saved: see details.keywords for what to change, then send it again.",
        "details": {
            "keywords": {"No Action Taken": ["Choose a response for “No Action Taken”."]},
            "provider_responses": MAPPING_EXAMPLE["provider_responses"],
        },
    },
)


class MappingView(LinkScopedView):
    serializer_class = MappingReplaceSerializer
    not_connected = (
        "This project is not connected to a provider, so it has no response mapping. Connect it "
        "first from its configure page (Project Center's Configure button)."
    )

    @extend_schema(
        operation_id="project_mapping_retrieve",
        summary="Read the connection's response mapping",
        description=(
            "Every Record a Response keyword of the project with the provider response it is sent as, checked "
            "against the responses the provider offers now. When the provider cannot be asked, `checked` is false "
            "and the saved rows are shown with status `unchecked`."
        ),
        parameters=[ID_PARAMETER],
        responses={200: MappingSerializer, **error_responses(404, examples={404: NO_CONNECTION})},
        examples=[OpenApiExample("One renamed, one unmapped", value=MAPPING_EXAMPLE, response_only=True)],
        tags=["connection"],
    )
    def get(self, request: Request, pc_project_id: str) -> Response:
        link = self.link()
        table = link_table_get(firm=self.firm, link=link)
        try:
            options = wiring.live_options(link)
        except ProviderError as exc:
            mapping = link_mapping(link=link, table=table, options=None, unchecked=exc.message)
        except NotImplementedError:
            message = f"{link.get_provider_display()} cannot list its responses for this project."
            mapping = link_mapping(link=link, table=table, options=None, unchecked=message)
        else:
            mapping = link_mapping(link=link, table=table, options=options)
        return Response(MappingSerializer(mapping).data)

    @extend_schema(
        operation_id="project_mapping_replace",
        summary="Replace the connection's response mapping",
        description=(
            "Send one row per Record a Response keyword of the project, each with the id of a response the provider "
            "offers now (`provider_responses` of the GET). The whole table is checked and saved together, or "
            "nothing is saved (422 with what to change per keyword). Answers the saved table, checked."
        ),
        parameters=[ID_PARAMETER],
        request=MappingReplaceSerializer,
        responses={
            200: MappingSerializer,
            **error_responses(
                400, 404, 422, 502, 503, examples={403: ADMINS_ONLY, 404: NO_CONNECTION, 422: INVALID_MAPPING}
            ),
        },
        examples=[
            OpenApiExample(
                "Two keywords",
                value={
                    "rows": [
                        {"keyword": "Approved as Noted", "response_id": "12"},
                        {"keyword": "Rejected", "response_id": "14"},
                    ]
                },
                request_only=True,
            ),
            OpenApiExample("Saved", value=MAPPING_EXAMPLE, response_only=True),
        ],
        tags=["connection"],
    )
    def put(self, request: Request, pc_project_id: str) -> Response:
        link = self.link()
        require_firm_admin(request, what=MAPPING_EDIT)
        serializer = MappingReplaceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        choices = {row["keyword"]: row["response_id"] for row in serializer.validated_data["rows"]}
        try:
            options = wiring.live_options(link, fresh=True)
        except ProviderError as exc:
            raise provider_failure(exc) from exc
        table = link_table_get(firm=self.firm, link=link) or mapping_table_create_for_link(link=link, request=request)
        try:
            table = mapping_table_replace(
                table=table, choices=choices, options=options, actor=acting_user(request), **audit_actor(request)
            )
        except DjangoValidationError as exc:
            raise ApiError(
                status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                code="invalid_mapping",
                message=INVALID_MAPPING[1]["message"],
                details={
                    "keywords": exc.message_dict,
                    "provider_responses": ProviderOptionSerializer(options, many=True).data,
                },
            ) from exc
        return Response(MappingSerializer(link_mapping(link=link, table=table, options=options)).data)
