"""The emulated Autodesk Data Management hubs and projects under /autodesk (JSON:API, `page[number]` from 0,
`page[limit]` up to 200, `links.next`), plus the ACC RFI and Submittal routes from `acc.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from . import acc
from .autodesk_api import PROJECTS_LIMIT_MAX, Caller, api, hub_for, page_limit
from .items import orgs_of_user, visible_projects
from .web import Request, Response, int_param, json_response

if TYPE_CHECKING:
    from .server import SandboxApp

P = "/autodesk/project/v1"
HUB_TYPES = {"acc": "hubs:autodesk.bim360:Account", "bim360": "hubs:autodesk.bim360:Account"}


def _hub_json(base: str, hub: Any) -> dict[str, Any]:
    hub_id = f"b.{hub['uid']}"
    return {
        "type": "hubs",
        "id": hub_id,
        "attributes": {
            "name": hub["name"],
            "extension": {"type": HUB_TYPES[hub["kind"]], "version": "1.0", "schema": {"href": ""}, "data": {}},
            "region": hub["region"],  # US, EMEA, ...: where the hub's projects live (their web host follows)
        },
        "links": {"self": {"href": f"{base}{P}/hubs/{hub_id}"}},
        "relationships": {"projects": {"links": {"related": {"href": f"{base}{P}/hubs/{hub_id}/projects"}}}},
    }


def _project_json(base: str, hub: Any, project: Any) -> dict[str, Any]:
    hub_id, project_id = f"b.{hub['uid']}", f"b.{project['uid']}"
    kind = "ACC" if hub["kind"] == "acc" else "BIM360"
    return {
        "type": "projects",
        "id": project_id,
        "attributes": {
            "name": project["name"],
            "scopes": ["global"],
            "extension": {
                "type": "projects:autodesk.bim360:Project",
                "version": "1.0",
                "schema": {"href": ""},
                "data": {"projectType": kind},
            },
        },
        "links": {"self": {"href": f"{base}{P}/hubs/{hub_id}/projects/{project_id}"}},
        "relationships": {
            "hub": {"data": {"type": "hubs", "id": hub_id}},
            # BIM 360's RFI API takes this container id, not the project's.
            "rfis": {"data": {"type": "rfisContainerId", "id": acc.rfi_container_of(project)}},
            "submittals": {"data": {"type": "submittalContainerId", "id": project["uid"]}},
        },
    }


@api
def hubs(app: SandboxApp, request: Request, caller: Caller) -> Response:
    # A hub whose account admin has not added the app under Custom Integrations is absent from the list (a 200), not
    # refused: the app cannot tell it from a hub the user is not in.
    rows = [h for h in orgs_of_user(app, provider="autodesk", user_id=caller.user_id) if not h["blocked"]]
    return json_response(
        {
            "jsonapi": {"version": "1.0"},
            "links": {"self": {"href": f"{request.base_url}{P}/hubs"}},
            "data": [_hub_json(request.base_url, h) for h in rows],
        }
    )


@api
def hub_detail(app: SandboxApp, request: Request, caller: Caller) -> Response:
    hub = hub_for(app, caller, request.params["hub_id"])
    return json_response({"jsonapi": {"version": "1.0"}, "data": _hub_json(request.base_url, hub)})


@api
def projects(app: SandboxApp, request: Request, caller: Caller) -> Response:
    hub = hub_for(app, caller, request.params["hub_id"])
    rows = visible_projects(app, provider="autodesk", user_id=caller.user_id, org_id=hub["id"])
    number = int_param(request.query.get("page[number]"), 0)
    limit = page_limit(request.query.get("page[limit]"), 200, maximum=PROJECTS_LIMIT_MAX, name="page[limit]")
    chunk = rows[number * limit : (number + 1) * limit]

    def href(page: int) -> dict[str, str]:
        query = {**request.query, "page[number]": str(page), "page[limit]": str(limit)}
        return {"href": f"{request.base_url}{request.path}?{urlencode(query)}"}

    links = {"self": href(number), "first": href(0)}
    if number > 0:
        links["prev"] = href(number - 1)
    if (number + 1) * limit < len(rows):
        links["next"] = href(number + 1)
    data = [_project_json(request.base_url, hub, p) for p in chunk]
    return json_response({"jsonapi": {"version": "1.0"}, "links": links, "data": data})


@api
def project_detail(app: SandboxApp, request: Request, caller: Caller) -> Response:
    hub = hub_for(app, caller, request.params["hub_id"])
    wanted = request.params["project_id"][2:]
    rows = visible_projects(app, provider="autodesk", user_id=caller.user_id, org_id=hub["id"])
    project = next((p for p in rows if p["uid"] == wanted), None)
    if project is None:
        return json_response({"jsonapi": {"version": "1.0"}, "errors": [{"status": "404", "title": "Not found"}]}, 404)
    return json_response({"jsonapi": {"version": "1.0"}, "data": _project_json(request.base_url, hub, project)})


ROUTES = [
    ("GET", f"{P}/hubs", hubs),
    ("GET", f"{P}/hubs/{{hub_id}}", hub_detail),
    ("GET", f"{P}/hubs/{{hub_id}}/projects", projects),
    ("GET", f"{P}/hubs/{{hub_id}}/projects/{{project_id}}", project_detail),
    *acc.ROUTES,
]
