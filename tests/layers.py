"""The layers of the product and a checker that reads imports with `ast` (ARCHITECTURE.md, "Layers, one direction").

    tenancy core (connector_portal) ← providers ← mappings ← projects ← pages and endpoints

A module may import its own layer and the layers to its left, never one to its right, and never the provider sandbox
(an emulator run beside the product, not part of it). The checker sees `import x`, `from x import y` and relative
imports, at module level and inside functions; it also reads the app label of a ForeignKey / OneToOneField /
ManyToManyField given as a string, because a model reference is a dependency the migration graph enforces too.
What it cannot see: names built at run time (`import_string("...")`, `apps.get_model(...)`, settings strings).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = ("connector_portal", "providers", "mappings", "projects")

CORE, PROVIDERS, MAPPINGS, PROJECTS, TOP = "core", "providers", "mappings", "projects", "pages and endpoints"
ORDER = (CORE, PROVIDERS, MAPPINGS, PROJECTS, TOP)  # left to right: each may import those before it
SANDBOX, SKIPPED = "sandbox", "skipped"

# The layer of a module, from its path. First match wins; patterns are fnmatch on the path from the repository root.
LAYER_TABLE: tuple[tuple[str, str, str], ...] = (
    # (pattern, layer, why)
    ("*/migrations/*", SKIPPED, "generated; they name models by app label, which the migration graph checks"),
    ("sandbox/*", SANDBOX, "the emulator, outside the product"),
    # The API framework every endpoint builds on stays in the core; everything else under an api/ is an endpoint.
    ("connector_portal/api/__init__.py", CORE, "API framework"),
    ("connector_portal/api/authentication.py", CORE, "API framework"),
    ("connector_portal/api/base.py", CORE, "API framework"),
    ("connector_portal/api/converters.py", CORE, "API framework: the URL converters every app's routes use"),
    ("connector_portal/api/errors.py", CORE, "API framework"),
    ("connector_portal/api/pagination.py", CORE, "API framework"),
    ("connector_portal/api/parsers.py", CORE, "API framework"),
    ("connector_portal/api/permissions.py", CORE, "API framework"),
    (
        "connector_portal/api/project_scope.py",
        CORE,
        "API framework: views about one of the firm's projects",
    ),
    ("connector_portal/api/renderers.py", CORE, "API framework: the browsable API's renderer"),
    ("connector_portal/api/schema.py", CORE, "API framework"),
    ("connector_portal/api/serializers.py", CORE, "API framework: the strict serializer bases and the error shape"),
    ("connector_portal/api/throttling.py", CORE, "API framework"),
    ("*/api/*", TOP, "REST endpoints, their serializers and the /api/v1/ root"),
    # Pages: what a person or support sees, composing every layer below.
    ("*/views.py", TOP, "portal pages (providers/views.py: the OAuth start and callback pages)"),
    ("projects/connect/*_views.py", TOP, "the connection page's own pages (its items, its receiving users)"),
    ("*/forms.py", TOP, "page forms"),
    ("*/urls.py", TOP, "URL confs compose pages"),
    ("*/admin.py", TOP, "support staff's pages"),
    ("projects/admin_webhooks.py", TOP, "support staff's pages: the outbound webhooks"),
    ("projects/admin_attachments.py", TOP, "support staff's pages: the attachments"),
    ("connector_portal/admin_site.py", TOP, "support staff's pages"),
    ("connector_portal/audit_admin.py", TOP, "support staff's pages"),
    ("*/templatetags/*", TOP, "page words"),
    ("*/apps.py", TOP, "app wiring: ready() registers the app's endpoint hooks (its API errors) with the framework"),
    ("projects/connect/wiring.py", TOP, "the wizard's glue between pages, mapping forms and providers"),
    ("connector_portal/wsgi.py", TOP, "serves the whole site"),
    ("connector_portal/asgi.py", TOP, "serves the whole site"),
    # Management commands sit with their app's layer: a command that seeds projects lives in projects.
    ("connector_portal/*", CORE, "firms, members, licences, tokens, audit, Project Center projects, tenancy, settings"),
    ("providers/*", PROVIDERS, "registry, clients, OAuth, accounts"),
    ("mappings/*", MAPPINGS, "mapping tables, keyword lists"),
    ("projects/*", PROJECTS, "links, items, feed, the engine"),
)
APP_LABEL_LAYER = {"connector_portal": CORE, "providers": PROVIDERS, "mappings": MAPPINGS, "projects": PROJECTS}
RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


def layer_of(path: str) -> str:
    for pattern, layer, _why in LAYER_TABLE:
        if fnmatchcase(path, pattern):
            return layer
    raise LookupError(f"{path} has no layer: add a row to LAYER_TABLE in tests/layers.py")


@dataclass(frozen=True)
class Breach:
    path: str
    line: int
    imported: str  # a module name, or "<app label>.<Model>" for a relation given as a string
    from_layer: str
    to_layer: str

    def __str__(self) -> str:
        if self.to_layer == SANDBOX:
            return f"{self.path}:{self.line} imports {self.imported}: the product never imports the sandbox"
        return f"{self.path}:{self.line} imports {self.imported}: {self.from_layer} → {self.to_layer} runs upward"


def module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, path: str) -> str:
    """The module a `from ... import` names, with relative imports resolved against the importing file's package."""
    if not node.level:
        return node.module or ""
    package = module_name(path).split(".")
    if not path.endswith("__init__.py"):
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported_names(tree: ast.AST, path: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) for every import anywhere in the tree; `from a import b` yields `a.b` (b may be a module)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, path)
            for alias in node.names:
                yield node.lineno, module if alias.name == "*" else f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and _relation_target(node):
            yield node.lineno, _relation_target(node)


def _relation_target(node: ast.Call) -> str:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in RELATION_FIELDS or not node.args:
        return ""
    target = node.args[0]
    if isinstance(target, ast.Constant) and isinstance(target.value, str) and "." in target.value:
        return target.value
    return ""


def target_layer(dotted: str, known_paths: set[str]) -> tuple[str, str] | None:
    """(module, layer) of the product module a dotted name points into, or None when it is outside the product."""
    parts = dotted.split(".")
    if parts[0] not in PRODUCT_PACKAGES and parts[0] != "sandbox":
        return None
    if len(parts) == 2 and parts[1][:1].isupper() and parts[0] in APP_LABEL_LAYER:  # "projects.ProjectLink"
        return dotted, APP_LABEL_LAYER[parts[0]]
    for end in range(len(parts), 0, -1):  # the longest prefix that is a file: `a.b.name` → a/b.py
        stem = "/".join(parts[:end])
        for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
            if candidate in known_paths:
                return ".".join(parts[:end]), layer_of(candidate)
    return ".".join(parts[:2]), layer_of("/".join(parts[:2]) + ".py")


def check(sources: dict[str, str], known_paths: Iterable[str] = ()) -> list[Breach]:
    """Every upward or sandbox import in `sources` ({path from the root: source text}), in path and line order.

    `known_paths` adds files that exist but are not being checked, so names resolve to the right module."""
    paths = set(sources) | set(known_paths)
    breaches = []
    for path, source in sorted(sources.items()):
        mine = layer_of(path)
        if mine in (SKIPPED, SANDBOX):
            continue
        for line, dotted in imported_names(ast.parse(source, filename=path), path):
            found = target_layer(dotted, paths)
            if found is None:
                continue
            module, theirs = found
            if theirs == SANDBOX or (theirs != SKIPPED and ORDER.index(theirs) > ORDER.index(mine)):
                breaches.append(Breach(path, line, module, mine, theirs))
    return sorted(set(breaches), key=lambda b: (b.path, b.line, b.imported))


def product_sources(root: Path = ROOT) -> dict[str, str]:
    """The product's files and the sandbox's (read so names resolve to it; its own imports are not checked)."""
    sources = {}
    for package in (*PRODUCT_PACKAGES, "sandbox"):
        for file in sorted((root / package).rglob("*.py")):
            sources[file.relative_to(root).as_posix()] = file.read_text()
    return sources
