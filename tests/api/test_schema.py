"""The committed OpenAPI schema matches the code, is valid OpenAPI 3, and documents errors and examples everywhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from drf_spectacular.validation import validate_schema

COMMITTED = Path(settings.BASE_DIR) / "openapi" / "schema.yaml"
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--file", str(out), "--fail-on-warn")  # the same command `make schema` runs
    return out.read_text()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_the_committed_schema_matches_the_code(generated: str) -> None:
    assert COMMITTED.read_text() == generated, (
        "openapi/schema.yaml is out of date with the API code. Run `make schema` and commit openapi/schema.yaml."
    )


def test_the_schema_is_valid_openapi_3(generated: str) -> None:
    schema = yaml.safe_load(generated)

    validate_schema(schema)  # raises on an invalid document

    assert schema["openapi"].startswith("3.")


def test_every_operation_documents_its_errors_and_has_an_example(generated: str) -> None:
    schema = yaml.safe_load(generated)
    problems = []
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        for status in ("401", "403", "429"):
            if status not in responses:
                problems.append(f"{where} does not document {status}")
        if "{" in path and "404" not in responses:
            problems.append(f"{where} does not document 404")
        takes_body = method in ("post", "put", "patch") and "requestBody" in operation  # "Sync now" takes none
        if takes_body and "400" not in responses:
            problems.append(f"{where} does not document 400")
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                error = response["content"]["application/json"]
                if error["schema"] != {"$ref": "#/components/schemas/Error"} or not error.get("examples"):
                    problems.append(f"{where} {status} is not the documented error shape with an example")
        documented = [c for r in responses.values() for c in r.get("content", {}).values()]
        documented += list(operation.get("requestBody", {}).get("content", {}).values())
        success = [c for s, r in responses.items() if s.startswith("2") for c in r.get("content", {}).values()]
        if success and not any(c.get("examples") for c in success):
            problems.append(f"{where} has no example of its answer")
        if takes_body and not any(c.get("examples") for c in operation["requestBody"]["content"].values()):
            problems.append(f"{where} has no example request")
        if not operation.get("summary"):
            problems.append(f"{where} has no summary")
    assert not problems, "\n".join(problems)
    assert len(operations(schema)) >= 7


def test_the_schema_and_docs_pages_are_served(db: None) -> None:
    client = Client()

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert "/api/v1/projects/" in schema.content.decode()
    assert docs.status_code == 200
    page = docs.content.decode()
    # The start-up script is a file of its own (no inline script under the Content-Security-Policy), naming the schema.
    assert '<script src="/api/docs/?script="></script>' in page and "<script>" not in page and "<style>" not in page
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript") and "/api/schema/" in script.content.decode()
    assert re.findall(r'(?:src|href)="(https?:)?//', page) == []  # nothing from a CDN: the docs work offline
    bundle = re.search(r'src="(/static/[^"]+swagger-ui-bundle\.js)"', page)
    assert bundle is not None
    assert finders.find(bundle.group(1).removeprefix("/static/")) is not None  # shipped, so collectstatic serves it


def test_the_schema_is_served_whatever_authorization_header_comes_with_it(db: None) -> None:
    client = Client(headers={"Authorization": "Basic bm90OnZhbGlk"})

    assert client.get("/api/schema/").status_code == 200
