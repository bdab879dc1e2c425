"""The Procore webhook receiver. Procore wants a 2xx within 5 seconds: it only pokes the link."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from projects.services.webhooks import Outcome, webhook_receive

MAX_BODY = 64 * 1024


@csrf_exempt
@require_POST
def procore_webhook(request: HttpRequest, token: str) -> HttpResponse:
    if len(request.body) > MAX_BODY:
        return JsonResponse({"code": "too_large", "message": "The delivery is too large."}, status=413)
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse({"code": "bad_request", "message": "The delivery is not a JSON object."}, status=400)
    outcome = webhook_receive(
        token=token, authorization=request.headers.get("Authorization", ""), payload=payload, now=timezone.now()
    )
    if outcome == Outcome.UNKNOWN_LINK:
        return JsonResponse({"code": "not_found", "message": "No connection uses this webhook."}, status=404)
    if outcome == Outcome.UNAUTHORIZED:
        return JsonResponse({"code": "unauthorized", "message": "The Authorization header is wrong."}, status=401)
    return JsonResponse({"result": str(outcome)}, status=200)
