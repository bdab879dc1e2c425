"""Schemathesis drives the committed schema against the app in-process (WSGI): no 500, no answer off the schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import positive_data_acceptance

from connector_portal.models import Firm, ProjectCenterProject
from connector_portal.services import service_token_create
from tests.api.factories import linked_add

schema = schemathesis.openapi.from_path(Path(settings.BASE_DIR) / "openapi" / "schema.yaml")
schema.app = get_wsgi_application()
# Bounded and repeatable: a few seconds per operation, the same cases on every run.
# NUL bytes too: the schema says where they are refused (PostgreSQL cannot store them), so they are generated as well.
schema.config.generation.update(max_examples=25, deterministic=True, database="none", allow_x00=True)
# A well-formed body can still be refused for its content (422, documented): a keyword not mapped for the connection,
# a mapping that names a response the provider does not offer. Schemas cannot say which values exist.
acceptance = schema.config.checks.positive_data_acceptance
acceptance.expected_statuses = [*acceptance.expected_statuses, "422"]


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    """Like Django's test client: the real WSGI handler would close the connection (and the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(keep_the_test_connection: None, db: None, settings: object) -> dict[str, str]:
    """A token of a firm that has a project and a connected one (with an item, a feed entry, a run and a response), so
    that reads and writes of existing rows are exercised too."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "100000/minute"}}  # type: ignore[attr-defined]
    firm = Firm.objects.create(name="Fuzz Architects", slug="fuzz")
    ProjectCenterProject.objects.create(firm=firm, pc_project_id="PC-1", name="Existing project")
    linked_add(firm, "PC-2024-017")  # the id of the schema's examples, which schemathesis tries first
    return {"Authorization": f"Bearer {service_token_create(firm=firm)[1]}"}


@schema.parametrize()
@hypothesis_settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_the_api_conforms_to_its_schema(case: schemathesis.Case, bearer: dict[str, str]) -> None:
    excluded: list[CheckFunction] = []
    if case.query and "cursor" in case.query:
        # A cursor is opaque: any string fits the schema, but only the ones the API handed out are valid (400 else).
        excluded.append(positive_data_acceptance)
    case.call_and_validate(headers=bearer, excluded_checks=excluded)
