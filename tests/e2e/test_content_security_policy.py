"""The strict Content-Security-Policy in a real Chromium: the pages that bring their own scripts (the API docs, the
two-factor set-up with its QR code) still work, and nothing is refused (the browser_page fixture fails on any report).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connector_portal.models import User

from .conftest import Steps
from .test_connect_flow import sign_in_to_portal


@pytest.mark.browser
def test_the_api_docs_and_two_factor_pages_work_under_the_policy(
    portal: str, firm_user: User, browser_page: Steps
) -> None:
    page = browser_page.page
    response = page.goto(f"{portal}/api/docs/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    expect(page.get_by_text("/api/v1/feed/").first).to_be_visible()  # Swagger UI rendered from its own files
    browser_page.shot("api docs")

    sign_in_to_portal(browser_page, portal, firm_user)
    page.goto(f"{portal}/accounts/2fa/totp/activate/")
    if page.get_by_label("Password").count():  # allauth asks for the password again first
        page.get_by_label("Password").fill("e2e-long-password-1")
        page.get_by_role("button", name="Confirm").click()
    expect(page.locator("img[src^='data:image/svg+xml']").first).to_be_visible()  # the QR code, a data: image
    browser_page.shot("two-factor set-up")
