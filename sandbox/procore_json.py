"""How Procore writes its objects (field names from `/work/shared/reference/procore/endpoints/*.json`)."""

from __future__ import annotations

import html
import sqlite3
import zlib
from collections.abc import Mapping
from typing import Any

from .items import ball_in_court_ids

Row = sqlite3.Row

SUBMITTAL_STATUSES = {"draft": (1, "Draft"), "open": (2, "Open"), "closed": (3, "Closed")}
STATUS_BY_ID = {number: key for key, (number, _name) in SUBMITTAL_STATUSES.items()}


def user_ref(user: Row | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user["id"], "name": user["name"], "login": user["login"]}


def _ref(user: Row | None) -> dict[str, Any] | None:
    return {"id": user["id"], "name": user["name"]} if user is not None else None


def sender(item: Row, users: dict[int, Row]) -> Row | None:
    """Who the item was received from: its sender when the GC named one, else its manager."""
    return users.get(item["received_from_id"] or item["manager_id"])


def contractor_json(item: Row) -> dict[str, Any] | None:
    """The responsible contractor (a vendor of the project's directory; the sandbox knows it by name only)."""
    name = item["contractor"]
    return {"id": zlib.crc32(name.encode()) % 100000, "name": name} if name else None


def spec_json(item: Row) -> dict[str, Any] | None:
    if not item["spec_number"]:
        return None
    return {
        "id": zlib.crc32(item["spec_number"].encode()) % 100000,
        "number": item["spec_number"],
        "description": item["spec_title"],
        "label": f"{item['spec_number']} - {item['spec_title']}",
        "current_revision_id": None,
    }


def impact_json(status: str, value: float | None) -> dict[str, Any] | None:
    """An RFI's cost or schedule impact as Procore writes it: `{status, value}` (yes_known, yes_unknown, no_impact,
    tbd, n_a)."""
    return {"status": status, "value": value} if status else None


def company_json(org: Row) -> dict[str, Any]:
    return {
        "id": org["id"],
        "name": org["name"],
        "is_active": True,
        "logo_url": None,
        "pcn_business_experience": False,
        "my_company": False,
    }


def project_json(project: Row, company: Row) -> dict[str, Any]:
    return {
        "id": project["id"],
        "name": project["name"],
        "display_name": f"{project['number']} - {project['name']}",
        "project_number": project["number"],
        "active": True,
        "is_demo": False,
        "stage": "Course of Construction",
        "time_zone": "Eastern Time (US & Canada)",
        "created_at": project["created_at"],
        "updated_at": project["updated_at"],
        "company": {"id": company["id"], "name": company["name"]},
    }


def _response_ref(response: Row | None, pending: Row | None) -> dict[str, Any] | None:
    chosen = response or pending
    if chosen is None:
        return None
    return {"id": chosen["id"], "name": chosen["name"], "considered": chosen["considered"]}


def approver_json(approver: Row, responses: dict[int, Row], pending: Row | None) -> dict[str, Any]:
    return {
        "id": approver["id"],
        "approver_type": "Approver",
        "associated_attachments": [],
        "comment": approver["comment"] or None,
        "due_date": None,
        "response_required": bool(approver["response_required"]),
        "response": _response_ref(responses.get(approver["response_id"]), pending),
        "returned_date": approver["returned_date"],
        "sent_date": approver["sent_date"],
        "days_to_respond": 10,
        "user": {"id": approver["user_id"], "name": approver["user_name"], "login": approver["user_login"]},
        "variance": None,
        "workflow_group_number": approver["workflow_group_number"],
    }


def submittal_json(item: Row, approvers: list[Row], responses: dict[int, Row], users: dict[int, Row]) -> dict[str, Any]:
    number, name = SUBMITTAL_STATUSES[item["status"]]
    pending = next((r for r in responses.values() if r["considered"] == "pending"), None)
    manager = user_ref(users.get(item["manager_id"]))
    revision = str(item["revision"])
    return {
        "id": item["id"],
        "number": item["number"],
        "formatted_number": item["number"] if item["revision"] == 0 else f"{item['number']}-{revision}",
        "revision": revision,
        "title": item["title"],
        "description": item["description"],
        "current_revision": bool(item["current_revision"]),
        "private": False,
        "status": {"id": number, "name": name, "status": name},
        "type": {
            "id": zlib.crc32(item["submittal_type"].encode()) % 1000,
            "name": item["submittal_type"],
            "translated_name": item["submittal_type"],
        },
        "specification_section": spec_json(item),
        "due_date": item["due_date"],
        "received_date": item["created_at"][:10],
        "issue_date": item["created_at"][:10],
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "closed_at": item["closed_at"],
        "created_by": manager and {"id": manager["id"], "name": manager["name"]},
        "submittal_manager": manager and {"id": manager["id"], "name": manager["name"]},
        "received_from": _ref(sender(item, users)),
        "responsible_contractor": contractor_json(item),
        "ball_in_court": [_ball(users.get(uid)) for uid in ball_in_court_ids(item, approvers)],
        "approvers": [approver_json(a, responses, pending) for a in approvers],
        "distribution_members": [],
        "drawing_ids": [],
        "linked_drawing_ids": [],
        "associated_attachments": [],
    }


def _ball(user: Row | None) -> dict[str, Any]:
    if user is None:
        return {"id": None, "name": None, "initials": None, "vendor": None}
    initials = "".join(part[0] for part in user["name"].split()[:2])
    return {
        "id": user["id"],
        "name": user["name"],
        "initials": initials,
        "vendor": {"id": 1, "name": user["company_name"]},
    }


def reply_json(post: Row | Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": post["id"],
        "official": bool(post["official"]),
        "answer_date": post["created_at"],
        "plain_text_body": post["body"],
        "rich_text_body": f"<p>{post['body']}</p>",
        "body": post["body"],
        "created_by": post["user_name"],
        "created_by_id": post["created_by"],
        "attachments": [],
    }


def rfi_json(item: Row, posts: list[Row], users: dict[int, Row]) -> dict[str, Any]:
    questions = [p for p in posts if p["kind"] == "question"]
    answers = [reply_json(p) for p in posts if p["kind"] == "answer"]
    question_json = [
        {
            "id": q["id"],
            "body": q["body"],
            "plain_text_body": q["body"],
            "rich_text_body": f"<p>{html.escape(q['body'])}</p>",
            "created_by": {"id": q["created_by"], "name": q["user_name"], "login": q["user_login"]},
            "created_at": q["created_at"],
            "answers": answers if index == 0 else [],
        }
        for index, q in enumerate(questions)
    ]
    assignee = user_ref(users.get(item["assignee_id"]))
    ball = [user_ref(users.get(uid)) for uid in ball_in_court_ids(item, [])]
    return {
        "id": item["id"],
        "number": item["number"],
        "full_number": f"RFI-{item['number']}",
        "subject": item["title"],
        "status": item["status"],
        "due_date": item["due_date"],
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "closed_at": item["closed_at"],
        "private": False,
        "assignee": assignee,
        "assignees": [assignee] if assignee else [],
        "ball_in_court": ball[0] if ball else None,
        "ball_in_courts": ball,
        "rfi_manager": user_ref(users.get(item["manager_id"])),
        "received_from": user_ref(sender(item, users)),
        "responsible_contractor": contractor_json(item),
        "specification_section": spec_json(item),
        "initiated_at": item["created_at"],
        "cost_impact": impact_json(item["cost_impact"], item["cost_value"]),
        "schedule_impact": impact_json(item["schedule_impact"], item["schedule_days"]),
        "created_by": user_ref(users.get(item["manager_id"])),
        "questions": question_json,
    }
