"""The connect wizard walked over HTTP as a person's browser would: the portal's pages and the sandbox's OAuth pages.

Nothing here calls the portal's code: it signs in at the running portal, follows its redirect to the provider
sandbox's sign-in page, signs in there as the sandbox's demo reviewer, allows access, and comes back through the
portal's callback to choose the provider's company and project and save the mapping it proposes. So a demo connection
is made exactly as the README's walk makes one, and a broken step fails here as it would in a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from projects.demo.pages import Choice, Form, Page, page_read

# The sandbox's seeded reviewer (sandbox/seed.py USERS; every sandbox user's password is "sandbox"). Spelled out
# here because the product never imports the sandbox; tests/projects/test_demo_connect.py checks they still agree.
SANDBOX_REVIEWER = "reviewer@sandbox.test"
SANDBOX_PASSWORD = "sandbox"
TIMEOUT = 30  # seconds per request: a first page of a provider can take a while on a busy machine
MAX_REDIRECTS = 10


@dataclass(frozen=True)
class Target:
    """Which provider company (Procore company, Autodesk hub; "" when there is none) and project to choose, by label."""

    company: str
    project: str


# The sandbox's projects that the demo reviewer is on (sandbox/seed.py PROJECTS); P-1001 is left to the README's walk.
DEMO_TARGETS = {
    "procore": Target(company="Summit Builders", project="P-1003 Oak Street School"),
    "autodesk": Target(company="Summit Builders (ACC)", project="Riverside Medical Center (ACC)"),
    "constructex": Target(company="", project="Riverside Medical Center (ConstructEx)"),
}


class DemoFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Browser:
    """A requests session that follows redirects itself, so that a server that does not answer can be named."""

    def __init__(self, *, portal: str) -> None:
        self.portal = portal.rstrip("/")
        self.session = requests.Session()

    def open(self, url: str, *, method: str = "get", data: list[tuple[str, str]] | None = None) -> Page:
        url = urljoin(self.portal + "/", url)
        for _ in range(MAX_REDIRECTS):
            response = self._send(method, url, data)
            if not response.is_redirect:
                return page_read(url=url, status=response.status_code, html=response.text)
            url, method, data = urljoin(url, response.headers["Location"]), "get", None
        raise DemoFailed(f"{url} redirected more than {MAX_REDIRECTS} times; open it in a browser to see why.")

    def submit(
        self,
        page: Page,
        form: Form,
        *,
        values: dict[str, str] | None = None,
        chosen: Choice | None = None,
        button: str = "",
    ) -> Page:
        data = form.data(values=values, chosen=chosen, button=button)
        return self.open(urljoin(page.url, form.action), method=form.method, data=data)

    def _send(self, method: str, url: str, data: list[tuple[str, str]] | None) -> requests.Response:
        body, query = (data, None) if method == "post" else (None, data)
        try:
            return self.session.request(method, url, data=body, params=query, allow_redirects=False, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise DemoFailed(self._unreachable(url)) from exc

    def _unreachable(self, url: str) -> str:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin == self.portal:
            return (
                f"The portal at {origin} does not answer. Start `make run` first (in another terminal), or give "
                "the address it runs at with --portal."
            )
        return f"The provider sandbox at {origin} does not answer. Start `make run` first: it starts the sandbox too."


def _said(page: Page) -> str:
    return " ".join(page.alerts) or f"{page.title or 'a page'} (HTTP {page.status})"


def portal_sign_in(browser: Browser, *, email: str, password: str) -> None:
    page = browser.open("/accounts/login/")
    form = page.form_with(field_name="password", method="post")
    if form is None:
        raise DemoFailed(f"The portal's sign-in page at {page.url} shows no sign-in form: {_said(page)}.")
    after = browser.submit(page, form, values={"login": email, "password": password})
    if after.form_with(field_name="password", method="post") is not None:
        raise DemoFailed(
            f"The portal did not sign in {email}: {_said(after)}. Run `manage.py seed_demo` (make run does) to "
            "create the demo user."
        )


def provider_sign_in_page(browser: Browser, *, pc_project_id: str, provider: str) -> Page:
    """The configure page's connector button: the portal's start URL, which sends the browser to the provider."""
    page = browser.open(f"/connect/{pc_project_id}/")
    if page.status == 404:
        raise DemoFailed(f"The portal knows no project {pc_project_id} in the demo firm.")
    if urlsplit(page.url).path.endswith("/connection/"):
        raise DemoFailed(f"{pc_project_id} is already connected: see {page.url}")
    start = next((link for link in page.links if f"/oauth/{provider}/start/" in link), None)
    if start is None:
        raise DemoFailed(f"The configure page {page.url} offers no {provider} connection: {_said(page)}.")
    return browser.open(urljoin(page.url, start))


def sandbox_allow(browser: Browser, page: Page) -> Page:
    """Sign in at the sandbox as its demo reviewer and press Allow: the answer is the portal's page after it."""
    form = page.form_with(field_name="password", method="post")
    if form is None:
        raise DemoFailed(f"Expected the provider's sign-in page, got {page.url}: {_said(page)}.")
    consent = browser.submit(page, form, values={"login": SANDBOX_REVIEWER, "password": SANDBOX_PASSWORD})
    allow = consent.form_with(field_name="ticket", method="post")
    if allow is None:
        raise DemoFailed(
            f"The sandbox did not sign in {SANDBOX_REVIEWER}: {_said(consent)}. Run `manage.py sandbox_seed` "
            "(make run does) to seed its users."
        )
    return browser.submit(consent, allow, button="allow")


def _pick(page: Page, form: Form, name: str, label: str, what: str) -> Choice:
    choice = form.choice(name, label)
    if choice is None:
        offered = "; ".join(form.labels(name)) or "none"
        raise DemoFailed(f"{page.url} offers no {what} named like {label!r} (it offers: {offered}).")
    return choice


def choose_company(browser: Browser, page: Page, *, target: Target) -> Page:
    """Pick the company (hub) when the portal asks; with one or none it has gone on to the project step already."""
    form = page.form_with(field_name="company", action_contains="/project/")
    if form is None:
        return page
    return browser.submit(page, form, chosen=_pick(page, form, "company", target.company, "company"))


def choose_project(browser: Browser, page: Page, *, target: Target) -> Page:
    form = page.form_with(field_name="project", action_contains="/settings/")
    if form is None:
        raise DemoFailed(f"Expected the project choice, got {page.url}: {_said(page)}.")
    return browser.submit(page, form, chosen=_pick(page, form, "project", target.project, "project"))


def save_settings(browser: Browser, page: Page) -> Page:
    """Save the items to sync and the response mapping as the portal proposes them."""
    form = page.form_with(field_name="project", method="post")
    if form is None:
        raise DemoFailed(f"Expected Configure Project Connection, got {page.url}: {_said(page)}.")
    done = browser.submit(page, form)
    if not urlsplit(done.url).path.endswith("/connection/"):
        raise DemoFailed(f"The portal did not save the connection: {_said(done)}. Finish it in a browser at {page.url}")
    return done


def connect_through_pages(
    *, portal: str, email: str, password: str, pc_project_id: str, provider: str, target: Target
) -> str:
    """Walk the connect wizard for `pc_project_id`; the connection page's URL once it is saved."""
    browser = Browser(portal=portal)
    portal_sign_in(browser, email=email, password=password)
    page = sandbox_allow(browser, provider_sign_in_page(browser, pc_project_id=pc_project_id, provider=provider))
    page = choose_project(browser, choose_company(browser, page, target=target), target=target)
    return save_settings(browser, page).url
