"""The fixed vocabulary of mappings: Project Center's keywords and each provider's standard response meanings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from connector_portal.models import Connector

# Project Center's default *Record a Response* keywords, in the order Project Center shows them. A project whose
# Submittal Action list holds its own Record a Response keywords uses those instead (see selectors.response_keywords).
DEFAULT_RESPONSE_KEYWORDS: Final[tuple[str, ...]] = (
    "No Action Taken",
    "Approved",
    "Approved as Noted",
    "No Exceptions",
    "Rejected",
    "Revise and Resubmit",
)

# Keyword types as Project Center names them. Only these two matter to the connector; others are stored as sent.
TYPE_RECEIVE: Final = "Receive"
TYPE_RECORD_A_RESPONSE: Final = "Record a Response"
KNOWN_KEYWORD_TYPES: Final[tuple[str, ...]] = (
    TYPE_RECEIVE,
    TYPE_RECORD_A_RESPONSE,
    "Send",
    "Forward",
    "Review",
    "Close",
)

# Every standard meaning each provider can report for a response (lower case, as ResponseOption.standard carries it).
PROVIDER_STANDARDS: Final[dict[str, tuple[str, ...]]] = {
    Connector.PROCORE: (
        "approved",
        "approved as noted",
        "revise and resubmit",
        "rejected",
        "for record only",
        "forwarded for review",
        "pending",
        "submitted",
        "void",
    ),
    # Autodesk groups its (renamable) submittal responses into three categories: 1, 2 and 3.
    Connector.AUTODESK: ("approved", "revise and resubmit", "rejected"),
    Connector.CONSTRUCTEX: ("approved", "approved as noted", "revise and resubmit", "rejected", "for record only"),
}

# The product's shipped defaults: Project Center keyword -> provider standard meaning. A firm's own default table,
# when it has one, replaces these for that provider.
# Why these choices:
# - "No Exceptions" (taken) means the reviewer found nothing to correct: that is a plain approval everywhere.
# - "No Action Taken" means the submittal was returned without a review verdict (e.g. information only). Procore and
#   ConstructEx have "for record only" for exactly that. Autodesk has only three categories; returning without
#   objection is closest to its approval category, and nothing is sent back for rework, so it maps to "approved".
# - "Approved as Noted" keeps its own meaning where the provider has one; Autodesk has no such category and files
#   "approved with comments" style responses under approval, so it maps to "approved" there (the comment carries
#   the notes).
SHIPPED_DEFAULTS: Final[dict[str, dict[str, str]]] = {
    Connector.PROCORE: {
        "No Action Taken": "for record only",
        "Approved": "approved",
        "Approved as Noted": "approved as noted",
        "No Exceptions": "approved",
        "Rejected": "rejected",
        "Revise and Resubmit": "revise and resubmit",
    },
    Connector.AUTODESK: {
        "No Action Taken": "approved",
        "Approved": "approved",
        "Approved as Noted": "approved",
        "No Exceptions": "approved",
        "Rejected": "rejected",
        "Revise and Resubmit": "revise and resubmit",
    },
    Connector.CONSTRUCTEX: {
        "No Action Taken": "for record only",
        "Approved": "approved",
        "Approved as Noted": "approved as noted",
        "No Exceptions": "approved",
        "Rejected": "rejected",
        "Revise and Resubmit": "revise and resubmit",
    },
}


@dataclass(frozen=True)
class RequiredKeyword:
    """A keyword Project Center needs so that items of one kind can be logged as received."""

    kind: str  # the item kind whose sync it gates: "submittal" or "rfi"
    list_kind: str  # KeywordList.Kind value
    list_label: str
    name: str
    type: str


REQUIRED_KEYWORDS: Final[tuple[RequiredKeyword, ...]] = (
    RequiredKeyword("submittal", "submittal_action", "Submittal Action", "For Review", TYPE_RECEIVE),
    RequiredKeyword("rfi", "rfi_action", "RFI Action", "Request for Information", TYPE_RECEIVE),
)


def normalise(text: str) -> str:
    """How keywords and types compare: Project Center is not case sensitive and people add stray spaces."""
    return " ".join(text.split()).casefold()


def standard_label(standard: str) -> str:
    """A standard meaning as people read it: 'revise and resubmit' -> 'Revise and resubmit'."""
    return standard[:1].upper() + standard[1:]
