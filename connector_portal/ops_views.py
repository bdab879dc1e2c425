"""Endpoints for the machines that watch the portal: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from connector_portal import health, metrics


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    state = health.readiness()
    return JsonResponse(state, status=200 if state["status"] == "ok" else 503)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    # Off (404) until METRICS_TOKEN is set; a wrong token is told so, without a hint.
    if not settings.METRICS_TOKEN:
        return JsonResponse(
            {"code": "not_found", "message": "Metrics are off: set METRICS_TOKEN to turn them on."}, status=404
        )
    if not metrics.token_accepted(request.headers.get("Authorization", "")):
        response = JsonResponse(
            {"code": "unauthorized", "message": "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>."},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
