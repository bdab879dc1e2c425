"""Which module serves which provider. The rest of the portal asks here and never branches on a provider's name."""

from __future__ import annotations

from connector_portal.models import Connector
from providers.autodesk import Autodesk
from providers.base import Provider
from providers.constructex import ConstructEx
from providers.errors import ProviderNotAvailable
from providers.http import HttpClient
from providers.procore import Procore
from providers.selectors import provider_app_for
from providers.types import ProjectFacts

PROVIDERS: dict[str, type[Provider]] = {
    Connector.PROCORE: Procore,
    Connector.AUTODESK: Autodesk,
    Connector.CONSTRUCTEX: ConstructEx,
}


def provider_label(provider: str) -> str:
    cls = PROVIDERS.get(provider)
    return cls.label if cls else provider


def project_provider_label(provider: str, facts: ProjectFacts) -> str:
    """What the pages call the provider of one project (ACC or BIM 360 for Autodesk, from the project's type)."""
    cls = PROVIDERS.get(provider)
    return cls.project_label(facts) if cls else provider


def provider_takes_files(provider: str) -> bool:
    """Whether the provider's module attaches files to a response (Provider.supports_response_files)."""
    cls = PROVIDERS.get(provider)
    return bool(cls and cls.supports_response_files)


def get_provider(provider: str, *, http: HttpClient | None = None) -> Provider:
    """The provider module bound to the portal's OAuth app for it.

    Raises ProviderNotAvailable ("not available — contact support") for an unknown provider, or when no enabled app
    exists (with PROVIDER_SANDBOX on, a missing app means the local sandbox's registered client).
    """
    cls = PROVIDERS.get(provider)
    if cls is None:
        raise ProviderNotAvailable.for_provider(provider)
    app = provider_app_for(provider=provider)
    if app is None:
        raise ProviderNotAvailable.for_provider(cls.label)
    return cls(app=app, http=http)
