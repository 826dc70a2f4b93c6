"""No page of the product asks another origin for anything: every page an owner and staff see,
at desktop and phone widths, in a real browser that records each request the page makes
(documents, scripts, styles, images, fonts, fetches) and refuses those to other origins."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DAY_ONE, PASSWORD, log_in
from tests.factories import UserFactory

LOCAL_SCHEMES = {"data", "blob", "about"}


@pytest.fixture
def staff(transactional_db):
    return UserFactory(username="riley", password=PASSWORD, is_staff=True, is_superuser=True)


def record_requests(page, live_server) -> list[str]:
    """The URLs of every request to another origin from now on (each one is refused)."""
    own = urlsplit(live_server.url)
    elsewhere: list[str] = []

    def foreign(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme not in LOCAL_SCHEMES and (parts.scheme, parts.netloc) != (own.scheme, own.netloc)

    def screen(route):
        if foreign(route.request.url):
            elsewhere.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", screen)  # refused before it leaves the browser
    page.context.on("request", lambda request: foreign(request.url) and elsewhere.append(request.url))
    return elsewhere


def visit(page, path: str, heading: str | None = None) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    if heading:
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_no_page_requests_another_origin(request, viewport, live_server, owner, staff):
    page = request.getfixturevalue(viewport)
    elsewhere = record_requests(page, live_server)

    # The owner, from the login page on.
    log_in(page, owner, next_url=f"/timeline/?day={DAY_ONE}")
    page.wait_for_load_state("networkidle")
    for path, heading in [
        (f"/timeline/?day={DAY_ONE}", None),
        ("/enroll/", "Your voice"),
        (f"/enroll/{owner.enrollments.get().id}/", "Your voice enrollment"),
        ("/account/", "Your account"),
        ("/account/erase/", "Erase all your data?"),
    ]:
        visit(page, path, heading)
    visit(page, "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Selective Speaker API")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert elsewhere == [], f"the owner's pages asked other origins: {sorted(set(elsewhere))}"
    page.context.clear_cookies()

    # Staff, in the admin.
    visit(page, "/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.wait_for_load_state("networkidle")
    chunk = owner.chunks.order_by("id").first()
    for path in [
        "/admin/chunks/chunk/",
        f"/admin/chunks/chunk/{chunk.id}/change/",
        "/admin/enrollment/decisionreview/",
        "/admin/enrollment/enrollment/",
        "/admin/auth/user/",
        "/api/docs/",
    ]:
        visit(page, path)

    assert elsewhere == [], f"requests to other origins: {sorted(set(elsewhere))}"
