"""The `content` object of a feed item: what a reviewer reads beyond the envelope, in provider-independent names.

Rendered from the JSON the sync stored (providers.types.ItemContent.as_json), as it was at the feed entry's change.
Each field's description says which provider fills it; a provider without the field gives null or empty. Files are
not here (they are the item's attachments).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from connector_portal.api.serializers import OutputSerializer
from providers.types import EMPTY_CONTENT

ALL = "Procore, Autodesk and ConstructEx."
AUTODESK_IDS = "Autodesk gives people as ids only: there `name` and `company` are empty."


class ContentPersonSerializer(OutputSerializer):
    id = serializers.CharField(allow_blank=True, help_text="The provider's id of the person.")
    name = serializers.CharField(allow_blank=True, help_text=f"Empty for Autodesk. {AUTODESK_IDS}")
    company = serializers.CharField(allow_blank=True, help_text="The company the person works for, when given.")


class SpecSectionSerializer(OutputSerializer):
    number = serializers.CharField(allow_blank=True, help_text="e.g. `05 12 00`.")
    title = serializers.CharField(allow_blank=True, help_text="e.g. `Structural Steel Framing`; empty for Autodesk.")


class RfiAnswerSerializer(OutputSerializer):
    text = serializers.CharField(allow_blank=True, help_text="The answer in plain text.")
    rich_text = serializers.CharField(
        allow_blank=True, help_text="The answer as rich text (HTML) where the provider gives it (Procore), else empty."
    )
    author = ContentPersonSerializer(help_text=f"Who answered. {AUTODESK_IDS}")
    date = serializers.DateTimeField(allow_null=True, help_text="When it was answered.")
    official = serializers.BooleanField(
        help_text="Whether it is an official answer (the RFI's response) rather than a comment in the thread."
    )


class SubmittalReviewerSerializer(OutputSerializer):
    person = ContentPersonSerializer(
        help_text="The reviewer (Procore approver, ConstructEx reviewer, Autodesk review task's assignee: a user's, "
        f"role's or company's id). {AUTODESK_IDS}"
    )
    step = serializers.IntegerField(
        allow_null=True, help_text="The workflow step the reviewer belongs to (1 first); null when not given."
    )
    response = serializers.CharField(
        allow_blank=True, help_text="The reviewer's response as the provider names it; empty while pending."
    )
    comment = serializers.CharField(allow_blank=True)
    returned_date = serializers.DateField(allow_null=True, help_text="When the reviewer returned it.")


class ImpactSerializer(OutputSerializer):
    status = serializers.CharField(
        allow_blank=True,
        help_text="The provider's word for the impact, e.g. Procore's `yes_known`, `no_impact`, `tbd`.",
    )
    value = serializers.FloatField(
        allow_null=True, help_text="The amount when given: money for cost, days for schedule."
    )


class ItemDatesSerializer(OutputSerializer):
    created = serializers.DateField(allow_null=True, help_text=ALL)
    received = serializers.DateField(
        allow_null=True, help_text="When the submittal was received from the subcontractor: Procore, Autodesk."
    )
    issued = serializers.DateField(
        allow_null=True, help_text="Procore's issue date (RFIs: initiated), Autodesk's published date, ConstructEx."
    )
    sent_to_reviewer = serializers.DateField(
        allow_null=True,
        help_text="When it was sent to the receiving user for review: Procore (their approver's sent date), "
        "Autodesk submittals, ConstructEx.",
    )
    due = serializers.DateField(allow_null=True, help_text=ALL)
    returned = serializers.DateField(
        allow_null=True,
        help_text="When the review went back: the latest reviewer's returned date (submittals) or official answer "
        f"(RFIs). {ALL}",
    )


class ItemContentSerializer(OutputSerializer):
    description = serializers.CharField(
        allow_blank=True, help_text="Plain text. Submittals: Procore, Autodesk, ConstructEx; RFIs: ConstructEx."
    )
    question = serializers.CharField(allow_blank=True, help_text=f"RFIs: the question in plain text. {ALL}")
    question_rich_text = serializers.CharField(
        allow_blank=True,
        help_text="RFIs: the question as rich text (HTML) where the provider gives it: Procore, ConstructEx.",
    )
    answers = RfiAnswerSerializer(
        many=True,
        help_text="RFIs: the thread of answers, oldest first: Procore, ConstructEx; Autodesk ACC: the thread (from "
        "the search, or from the RFI's detail once it changes after the first sync), BIM 360: its official response.",
    )
    spec_section = SpecSectionSerializer(
        allow_null=True, help_text="Specification section: Procore, Autodesk submittals (number only), ConstructEx."
    )
    submittal_type = serializers.CharField(
        allow_blank=True, help_text="Submittals: e.g. `Shop Drawing`, `Product Data`: Procore, ConstructEx."
    )
    received_from = ContentPersonSerializer(
        allow_null=True,
        help_text="Who sent it (submittals: the subcontractor's person; RFIs: the person asking). "
        f"{ALL} {AUTODESK_IDS}",
    )
    manager = ContentPersonSerializer(
        allow_null=True, help_text=f"The submittal manager or RFI manager. {ALL} {AUTODESK_IDS}"
    )
    responsible_contractor = serializers.CharField(
        allow_blank=True, help_text="The responsible contractor's company name: Procore, ConstructEx."
    )
    reviewers = SubmittalReviewerSerializer(
        many=True,
        help_text="Submittals: every reviewer (approver) with workflow step, response, comment and returned date: "
        f"{ALL} Autodesk's come from each submittal's review steps, in step order.",
    )
    dates = ItemDatesSerializer()
    cost_impact = ImpactSerializer(allow_null=True, help_text="RFIs: Procore, Autodesk, ConstructEx, where given.")
    schedule_impact = ImpactSerializer(
        allow_null=True, help_text="RFIs: Procore, Autodesk, ConstructEx, where given (days)."
    )


def content_of(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The content of a feed entry's snapshot, filled out with every field (an entry written before content was kept
    has none: it reads as empty, never as missing keys)."""
    stored = snapshot.get("content") or {}
    return {**EMPTY, **stored, "dates": {**EMPTY["dates"], **(stored.get("dates") or {})}}


EMPTY: dict[str, Any] = EMPTY_CONTENT.as_json()
