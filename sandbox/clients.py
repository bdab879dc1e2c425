"""The OAuth clients the sandbox knows (from `constants.py`) and how each provider treats them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .constants import SANDBOX_CLIENTS, SANDBOX_REDIRECT_HOSTS
from .web import Request


@dataclass(frozen=True)
class OAuthProvider:
    name: str
    title: str
    basic_only: bool = False  # Autodesk: confidential clients must use HTTP Basic, never the body
    pkce_required: bool = False  # ConstructEx
    scope_required: bool = False  # Autodesk
    token_type: str = "Bearer"
    # The authorize endpoint's documented `prompt` values (Autodesk's authentication.yaml: `login`); a provider that
    # documents none refuses the parameter, so the portal cannot rely on one it would ignore in production.
    prompts: tuple[str, ...] = ()

    @property
    def client_id(self) -> str:
        return SANDBOX_CLIENTS[self.name][0]


PROVIDERS = {
    "procore": OAuthProvider("procore", "Procore", token_type="bearer"),
    "autodesk": OAuthProvider("autodesk", "Autodesk", basic_only=True, scope_required=True, prompts=("login",)),
    "constructex": OAuthProvider("constructex", "ConstructEx", pkce_required=True),
}


def provider_of(request: Request) -> OAuthProvider:
    """The provider a request is addressed to, from its path prefix (/procore, /autodesk, /constructex)."""
    return PROVIDERS[request.path.split("/")[1]]


def redirect_uri_allowed(provider: str, redirect_uri: str) -> bool:
    """Any port on the allowed hosts, path /oauth/<provider>/callback/ (tests run the portal on random ports)."""
    parts = urlsplit(redirect_uri)
    return (
        parts.scheme in ("http", "https")
        and parts.hostname in SANDBOX_REDIRECT_HOSTS
        and parts.path == f"/oauth/{provider}/callback/"
    )
