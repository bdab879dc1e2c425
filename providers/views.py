"""Connect flow pages: /oauth/<provider>/start/ sends the user to the provider, /oauth/<provider>/callback/ comes back.

The redirect URI is exact and repeated at the token endpoint. For production and the provider's own sandbox it is
PORTAL_BASE_URL + /oauth/<provider>/callback/, the address registered with the provider, whatever host the request
came in on. For the local sandbox and custom base URLs (development, end-to-end tests on random ports) it is built from
the request's host, which ALLOWED_HOSTS has already vetted, so the browser comes back to the portal it started from.

These are pages (the top layer): they may use connector_portal.views, but they know no Project Center project. A
page that starts a sign-in for something of its own passes `return_to` (see projects/connect/views.py: sign_in).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from connector_portal.models import Connector
from connector_portal.selectors import firm_licence
from connector_portal.tenancy import AuthenticatedFirmRequest
from connector_portal.views import firm_required
from providers.connect import ConnectFailed, connect_complete, connect_start
from providers.errors import ProviderNotAvailable
from providers.models import ProviderApp
from providers.registry import provider_label
from providers.selectors import provider_app_for


def _redirect_uri(request: HttpRequest, provider: str, app: ProviderApp | None) -> str:
    path = reverse("providers:callback", kwargs={"provider": provider})
    if app is not None and app.environment == ProviderApp.Environment.CUSTOM:
        return request.build_absolute_uri(path)
    return settings.PORTAL_BASE_URL + path


def _is_local(request: HttpRequest, url: str) -> bool:
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})


def safe_next(request: HttpRequest) -> str:
    """?next= when it is a page of this portal, else the dashboard: the default place a sign-in comes back to."""
    next_url = request.GET.get("next", "")
    return next_url if _is_local(request, next_url) else reverse("dashboard")


def _with_account(next_url: str, account_id: int) -> str:
    parts = urlsplit(next_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "account"]
    query.append(("account", str(account_id)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _failure(
    request: HttpRequest,
    *,
    title: str,
    message: str,
    provider: str,
    status: int = 400,
    retry_next: str = "",
    retry_choose_account: bool = False,
) -> HttpResponse:
    context = {
        "title": title,
        "message": message,
        "provider_label": provider_label(provider),
        "retry_url": _retry_url(request, provider, retry_next, choose_account=retry_choose_account),
    }
    return render(request, "providers/connect_failed.html", context, status=status)


def _retry_url(request: HttpRequest, provider: str, next_url: str, *, choose_account: bool = False) -> str:
    """The provider's sign-in again, coming back to the same step (as someone else again when that was asked for);
    none when that step is not a page of ours."""
    if not _is_local(request, next_url):
        return ""
    query = {"next": next_url, **({"switch": "1"} if choose_account else {})}
    return f"{reverse('providers:start', args=[provider])}?{urlencode(query)}"


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


@never_cache
@require_GET
@firm_required
def start(
    request: AuthenticatedFirmRequest, provider: str, return_to: Callable[[AuthenticatedFirmRequest], str] = safe_next
) -> HttpResponse:
    """Send the user to the provider's sign-in; `return_to` picks the local URL to come back to (may raise Http404)."""
    if provider not in Connector.values:
        raise Http404("No such provider.")
    label = provider_label(provider)
    licence = firm_licence(firm=request.firm)
    if licence is None or not licence.allows(provider):
        return _failure(
            request,
            title=f"{label} is not part of your licence",
            message=f"Your firm's licence does not include the {label} connector. Contact support to add it.",
            provider=provider,
            status=403,
        )
    next_url = return_to(request)
    app = provider_app_for(provider=provider)
    try:
        url = connect_start(
            firm=request.firm,
            user=request.user,
            session_key=_session_key(request),
            provider=provider,
            redirect_uri=_redirect_uri(request, provider, app),
            next_url=next_url,
            choose_account=request.GET.get("switch") == "1",
        )
    except ProviderNotAvailable as exc:
        return _failure(request, title=f"{label} is not available", message=exc.message, provider=provider, status=503)
    return redirect(url)


@never_cache
@require_GET
@firm_required
def callback(request: AuthenticatedFirmRequest, provider: str) -> HttpResponse:
    if provider not in Connector.values:
        raise Http404("No such provider.")
    try:
        connected = connect_complete(
            firm=request.firm,
            user=request.user,
            session_key=_session_key(request),
            provider=provider,
            params=request.GET.dict(),
            request=request,
        )
    except ConnectFailed as exc:
        return _failure(
            request,
            title=exc.title,
            message=exc.message,
            provider=provider,
            retry_next=exc.retry_next,
            retry_choose_account=exc.retry_choose_account,
        )
    # Checked again on the way out: whoever started the state, the browser only ever goes to a page of this portal.
    next_url = connected.next_url if _is_local(request, connected.next_url) else reverse("dashboard")
    return redirect(_with_account(next_url, connected.account.pk))
