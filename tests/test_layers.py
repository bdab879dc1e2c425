"""Imports run one way through the layers (tests/layers.py holds the table and the checker)."""

from __future__ import annotations

import pytest

from tests.layers import ORDER, SANDBOX, SKIPPED, Breach, check, layer_of, product_sources

# Upward imports that exist today and are being removed. Delete an entry with the change that removes the import:
# the test fails on an entry that no longer matches anything, so this list can only shrink. (path, imported module)
KNOWN_UPWARD: frozenset[tuple[str, str]] = frozenset()

KNOWN_FILES = {
    "projects/models.py",
    "projects/__init__.py",
    "providers/__init__.py",
    "sandbox/__init__.py",
    "sandbox/store.py",
}


def _key(breach: Breach) -> tuple[str, str]:
    return breach.path, breach.imported


def test_no_import_runs_up_a_layer_or_into_the_sandbox() -> None:
    found = check(product_sources())

    new = [str(b) for b in found if _key(b) not in KNOWN_UPWARD]
    stale = sorted(KNOWN_UPWARD - {_key(b) for b in found})

    assert not new, "Imports that run upward (pass what is needed in instead, ARCHITECTURE.md):\n" + "\n".join(new)
    assert not stale, "KNOWN_UPWARD entries that no longer happen; delete them:\n" + "\n".join(map(str, stale))


def test_every_product_file_has_a_layer() -> None:
    for path in product_sources():
        assert layer_of(path) in (*ORDER, SANDBOX, SKIPPED)


def test_it_reports_a_planted_upward_import_in_a_providers_module() -> None:
    planted = {"providers/planted.py": "from projects.models import ProjectLink\n"}

    found = check(planted, known_paths=KNOWN_FILES)

    assert [str(b) for b in found] == [
        "providers/planted.py:1 imports projects.models: providers → projects runs upward"
    ]


def test_it_sees_imports_inside_functions_relative_imports_and_plain_imports() -> None:
    source = "import mappings.models\n\ndef later():\n    from ..projects import models\n    import sandbox.store\n"

    found = check({"providers/planted.py": source}, known_paths=KNOWN_FILES)

    assert [str(b) for b in found] == [
        "providers/planted.py:1 imports mappings.models: providers → mappings runs upward",
        "providers/planted.py:4 imports projects.models: providers → projects runs upward",
        "providers/planted.py:5 imports sandbox.store: the product never imports the sandbox",
    ]


def test_it_reports_a_relation_to_a_higher_app_given_as_a_string() -> None:
    source = 'from django.db import models\nproject = models.ForeignKey("projects.ProjectCenterProject")\n'

    found = check({"providers/models.py": source}, known_paths=KNOWN_FILES)

    assert [str(b) for b in found] == [
        "providers/models.py:2 imports projects.ProjectCenterProject: providers → projects runs upward"
    ]


def test_it_accepts_imports_downward_and_within_a_layer() -> None:
    sources = {
        "projects/services/planted.py": "from providers.models import ProviderAccount\nfrom projects import models\n",
        "projects/connect/views.py": "from mappings.forms import MappingForm\nfrom connector_portal.views import x\n",
    }

    assert check(sources, known_paths=KNOWN_FILES) == []


@pytest.mark.parametrize(
    ("path", "layer"),
    [
        ("connector_portal/api/base.py", "core"),
        ("connector_portal/api/feed.py", "pages and endpoints"),
        ("providers/views.py", "pages and endpoints"),
        ("providers/connect.py", "providers"),
        ("projects/management/commands/seed_demo.py", "projects"),
        ("sandbox/server.py", "sandbox"),
    ],
)
def test_the_table_places_modules_by_their_role(path: str, layer: str) -> None:
    assert layer_of(path) == layer
