"""Checks Autodesk requests against Autodesk's published descriptions (../shared/reference/autodesk/): the ACC / BIM 360
RFI and Submittal operations of construction.json, and APS's OpenAPI files authentication.yaml, datamanagement.yaml and
webhooks.yaml.

What a request must be:
- a documented operation (method + path template, the most specific wins), or one of the few in `UNDESCRIBED`: calls
  the portal makes rightly that these files do not describe, each with the APS page that documents it;
- every query parameter documented, the required ones present, each value valid (type, enum, pattern, minimum and
  maximum; construction.json's `min`/`max`, and the OpenAPI files' limits, which APS writes in the parameter's
  description as "The min value is N. The max value is M.");
- every body key documented at every depth described (construction.json's `props`, the OpenAPI schemas), the required
  ones present, each value valid; `scope` values are space-separated lists, each scope one of the documented ones;
- no non-standard header that the operation does not document;
- the RFI and Submittal APIs take ids without Data Management's `b.` prefix (PROVIDERS.md).
Names construction.json marks `unconfirmed` are listed, so they pass. Body keys construction.json lists without
describing them are described from their APS pages where the portal sends them (`DESCRIBED_KEYS`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.providers import reference_values as values
from tests.providers.procore_reference import STANDARD_HEADERS, body_of, query_of
from tests.reference import reference_or_none, reference_path

FOLDER = ("autodesk",)
CONSTRUCTION = "construction.json"
OPENAPI_FILES = ("authentication.yaml", "datamanagement.yaml", "webhooks.yaml")
_LIMIT = re.compile(r"The (min|max) value is (\d+)")


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    source: str  # the reference file (or, for UNDESCRIBED, the APS page)
    query: dict[str, values.Schema] = field(default_factory=dict)
    required_query: frozenset[str] = frozenset()
    headers: dict[str, values.Schema] = field(default_factory=dict)
    # By content kind ("json", "form"); None: the operation takes no body.
    bodies: dict[str, values.Schema] | None = None
    path_without_b: bool = False  # the RFI and Submittal APIs: ids without `b.`

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+?)", re.escape(self.path)) + "$")

    @property
    def where(self) -> str:
        return f"{self.name} ({self.source})"


# Operations the portal calls rightly that the reference files do not describe. Each names the APS reference page that
# documents it and lists only what that page documents and the portal sends. Keep this short: an entry is a gap in
# ../shared/reference, to be closed there.
UNDESCRIBED = (
    # The receiving user's roles and company in a project, to tell whether a submittal's ball in court (a role or a
    # company) or a review task is theirs (providers/autodesk/client.py, reviewer_groups). construction.json describes
    # no Account Admin operation. The page documents the path parameters, the optional `Region` header (US, EMEA, AUS,
    # ...; the Account Admin API does not route by region itself) and a `fields` query parameter, which is not sent.
    Operation(
        name="acc-admin-project-user",
        method="GET",
        path="/construction/admin/v1/projects/{projectId}/users/{userId}",
        source="https://aps.autodesk.com/en/docs/acc/v1/reference/http/admin-projectsprojectId-users-userId-GET/",
        query={"fields": {}},
        headers={"Region": {"type": "string"}},
        path_without_b=True,
    ),
    # A response's files (providers/autodesk/uploads.py). OSS's signed S3 upload: open a session (GET), PUT the bytes
    # to its URL (S3 itself, not checked here), complete it (POST); and files in: a signed URL to an object's bytes.
    # The OSS pages document these parameters; the portal sends `minutesExpiration` and, completing, uploadKey and size.
    Operation(
        name="oss-signeds3upload-GET",
        method="GET",
        path="/oss/v2/buckets/{bucketKey}/objects/{objectKey}/signeds3upload",
        source="https://aps.autodesk.com/en/docs/data/v2/reference/http/buckets-:bucketKey-objects-:objectKey-signeds3upload-GET/",
        query={
            "parts": {"type": "integer", "minimum": 1, "maximum": 25},
            "firstPart": {"type": "integer", "minimum": 1},
            "uploadKey": {"type": "string"},
            "minutesExpiration": {"type": "integer", "minimum": 1, "maximum": 60},
            "useAcceleration": {"type": "boolean"},
        },
    ),
    Operation(
        name="oss-signeds3upload-POST",
        method="POST",
        path="/oss/v2/buckets/{bucketKey}/objects/{objectKey}/signeds3upload",
        source="https://aps.autodesk.com/en/docs/data/v2/reference/http/buckets-:bucketKey-objects-:objectKey-signeds3upload-POST/",
        bodies={
            "json": {
                "type": "object",
                "properties": {"uploadKey": {"type": "string"}, "size": {"type": "integer"}, "eTags": {}},
                "required": ["uploadKey"],
            }
        },
    ),
    Operation(
        name="oss-signeds3download-GET",
        method="GET",
        path="/oss/v2/buckets/{bucketKey}/objects/{objectKey}/signeds3download",
        source="https://aps.autodesk.com/en/docs/data/v2/reference/http/buckets-:bucketKey-objects-:objectKey-signeds3download-GET/",
        query={"minutesExpiration": {"type": "integer", "minimum": 1, "maximum": 60}, "useCdn": {"type": "boolean"}},
    ),
    # ACC submittal attachments, the documented way to put files on a review (the task close carries none): a draft
    # attachment on the reviewer's task, filled through OSS, confirmed by the PATCH. construction.json describes none of
    # the three. The POST page documents `name` and `urnTypeId` as required (`urnTypeId`: "Possible values: 2", which
    # the tutorial "Attach Local Files to Submittals", https://aps.autodesk.com/en/docs/acc/v1/tutorials/submittals/
    # attach-local-files, sends as the string "2" for a local file) and `taskId` (required in the review state), and
    # the answer's `uploadUrn` (the OSS object); its `isFileUploaded`, `urn` (Files tool only) and `categoryId` are not
    # sent.
    Operation(
        name="acc-submittals-v2-attachments-GET",
        method="GET",
        path="/construction/submittals/v2/projects/{projectId}/items/{itemId}/attachments",
        source="https://aps.autodesk.com/en/docs/acc/v1/reference/http/submittals-items-itemId-attachments-GET",
        query={
            "limit": {"type": "integer", "minimum": 1, "maximum": 50},
            "offset": {"type": "integer", "minimum": 0},
            "sort": {},
            "filter[categoryId]": {},
            "filter[revision]": {},
            "filter[isFileUploaded]": {},
        },
        path_without_b=True,
    ),
    Operation(
        name="acc-submittals-v2-attachments-POST",
        method="POST",
        path="/construction/submittals/v2/projects/{projectId}/items/{itemId}/attachments",
        source="https://aps.autodesk.com/en/docs/acc/reference/http/submittals-attachments-POST/",
        bodies={
            "json": {
                "type": "object",
                "properties": {
                    # "The following characters are not supported: /, \n, \r, \t, \0, \f, ?, *, \\, <, >, |, :"
                    "name": {"type": "string", "pattern": "^[^/\\n\\r\\t\\x00\\f?*\\\\<>|:]+$"},
                    "urnTypeId": {"type": "string", "enum": ["2"]},
                    "taskId": {"type": "string"},
                },
                "required": ["name", "urnTypeId"],
            }
        },
        path_without_b=True,
    ),
    Operation(
        name="acc-submittals-v2-attachments-PATCH",
        method="PATCH",
        path="/construction/submittals/v2/projects/{projectId}/items/{itemId}/attachments/{attachmentId}",
        source="https://aps.autodesk.com/en/docs/acc/reference/http/submittals-attachments-attachmentId-PATCH/",
        bodies={
            "json": {
                "type": "object",
                "properties": {"isFileUploaded": {"type": "boolean"}},
                "required": ["isFileUploaded"],
            }
        },
        path_without_b=True,
    ),
)


# Body keys of construction.json operations that it documents without describing, as the APS pages describe them.
# Each names its page; keep these to what the page documents and the portal sends.
DESCRIBED_KEYS: dict[str, dict[str, tuple[str, values.Schema]]] = {
    "acc-rfis-v3-response-create": {
        # APS tutorial "Submit an RFI Response": "Each object must include: attachmentType - Set to rfiResponse.
        # displayName ... fileName - The actual OSS file name (same as objectKey). storageUrn - The URN of the
        # uploaded file."
        "attachments": (
            "https://aps.autodesk.com/en/docs/acc/v1/tutorials/rfis3/rfi-response",
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "attachmentType": {"type": "string", "enum": ["rfiResponse"]},
                        "displayName": {"type": "string"},
                        "fileName": {"type": "string"},
                        "storageUrn": {"type": "string", "pattern": "^urn:adsk\\.objects:os\\.object:[^/]+/.+$"},
                    },
                    "required": ["attachmentType", "displayName", "fileName", "storageUrn"],
                },
            },
        ),
    },
    "acc-submittals-v2-task-close": {
        # submittals-tasks-taskIdclose-POST: "saveAttachmentDrafts array: string — Not relevant"; duplicateAttachments
        # array: string (attachment ids).
        "saveAttachmentDrafts": (
            "https://aps.autodesk.com/en/docs/acc/reference/http/submittals-tasks-taskIdclose-POST/",
            {"type": "array", "items": {"type": "string"}},
        ),
        "duplicateAttachments": (
            "https://aps.autodesk.com/en/docs/acc/reference/http/submittals-tasks-taskIdclose-POST/",
            {"type": "array", "items": {"type": "string"}},
        ),
    },
}


def reference_available() -> bool:
    return reference_or_none(*FOLDER, CONSTRUCTION) is not None


# -- construction.json ---------------------------------------------------------------------------------------------


def _short(spec: dict[str, Any]) -> values.Schema:
    """construction.json's compact description of one value (min, max, enum, pattern, props) as a schema."""
    schema: values.Schema = {}
    if "min" in spec or "max" in spec:
        schema["type"] = "integer"
    if "min" in spec:
        schema["minimum"] = spec["min"]
    if "max" in spec:
        schema["maximum"] = spec["max"]
    for key in ("enum", "pattern"):
        if key in spec:
            schema[key] = spec[key]
    if "props" in spec:
        schema["type"] = "object"
        schema["properties"] = {name: _short(inner) for name, inner in spec["props"].items()}
    return schema


def _construction(spec: dict[str, Any]) -> Operation:
    bodies = None
    if "body" in spec:
        described = DESCRIBED_KEYS.get(spec["id"], {})
        properties = {name: _short(inner) for name, inner in spec["body"].items()}
        properties |= {name: schema for name, (_page, schema) in described.items() if name in properties}
        schema = {"type": "object", "properties": properties, "required": spec.get("required", [])}
        bodies = {"json": schema}
    return Operation(
        name=spec["id"],
        method=spec["method"].upper(),
        path=spec["path"],
        source=f"autodesk/{CONSTRUCTION}, {spec['source']}",
        query={name: _short(inner) for name, inner in spec.get("query", {}).items()},
        bodies=bodies,
        path_without_b=True,
    )


# -- the OpenAPI files ---------------------------------------------------------------------------------------------


def _resolver(document: dict[str, Any]) -> Any:
    def resolve(node: Any, seen: frozenset[str] = frozenset()) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                ref = str(node["$ref"])
                if ref in seen:
                    return {}
                target: Any = document
                for part in ref.removeprefix("#/").split("/"):
                    target = target[part]
                return {**resolve(target, seen | {ref}), **{k: v for k, v in node.items() if k != "$ref"}}
            if "allOf" in node:
                merged: dict[str, Any] = {"properties": {}, "required": []}
                for part in node["allOf"]:
                    part = resolve(part, seen)
                    merged["properties"].update(part.get("properties", {}))
                    merged["required"] += part.get("required", [])
                    merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
                return merged
            if "oneOf" in node or "anyOf" in node:
                return {}  # alternatives: documented, not described key by key here
            return {key: resolve(value, seen) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value, seen) for value in node]
        return node

    return resolve


def _parameter_schema(parameter: dict[str, Any]) -> values.Schema:
    schema = dict(parameter.get("schema") or {})
    for bound, number in _LIMIT.findall(str(parameter.get("description", ""))):
        schema["minimum" if bound == "min" else "maximum"] = int(number)
    return schema


def _openapi(filename: str, document: dict[str, Any]) -> list[Operation]:
    resolve = _resolver(document)
    found = []
    for path, item in document.get("paths", {}).items():
        shared = resolve(item.get("parameters", []))
        for method, spec in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            spec = resolve(spec)
            parameters = {(p["in"], p["name"]): p for p in [*shared, *spec.get("parameters", [])]}
            query = {name: _parameter_schema(p) for (where, name), p in parameters.items() if where == "query"}
            bodies: dict[str, values.Schema] | None = None
            if "requestBody" in spec:
                bodies = {}
                for content_type, content in (spec["requestBody"].get("content") or {}).items():
                    kind = "form" if "form" in content_type else "json"
                    bodies.setdefault(kind, content.get("schema") or {})
            found.append(
                Operation(
                    name=str(spec.get("operationId") or f"{method.upper()} {path}"),
                    method=method.upper(),
                    path=path,
                    source=f"autodesk/{filename}",
                    query=query,
                    required_query=frozenset(
                        name for (where, name), p in parameters.items() if where == "query" and p.get("required")
                    ),
                    headers={n: _parameter_schema(p) for (where, n), p in parameters.items() if where == "header"},
                    bodies=bodies,
                )
            )
    return found


@cache
def operations() -> tuple[Operation, ...]:
    folder = reference_path(*FOLDER)
    found = [_construction(spec) for spec in json.loads((folder / CONSTRUCTION).read_text())["operations"]]
    for filename in OPENAPI_FILES:
        if (folder / filename).is_file():
            found += _openapi(filename, yaml.safe_load((folder / filename).read_text()))
    return (*found, *UNDESCRIBED)


def match(method: str, path: str) -> Operation | None:
    candidates = [op for op in operations() if op.method == method and op.pattern.match(path)]
    # The most specific template: the most literal characters.
    return max(candidates, key=lambda o: len(re.sub(r"\{[^}]+\}", "", o.path))) if candidates else None


def _scopes(texts: list[str], schema: values.Schema, name: str) -> list[str]:
    """`scope` is a space-separated list of scopes, each one of the documented values."""
    return values.check_texts([scope for text in texts for scope in text.split()], schema, name)


def problems_at(method: str, path: str, query_text: str, headers: dict[str, str], raw_body: Any) -> list[str]:
    """What is undocumented, missing or invalid about one Autodesk request, its path below the base URL."""
    op = match(method, path)
    if op is None:
        return [f"{method} {path} is not a documented Autodesk operation (autodesk/{CONSTRUCTION}, *.yaml)"]
    found: list[str] = []
    query = query_of(query_text)
    found += [f"{op.where}: undocumented query parameter {key!r}" for key in sorted(set(query) - set(op.query))]
    found += [f"{op.where}: required query parameter {key!r} missing" for key in sorted(op.required_query - set(query))]
    for key in sorted(set(query) & set(op.query)):
        check = _scopes if key == "scope" else values.check_texts
        found += [f"{op.where}: {p}" for p in check(query[key], op.query[key], f"query {key!r}")]
    documented_headers = {name.lower(): schema for name, schema in op.headers.items()}
    for key, value in sorted(headers.items()):
        if key.lower() in STANDARD_HEADERS:
            continue
        if key.lower() not in documented_headers:
            found.append(f"{op.where}: undocumented header {key!r}")
        else:
            found += [f"{op.where}: {p}" for p in values.check_texts([value], documented_headers[key.lower()], key)]
    if op.path_without_b:
        matched = op.pattern.match(path)
        ids = matched.groups() if matched else ()
        found += [f"{op.where}: path id {i!r} keeps Data Management's 'b.' prefix" for i in ids if i.startswith("b.")]
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    body, form = body_of(raw_body, content_type)
    if op.bodies is None:
        if body or form:
            found.append(f"{op.where}: takes no body, got {sorted(body or form or {})}")
        return found
    kind = "form" if form is not None else "json"
    schema = op.bodies.get(kind)
    if schema is None:
        return [*found, f"{op.where}: a {kind} body is not documented (documented: {sorted(op.bodies)})"]
    if form is not None:
        properties: dict[str, values.Schema] = schema.get("properties") or {}
        found += [f"{op.where}: undocumented body key {key!r}" for key in sorted(set(form) - set(properties))]
        found += [
            f"{op.where}: required body key {key!r} missing" for key in schema.get("required", []) if key not in form
        ]
        for key in sorted(set(form) & set(properties)):
            check = _scopes if key == "scope" else values.check_texts
            found += [f"{op.where}: {p}" for p in check(form[key], properties[key], f"body key {key!r}")]
    elif body is not None:
        found += [f"{op.where}: {p}" for p in values.check_object(body, schema, "")]
    elif schema.get("required"):
        found += [f"{op.where}: required body key {key!r} missing" for key in schema["required"]]
    return found


def problems_of(method: str, url: str, headers: dict[str, str], raw_body: Any, *, base: str) -> list[str]:
    parts = urlsplit(url)
    path = f"{parts.scheme}://{parts.netloc}{parts.path}".removeprefix(base)
    return problems_at(method, path, parts.query, headers, raw_body)
