"""The Procore webhook receiver. Procore wants a 2xx within 5 seconds: it only pokes the link.

Whoever can reach the address can send anything: the token and the Authorization header are checked first, and only
then is the body read, within a size and a depth limit (`connector_portal.jsonbody`).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connector_portal.jsonbody import BodyRefused, json_body
from projects.services.webhooks import Outcome, webhook_authorize, webhook_receive

MAX_BODY = 64 * 1024


@csrf_exempt
@require_POST
def procore_webhook(request: HttpRequest, token: str) -> HttpResponse:
    link = webhook_authorize(token=token, authorization=request.headers.get("Authorization", ""))
    if link == Outcome.UNKNOWN_LINK:
        return JsonResponse({"code": "not_found", "message": "No connection uses this webhook."}, status=404)
    if link == Outcome.UNAUTHORIZED:
        return JsonResponse({"code": "unauthorized", "message": "The Authorization header is wrong."}, status=401)
    assert not isinstance(link, Outcome)
    raw = request.read(MAX_BODY + 1)
    try:
        payload = json_body(raw, max_bytes=MAX_BODY) if raw else {}
    except BodyRefused as refused:
        too_large = refused.reason == "too_large"
        code, status = ("too_large", 413) if too_large else ("bad_request", 400)
        return JsonResponse({"code": code, "message": refused.message}, status=status)
    if not isinstance(payload, dict):
        return JsonResponse({"code": "bad_request", "message": "The delivery is not a JSON object."}, status=400)
    outcome = webhook_receive(link=link, payload=payload, now=timezone.now())
    return JsonResponse({"result": str(outcome)}, status=200)
