"""`/api/v1/projects/{pc_project_id}/keyword-lists/`: the project's Submittal Action and RFI Action keyword lists.

Project Center uploads a list whole; the answer is the check of the project's lists after the upload: which keyword of
which type is missing from which list, and which item kinds are held (not synced) until it is added.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import acting_user, audit_actor
from connector_portal.api.project_scope import ID_PARAMETER, ProjectScopedView
from connector_portal.api.schema import error_responses
from connector_portal.api.serializers import OutputSerializer, StrictSerializer
from mappings.keywords import KeywordCheck, KeywordInput
from mappings.models import KeywordEntry, KeywordList
from mappings.selectors import keyword_check, keyword_lists_get, response_keywords
from mappings.services import NAME_MAX, TYPE_MAX, keyword_list_replace
from projects.models import ItemKindChoices

MAX_ENTRIES = 1000
KIND_PARAMETER = OpenApiParameter(
    "kind",
    str,
    OpenApiParameter.PATH,
    enum=KeywordList.Kind.values,
    description="Which list: `submittal_action` (Submittal Action) or `rfi_action` (RFI Action).",
)


class KeywordEntrySerializer(StrictSerializer):
    name = serializers.CharField(max_length=NAME_MAX, help_text="The keyword as Project Center shows it.")
    type = serializers.CharField(max_length=TYPE_MAX, help_text="Its Project Center type, e.g. `Receive`.")


class KeywordListUploadSerializer(StrictSerializer):
    entries: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=KeywordEntrySerializer(),
        max_length=MAX_ENTRIES,
        help_text="The whole list, in Project Center's order; it replaces the old.",
    )


ListPair = tuple[str, KeywordList | None]  # a list kind and the project's list of that kind (None: never received)


class KeywordListSerializer(OutputSerializer):  # rendered from a ListPair (an item of keyword_lists_get)
    # The stubs see `label` and `source` as Field's attributes; DRF's serializer class takes declared fields out of
    # the class attributes, so nothing clashes at run time.
    kind = serializers.ChoiceField(choices=KeywordList.Kind.choices)
    label = serializers.CharField(help_text="The list's name in Project Center.")  # type: ignore[assignment]
    received = serializers.BooleanField(help_text="False until Project Center (or a person) has sent this list.")
    source = serializers.ChoiceField(choices=KeywordList.Source.choices, allow_null=True)  # type: ignore[assignment]
    updated_at = serializers.DateTimeField(allow_null=True)
    entries = KeywordEntrySerializer(many=True)

    def get_kind(self, pair: ListPair) -> str:
        return pair[0]

    def get_label(self, pair: ListPair) -> str:
        return KeywordList.Kind(pair[0]).label

    def get_received(self, pair: ListPair) -> bool:
        return pair[1] is not None

    def get_source(self, pair: ListPair) -> str | None:
        return pair[1].source if pair[1] else None

    def get_updated_at(self, pair: ListPair) -> dt.datetime | None:
        return pair[1].updated_at if pair[1] else None

    def get_entries(self, pair: ListPair) -> list[KeywordEntry]:
        return list(pair[1].entries.all()) if pair[1] else []


class KeywordProblemSerializer(OutputSerializer):  # rendered from a KeywordProblem
    kind = serializers.ChoiceField(choices=ItemKindChoices.choices, help_text="The item kind held until it is fixed.")
    list_kind = serializers.ChoiceField(choices=KeywordList.Kind.choices)
    list_label = serializers.CharField()
    keyword = serializers.CharField(help_text="The missing keyword.")
    type = serializers.CharField(help_text="The type it must have.")
    message = serializers.CharField(help_text="What to add where, in words.")


class HeldKindSerializer(OutputSerializer):  # rendered from an item of a held-kinds dict: (kind, why it is held)
    kind = serializers.ChoiceField(choices=ItemKindChoices.choices)
    message = serializers.CharField(help_text="Why its sync is held and what to do.")

    def get_kind(self, held: tuple[str, str]) -> str:
        return held[0]

    def get_message(self, held: tuple[str, str]) -> str:
        return held[1]


class KeywordCheckSerializer(OutputSerializer):  # rendered from a KeywordCheck
    ok = serializers.BooleanField(help_text="True when every keyword Project Center needs is there.")
    problems = KeywordProblemSerializer(many=True)
    held_kinds = HeldKindSerializer(many=True, help_text="Item kinds not synced until their keyword is added.")

    def get_held_kinds(self, check: KeywordCheck) -> list[tuple[str, str]]:
        return list(check.held_kinds().items())


class KeywordListsSerializer(OutputSerializer):  # rendered from a mapping of its parts, as GET assembles them
    lists = KeywordListSerializer(many=True)
    check = KeywordCheckSerializer()
    response_keywords = serializers.ListField(
        child=serializers.CharField(),
        help_text="The project's Record a Response keywords (its own, else Project Center's defaults).",
    )


class KeywordListUploadResultSerializer(OutputSerializer):  # rendered from a mapping of its parts, as PUT has them
    list = KeywordListSerializer()
    check = KeywordCheckSerializer()


MISSING_RFI = (
    "Add the keyword “Request for Information” with type “Receive” to the RFI Action keyword list in Project Center. "
    "RFIs are held (not failed) until it is there."
)
SUBMITTAL_LIST = {
    "kind": "submittal_action",
    "label": "Submittal Action",
    "received": True,
    "source": "project_center",
    "updated_at": "2026-03-02T09:00:00Z",
    "entries": [
        {"name": "For Review", "type": "Receive"},
        {"name": "Approved", "type": "Record a Response"},
        {"name": "Revise and Resubmit", "type": "Record a Response"},
    ],
}
CHECK_EXAMPLE = {
    "ok": False,
    "problems": [
        {
            "kind": "rfi",
            "list_kind": "rfi_action",
            "list_label": "RFI Action",
            "keyword": "Request for Information",
            "type": "Receive",
            "message": MISSING_RFI,
        }
    ],
    "held_kinds": [{"kind": "rfi", "message": MISSING_RFI}],
}
LISTS_EXAMPLE = {
    "lists": [
        SUBMITTAL_LIST,
        {
            "kind": "rfi_action",
            "label": "RFI Action",
            "received": True,
            "source": "project_center",
            "updated_at": "2026-03-02T09:00:00Z",
            "entries": [{"name": "Answered", "type": "Record a Response"}],
        },
    ],
    "check": CHECK_EXAMPLE,
    "response_keywords": ["Approved", "Revise and Resubmit"],
}


class KeywordListsView(ProjectScopedView):
    serializer_class = KeywordListsSerializer

    @extend_schema(
        operation_id="project_keyword_lists_retrieve",
        summary="Read a project's keyword lists and their check",
        description=(
            "Both lists (Submittal Action and RFI Action), whether each was received, the check of the keywords "
            "Project Center needs to log received items, and the project's Record a Response keywords."
        ),
        parameters=[ID_PARAMETER],
        responses={200: KeywordListsSerializer, **error_responses(404)},
        examples=[OpenApiExample("RFI keyword missing", value=LISTS_EXAMPLE, response_only=True)],
        tags=["keyword lists"],
    )
    def get(self, request: Request, pc_project_id: str) -> Response:
        project = self.project()
        lists = keyword_lists_get(project=project)
        parts = {
            "lists": list(lists.items()),
            "check": keyword_check(project=project),
            "response_keywords": response_keywords(project=project),
        }
        return Response(KeywordListsSerializer(parts).data)


class KeywordListView(ProjectScopedView):
    serializer_class = KeywordListUploadSerializer

    def kind(self) -> str:
        kind = self.kwargs["kind"]
        if kind not in KeywordList.Kind.values:
            raise NotFound()
        return kind

    @extend_schema(
        operation_id="project_keyword_list_retrieve",
        summary="Read one of a project's keyword lists",
        parameters=[ID_PARAMETER, KIND_PARAMETER],
        responses={200: KeywordListSerializer, **error_responses(404)},
        examples=[OpenApiExample("Submittal Action list", value=SUBMITTAL_LIST, response_only=True)],
        tags=["keyword lists"],
    )
    def get(self, request: Request, pc_project_id: str, kind: str) -> Response:
        project, kind = self.project(), self.kind()
        return Response(KeywordListSerializer((kind, keyword_lists_get(project=project)[kind])).data)

    @extend_schema(
        operation_id="project_keyword_list_replace",
        summary="Upload one of a project's keyword lists (replaces it)",
        description=(
            "Replaces the list whole with the entries sent (an exact repeat of a name and type is kept once) and "
            "answers the check of the project's lists: `check.problems` says which keyword of which type to add to "
            "which list, `check.held_kinds` which item kinds are not synced until then. Sending the same list again "
            "changes nothing."
        ),
        parameters=[ID_PARAMETER, KIND_PARAMETER],
        request=KeywordListUploadSerializer,
        responses={200: KeywordListUploadResultSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample(
                "Submittal Action list",
                value={"entries": SUBMITTAL_LIST["entries"]},
                request_only=True,
            ),
            OpenApiExample(
                "Uploaded; the RFI Action list still lacks its keyword",
                value={"list": SUBMITTAL_LIST, "check": CHECK_EXAMPLE},
                response_only=True,
            ),
        ],
        tags=["keyword lists"],
    )
    def put(self, request: Request, pc_project_id: str, kind: str) -> Response:
        project, kind = self.project(), self.kind()
        serializer = KeywordListUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = acting_user(request)
        entries = [KeywordInput(name=e["name"], type=e["type"]) for e in serializer.validated_data["entries"]]
        try:
            check = keyword_list_replace(
                project=project,
                kind=kind,
                entries=entries,
                source=KeywordList.Source.PORTAL if user else KeywordList.Source.PROJECT_CENTER,
                actor=user,
                **audit_actor(request),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"entries": exc.messages}) from exc
        parts = {"list": (kind, keyword_lists_get(project=project)[kind]), "check": check}
        return Response(KeywordListUploadResultSerializer(parts).data)
