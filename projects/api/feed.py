"""`/api/v1/feed/`: the firm's change feed, read after a cursor and acknowledged entry by entry.

The cursor is the position of the last entry Project Center has read (0 to start). Positions are per firm, gap-free and
become visible strictly in order, so reading again from `next_cursor` never skips or repeats an entry, even while the
portal appends new ones. A page costs the same few SQL queries whatever its size and however large the feed is.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from connector_portal.api.base import FirmAPIView
from connector_portal.api.errors import ApiError
from connector_portal.api.schema import error_responses
from connector_portal.api.serializers import OutputSerializer, StrictSerializer
from connector_portal.models import Connector
from projects.api.attachments import AttachmentSerializer
from projects.api.content import ItemContentSerializer, content_of
from projects.models import Attachment, FeedEntry, ItemKindChoices
from projects.selectors import ItemReviewer, allowed_keywords_get, attachments_of_items, feed_page_get, feed_reviewers
from projects.services import feed_entry_acknowledge

FEED_MAX_PAGE_SIZE = 100
MAX_CURSOR_DIGITS = 18  # a 64-bit position
MAX_CURSOR = 10**MAX_CURSOR_DIGITS - 1

CURSOR_PARAMETER = OpenApiParameter(
    "cursor",
    {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR},
    OpenApiParameter.QUERY,
    description="The `next_cursor` of the last page read (the position of the last entry seen); 0 or absent to start.",
)
PAGE_SIZE_PARAMETER = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1, "maximum": FEED_MAX_PAGE_SIZE},
    OpenApiParameter.QUERY,
    description=f"Entries per page, 1 to {FEED_MAX_PAGE_SIZE} (default {FEED_MAX_PAGE_SIZE}).",
)
POSITION_PARAMETER = OpenApiParameter(
    "position", int, OpenApiParameter.PATH, description="The entry's `position` in the feed."
)


def _snapshot(entry: FeedEntry) -> dict[str, Any]:
    return entry.snapshot or {}


def _text(entry: FeedEntry, name: str) -> str:
    return _snapshot(entry).get(name) or ""


# Rendered from the feed entry: its snapshot holds the item's fields as they were at the change.
class FeedItemSerializer(OutputSerializer):
    id = serializers.IntegerField(
        source="item_id", help_text="The portal's id of the item: record responses at /items/{id}/responses/."
    )
    kind = serializers.ChoiceField(choices=ItemKindChoices.choices)
    provider_id = serializers.CharField(help_text="The provider's own id of the item.")
    number = serializers.CharField(allow_blank=True)
    revision = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)
    status = serializers.CharField(allow_blank=True, help_text="The provider's status, as the provider names it.")
    due_date = serializers.DateField(allow_null=True)
    ball_in_court = serializers.ListField(child=serializers.CharField(), help_text="Who has to act, by name.")
    closed = serializers.BooleanField()
    removed = serializers.BooleanField(help_text="Deleted or recycled in the provider.")
    predecessor_id = serializers.IntegerField(allow_null=True, help_text="The item this revision follows.")
    provider_url = serializers.CharField(allow_blank=True, help_text="The item's page in the provider.")
    attachments = AttachmentSerializer(
        many=True,
        help_text="The files attached to the item upstream as they are now (a new or changed file is a new entry), "
        "each with its download state and `download_url`.",
    )
    content = ItemContentSerializer(
        help_text="What a reviewer reads beyond the envelope: description, RFI question and answers, specification "
        "section, people, reviewers, dates and impacts. A change to any of it is a `changed` entry."
    )

    def get_kind(self, entry: FeedEntry) -> str:
        return _text(entry, "kind")

    def get_provider_id(self, entry: FeedEntry) -> str:
        return _text(entry, "provider_id")

    def get_number(self, entry: FeedEntry) -> str:
        return _text(entry, "number")

    def get_revision(self, entry: FeedEntry) -> str:
        return _text(entry, "revision")

    def get_title(self, entry: FeedEntry) -> str:
        return _text(entry, "title")

    def get_status(self, entry: FeedEntry) -> str:
        return _text(entry, "status")

    def get_due_date(self, entry: FeedEntry) -> str | None:
        return _snapshot(entry).get("due_date")

    def get_ball_in_court(self, entry: FeedEntry) -> list[str]:
        return list(_snapshot(entry).get("ball_in_court") or [])

    def get_closed(self, entry: FeedEntry) -> bool:
        return bool(_snapshot(entry).get("closed"))

    def get_removed(self, entry: FeedEntry) -> bool:
        return bool(_snapshot(entry).get("removed"))

    def get_predecessor_id(self, entry: FeedEntry) -> int | None:
        return _snapshot(entry).get("predecessor_id")

    def get_provider_url(self, entry: FeedEntry) -> str:
        return _text(entry, "url")

    def get_attachments(self, entry: FeedEntry) -> list[Attachment]:
        return self.context.get("attachments", {}).get(entry.item_id, [])

    def get_content(self, entry: FeedEntry) -> dict[str, Any]:
        return content_of(_snapshot(entry))


class ContactSerializer(OutputSerializer):  # rendered from a ProjectContact
    email = serializers.EmailField()
    name = serializers.CharField(allow_blank=True)
    pc_contact_id = serializers.CharField(allow_blank=True, help_text="Project Center's id of the contact, if sent.")


class ItemReviewerSerializer(OutputSerializer):  # rendered from projects.selectors.ItemReviewer
    name = serializers.CharField(allow_blank=True, help_text="The receiving user's name at the provider.")
    email = serializers.CharField(allow_blank=True)
    contact = ContactSerializer(
        allow_null=True,
        help_text="The project team contact with the reviewer's e-mail (sent to PUT /projects/{id}/contacts/); "
        "null when the team has none: assign the item by hand.",
    )


# Rendered from a FeedEntry; `context["keywords"]` holds each link's allowed keywords (allowed_keywords_get),
# `context["reviewers"]` each entry's reviewer by position (feed_reviewers).
class FeedEntrySerializer(OutputSerializer):
    position = serializers.IntegerField(help_text="The entry's place in the firm's feed: the next cursor.")
    change = serializers.ChoiceField(choices=FeedEntry.Change.choices)
    origin = serializers.ChoiceField(
        choices=FeedEntry.Origin.choices,
        help_text="Who made the change. `portal_response`: the item's state after the portal posted this reviewer's "
        "own response (the ball in court moved on, the status changed). Update Project Center's record of the item "
        "with it; it is not a new request to review. `provider`: a change made in the provider.",
    )
    created_at = serializers.DateTimeField()
    pc_project_id = serializers.CharField(
        source="link.project.pc_project_id", help_text="Project Center's id of the project the item belongs to."
    )
    provider = serializers.ChoiceField(source="link.provider", choices=Connector.choices)
    item = FeedItemSerializer(source="*", help_text="The item's fields as they were at this change.")
    response_keywords = serializers.ListField(
        child=serializers.CharField(),
        help_text="The Record a Response keywords a reviewer may answer this item with (mapped for this connection). "
        "Empty for RFIs, which take a reply.",
    )
    reviewer = ItemReviewerSerializer(
        allow_null=True,
        help_text="The receiving user the item is for (responses go back in their name), with their contact.",
    )
    pc_item_id = serializers.CharField(allow_blank=True, help_text="Project Center's item id, once acknowledged.")
    acknowledged_at = serializers.DateTimeField(allow_null=True)

    def get_reviewer(self, entry: FeedEntry) -> ItemReviewer | None:
        return self.context["reviewers"].get(entry.position)

    def get_response_keywords(self, entry: FeedEntry) -> list[str]:
        if _text(entry, "kind") != ItemKindChoices.SUBMITTAL:
            return []
        return self.context["keywords"].get(entry.link_id, [])


class FeedPageSerializer(OutputSerializer):
    entries = FeedEntrySerializer(many=True, help_text="Oldest first.")
    next_cursor = serializers.IntegerField(
        min_value=0, help_text="Send it as `cursor` next time; the same cursor when the page is empty."
    )
    has_more = serializers.BooleanField(help_text="True when more entries are already waiting: ask again at once.")


class AcknowledgeSerializer(StrictSerializer):
    pc_item_id = serializers.CharField(max_length=100, help_text="Project Center's own id of the item it logged.")


class AcknowledgementSerializer(OutputSerializer):  # rendered from the acknowledged FeedEntry
    position = serializers.IntegerField()
    item_id = serializers.IntegerField()
    pc_item_id = serializers.CharField()
    acknowledged_at = serializers.DateTimeField()


def _whole_number(request: Request, name: str, *, default: int, low: int, high: int, code: str) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_CURSOR_DIGITS and low <= int(raw) <= high):
        message = {
            "invalid_cursor": "The cursor is not valid. Send the `next_cursor` of the last page, or 0 to start.",
            "invalid_page_size": f"page_size must be a whole number from 1 to {FEED_MAX_PAGE_SIZE}.",
        }[code]
        raise ApiError(status_code=status.HTTP_400_BAD_REQUEST, code=code, message=message, details={name: raw[:50]})
    return int(raw)


ENTRY_EXAMPLE = {
    "position": 1042,
    "change": "new",
    "origin": "provider",
    "created_at": "2026-03-02T09:00:03Z",
    "pc_project_id": "PC-2024-017",
    "provider": "procore",
    "item": {
        "id": 5531,
        "kind": "submittal",
        "provider_id": "88213",
        "number": "05 12 00-3",
        "revision": "1",
        "title": "Structural steel shop drawings",
        "status": "Open",
        "due_date": "2026-03-16",
        "ball_in_court": ["Rita Reviewer"],
        "closed": False,
        "removed": False,
        "predecessor_id": 5530,
        "provider_url": "https://app.procore.com/562949953443/project/submittals/88213",
        "attachments": [
            {
                "id": 901,
                "filename": "05 12 00-3 Shop drawings.pdf",
                "content_type": "application/pdf",
                "size": 1843200,
                "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "state": "stored",
                "reason": "",
                "attached_to": "item",
                "download_url": "https://portal.example.com/api/v1/attachments/901/content/",
            }
        ],
        "content": {
            "description": "Shop drawings for the level 2 moment frames.",
            "question": "",
            "question_rich_text": "",
            "answers": [],
            "spec_section": {"number": "05 12 00", "title": "Structural Steel Framing"},
            "submittal_type": "Shop Drawing",
            "received_from": {"id": "4410", "name": "Sam Steel", "company": "Summit Steel Erectors"},
            "manager": {"id": "4021", "name": "Gina Contractor", "company": ""},
            "responsible_contractor": "Summit Steel Erectors",
            "reviewers": [
                {
                    "person": {"id": "4077", "name": "Sam Structural", "company": ""},
                    "step": 1,
                    "response": "Approved as Noted",
                    "comment": "See clouded connection at grid C.",
                    "returned_date": "2026-03-01",
                },
                {
                    "person": {"id": "4099", "name": "Rita Reviewer", "company": ""},
                    "step": 2,
                    "response": "",
                    "comment": "",
                    "returned_date": None,
                },
            ],
            "dates": {
                "created": "2026-02-20",
                "received": "2026-02-27",
                "issued": "2026-02-28",
                "sent_to_reviewer": "2026-03-02",
                "due": "2026-03-16",
                "returned": "2026-03-01",
            },
            "cost_impact": None,
            "schedule_impact": None,
        },
    },
    "response_keywords": ["Approved", "Approved as Noted", "Revise and Resubmit", "Rejected"],
    "reviewer": {
        "name": "Rita Reviewer",
        "email": "rita@architects.example",
        "contact": {"email": "rita@architects.example", "name": "Rita Reviewer", "pc_contact_id": "C-17"},
    },
    "pc_item_id": "",
    "acknowledged_at": None,
}
ACK_EXAMPLE = {"position": 1042, "item_id": 5531, "pc_item_id": "SUB-0042", "acknowledged_at": "2026-03-02T09:01:00Z"}
BAD_CURSOR = (
    "The cursor or page_size is not valid.",
    {
        "code": "invalid_cursor",
        "message": "The cursor is not valid. Send the `next_cursor` of the last page, or 0 to start.",
        "details": {"cursor": "abc"},
    },
)


class FeedView(FirmAPIView):
    serializer_class = FeedPageSerializer
    pagination_class = None

    @extend_schema(
        operation_id="feed_list",
        summary="Read the change feed after a cursor",
        description=(
            "The firm's new, changed and removed submittals and RFIs, oldest first, after `cursor`. Log each item, "
            "acknowledge it with your own item id, then ask again with `next_cursor`. While `has_more` is false "
            "you are up to date: poll again in a minute."
        ),
        parameters=[CURSOR_PARAMETER, PAGE_SIZE_PARAMETER],
        responses={200: FeedPageSerializer, **error_responses(400, examples={400: BAD_CURSOR})},
        examples=[
            OpenApiExample(
                "One new submittal",
                value={"entries": [ENTRY_EXAMPLE], "next_cursor": 1042, "has_more": False},
                response_only=True,
            )
        ],
        tags=["feed"],
    )
    def get(self, request: Request) -> Response:
        after = _whole_number(request, "cursor", default=0, low=0, high=MAX_CURSOR, code="invalid_cursor")
        size = _whole_number(
            request,
            "page_size",
            default=FEED_MAX_PAGE_SIZE,
            low=1,
            high=FEED_MAX_PAGE_SIZE,
            code="invalid_page_size",
        )
        page = feed_page_get(firm=self.firm, after=after, limit=size)
        project_of_link = {entry.link_id: entry.link.project_id for entry in page.entries}
        keywords = allowed_keywords_get(firm=self.firm, project_of_link=project_of_link)
        reviewers = feed_reviewers(firm=self.firm, entries=page.entries)
        files = attachments_of_items(firm=self.firm, item_ids=[entry.item_id for entry in page.entries])
        next_cursor = page.entries[-1].position if page.entries else after
        answer = {"entries": page.entries, "next_cursor": next_cursor, "has_more": page.has_more}
        context = {"keywords": keywords, "reviewers": reviewers, "attachments": files, "request": request}
        return Response(FeedPageSerializer(answer, context=context).data)


class FeedAcknowledgeView(FirmAPIView):
    serializer_class = AcknowledgeSerializer
    pagination_class = None

    @extend_schema(
        operation_id="feed_entry_acknowledge",
        summary="Acknowledge a feed entry with Project Center's item id",
        description=(
            "Records that Project Center logged the entry's item under its own item id. Sending it again is "
            "harmless: the first acknowledgement time is kept."
        ),
        parameters=[POSITION_PARAMETER],
        request=AcknowledgeSerializer,
        responses={200: AcknowledgementSerializer, **error_responses(400, 404)},
        examples=[
            OpenApiExample("Logged as SUB-0042", value={"pc_item_id": "SUB-0042"}, request_only=True),
            OpenApiExample("Acknowledged", value=ACK_EXAMPLE, response_only=True),
        ],
        tags=["feed"],
    )
    def post(self, request: Request, position: int) -> Response:
        serializer = AcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            entry = feed_entry_acknowledge(
                firm=self.firm,
                position=position,
                pc_item_id=serializer.validated_data["pc_item_id"],
                now=timezone.now(),
            )
        except FeedEntry.DoesNotExist as exc:
            raise NotFound() from exc
        return Response(AcknowledgementSerializer(entry).data)
