"""The portal and the sandbox agree on paths and clients without the portal importing the sandbox."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

from sandbox.constants import SANDBOX_CLIENTS, SANDBOX_PREFIXES

REPO_ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("connector_portal", "providers", "mappings", "projects")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):  # module level and inside functions alike
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_settings_name_the_paths_and_clients_the_sandbox_registers() -> None:
    apps = settings.SANDBOX_PROVIDER_APPS
    assert {key: app["path"] for key, app in apps.items()} == SANDBOX_PREFIXES
    assert {key: (app["client_id"], app["client_secret"]) for key, app in apps.items()} == SANDBOX_CLIENTS


def test_no_product_module_imports_the_sandbox() -> None:
    offenders = [
        f"{path.relative_to(REPO_ROOT)} imports {module}"
        for package in PRODUCT
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        for module in _imported_modules(path)
        if module == "sandbox" or module.startswith("sandbox.")
    ]
    assert offenders == []
