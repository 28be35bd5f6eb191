"""The home page and an unknown page, in a real Chromium against a real `fedishare serve`."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Route
from playwright.async_api import Error as PlaywrightError

from tests.browser.axe import assert_accessible
from tests.browser.browser import Tab, open_tab
from tests.browser.screenshots import DESKTOP, PHONE, png_width, save_screenshots, sideways_overflow
from tests.browser.site import Site
from tests.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_home_page_renders_with_the_security_headers(tab: Tab) -> None:
    response = await tab.page.goto("/")
    assert response is not None and response.status == 200
    headers = await response.all_headers()
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert await tab.page.title() == "Our neighbourhood"
    assert await tab.page.get_by_role("heading", level=1).inner_text() == "Our neighbourhood"
    main_nav = tab.page.get_by_role("navigation", name="Main")
    assert await main_nav.get_by_role("link", name="Sign up").is_visible()
    tab.watch.assert_clean()


async def test_home_page_is_accessible(axe_tab: Tab) -> None:
    await axe_tab.page.goto("/")
    await assert_accessible(axe_tab.page)


async def test_home_page_fits_a_phone_and_is_screenshot_at_both_widths(tab: Tab) -> None:
    await tab.page.goto("/")
    assert await sideways_overflow(tab.page, PHONE) == 0
    saved = await save_screenshots(tab.page, "home")
    assert [png_width(path) for path in saved] == [PHONE, DESKTOP]
    assert [path.name for path in saved] == ["home-390.png", "home-1280.png"]
    tab.watch.assert_clean()


async def test_unknown_page_is_an_html_page_for_browsers(tab: Tab) -> None:
    response = await tab.page.goto("/no/such/page")
    assert response is not None and response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert await tab.page.get_by_role("heading", level=1).inner_text() == "Sorry"
    assert await tab.page.get_by_role("link", name="Back to the board").is_visible()
    tab.watch.assert_clean()


# The guards the other browser tests rely on: each must catch what it is there for.

PROBE = """<!doctype html><html lang="en"><head><title>probe</title></head>
<body><main><h1>probe</h1><p style="color: red">inline style</p><script>1</script>
<img src="/avatars/person.png"><img src="/static/missing.png" alt="gone"></main></body></html>"""


async def serve_probe(tab: Tab, csp: str) -> None:
    """Answer /probe with a page that breaks the CSP, lacks an image's alt text and shows an
    image that is not there."""

    async def fulfil(route: Route) -> None:
        headers = {"content-type": "text/html", "content-security-policy": csp}
        await route.fulfill(status=200, headers=headers, body=PROBE)

    await tab.page.route("**/probe", fulfil)


async def test_csp_violations_and_missing_images_are_caught(tab: Tab) -> None:
    served = await tab.page.request.get("/.well-known/nodeinfo")
    await serve_probe(tab, served.headers["content-security-policy"])
    await tab.page.goto("/probe")

    async def all_reported() -> bool:
        return len(tab.watch.csp_violations) >= 2 and bool(tab.watch.console_errors)

    await eventually(all_reported)
    with pytest.raises(AssertionError, match="script-src-elem refused inline") as refused:
        tab.watch.assert_clean()
    assert "status of 404 (Not Found) (http://127.0.0.1:" in str(refused.value)
    assert "/static/missing.png" in str(refused.value)


async def test_axe_finds_serious_violations(axe_tab: Tab) -> None:
    await serve_probe(axe_tab, "default-src 'self'")
    await axe_tab.page.goto("/probe")
    with pytest.raises(AssertionError, match="critical image-alt"):
        await assert_accessible(axe_tab.page)


async def test_requests_off_loopback_are_refused_and_fail_the_test(
    browser: Browser, site: Site
) -> None:
    with pytest.raises(AssertionError, match=r"tried to leave loopback:\nhttp://example\.org/"):
        async with open_tab(browser, site.url) as tab:
            with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
                await tab.page.goto("http://example.org/")
