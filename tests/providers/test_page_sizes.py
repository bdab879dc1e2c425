"""Lists are read at the largest page each provider documents: Procore's item lists 2,000 a page (its pagination guide's
recommended maximum, PROVIDERS.md), its v1.1 projects list 300; Autodesk's Submittals lists 50 (construction.json)."""

from __future__ import annotations

from collections.abc import Callable

import responses

from providers.models import ProviderAccount
from providers.registry import get_provider
from tests.providers.conftest import AUTODESK, sent_query

RESPONSES = f"{AUTODESK}/construction/submittals/v2/projects/proj-1/responses"


def _response(n: int) -> dict[str, object]:
    return {"id": f"r{n}", "value": f"Response {n}", "categoryId": 1}


def test_autodesk_response_options_are_read_50_a_page_to_the_end(
    mocked: responses.RequestsMock, make_account: Callable[..., ProviderAccount]
) -> None:
    # The list's default page is 20 (construction.json: limit 1-50, default 20): one unpaged call would lose the rest.
    pagination = {"limit": 50, "totalResults": 60}
    mocked.get(
        RESPONSES, json={"pagination": {**pagination, "offset": 0}, "results": [_response(n) for n in range(50)]}
    )
    mocked.get(
        RESPONSES, json={"pagination": {**pagination, "offset": 50}, "results": [_response(n) for n in range(50, 60)]}
    )
    account = make_account("autodesk", provider_user_id="ADSK-ME")

    options = get_provider("autodesk").list_response_options(
        account=account, company_id="b.hub-1", project_id="b.proj-1", kind="submittal"
    )

    assert len(options) == 60
    assert [sent_query(c.request) for c in mocked.calls] == [
        {"limit": ["50"], "offset": ["0"]},
        {"limit": ["50"], "offset": ["50"]},
    ]
