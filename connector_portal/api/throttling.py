"""Request rate limits per service-account token (and per user for the browsable API), kept in the shared cache.

The rate is `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"]` (settings: API_THROTTLE_RATE), e.g. "600/minute".
Counting in the shared cache makes the limit hold across every web process.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from connector_portal.models import ServiceAccountToken

THROTTLE_SCOPE = "api"


class FirmApiThrottle(SimpleRateThrottle):
    scope = THROTTLE_SCOPE

    def get_rate(self) -> str | None:
        # Read the settings on each request (not once at import) so a changed setting takes effect.
        # The stubs type the rates as numbers; DRF's are strings such as "600/minute" (or None: no limit).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[return-value]

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ServiceAccountToken):
            ident = f"token-{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None  # unauthenticated requests are refused before throttling
        return self.cache_format % {"scope": self.scope, "ident": ident}
