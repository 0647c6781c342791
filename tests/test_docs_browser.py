"""The API docs in a real browser: headless Chromium opens Swagger UI on a real `taskroom serve`
with every request to another origin blocked, and a person's path through it works: the route
list renders, the description's link leads to the websocket protocol, "Authorize" takes a fresh
token, "Try it out" on `GET /api/me` answers 200.

Debian's `chromium` is driven by Playwright (`.ci/run` installs it); Playwright's own browser
downloads are never used. A screenshot of the page is kept under `artifacts/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

from tests.support import ROOT, Server, register

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_swagger_ui_offline_authorize_and_try_it_out(
    browser: Browser, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    user = register(server.url)
    page: Page = browser.new_page(viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []
    csp_violations: list[str] = []

    def only_this_server(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or origin(url) == server.url:
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            csp_violations.append(message.text)

    page.route("**/*", only_this_server)
    page.on("console", console)
    try:
        page.goto(f"{server.url}/schema/swagger")
        projects = page.locator(".opblock-get").filter(
            has=page.locator('.opblock-summary-path[data-path="/api/projects"]')
        )
        expect(projects).to_have_count(1, timeout=30_000)

        page.get_by_role("link", name="the websocket protocol").click()
        expect(page.locator("#websocket-protocol")).to_be_in_viewport()

        page.locator(".auth-wrapper button.authorize").click()
        dialog = page.locator(".dialog-ux")
        dialog.locator("input").fill(user.token)
        dialog.locator("button.authorize").click()
        dialog.locator("button.btn-done").click()

        me = page.locator(".opblock-get").filter(
            has=page.locator('.opblock-summary-path[data-path="/api/me"]')
        )
        me.locator(".opblock-summary").click()
        me.locator("button.try-out__btn").click()
        me.locator("button.execute").click()
        live = me.locator(".live-responses-table .response")
        expect(live.locator(".response-col_status")).to_have_text("200", timeout=30_000)
        expect(live.locator(".response-col_description")).to_contain_text(f'"{user.username}"')

        ARTIFACTS.mkdir(exist_ok=True)
        database = server.env["TASKROOM_DATABASE_URL"].split(":")[0].split("+")[0]
        shot = ARTIFACTS / f"docs-swagger-{database}.png"
        page.screenshot(path=shot, full_page=True)
        with capsys.disabled():
            print(f"\nscreenshot of the API docs: {shot}")
    finally:
        page.close()
        user.close()
    assert elsewhere == []
    assert csp_violations == []
