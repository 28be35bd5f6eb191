"""A Mastodon app signing a member in by OAuth, in a real Chromium against a real
`fedishare serve`: the log-in page, the consent page naming the app and its scopes in words,
the code back to the app's loopback redirect URI with its `state` (or shown on a page for
`urn:ietf:wg:oauth:2.0:oob`), PKCE (S256) at `/oauth/token`, denying, and taking the access
back from the settings' Apps section. Each page is checked by axe-core, fits a phone, and is
screenshot at 390 and 1280 px.

One server, one app and one redirect target serve the whole module."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, StorageState

from tests.browser.accounts import Member, create_member, member_tab
from tests.browser.axe import assert_accessible
from tests.browser.browser import open_tab
from tests.browser.forms import send_form, submit
from tests.browser.oauth_app import (
    OOB,
    App,
    RedirectTarget,
    authorize_path,
    exchange,
    pkce,
    redirect_target,
    register_app,
    verify_credentials,
)
from tests.browser.screenshots import (
    HEIGHT,
    PHONE,
    SCREENSHOTS,
    save_screenshots,
    sideways_overflow,
)
from tests.browser.site import Site

pytestmark = pytest.mark.asyncio(loop_scope="module")

APP = "Pocket Reader"
# How the consent page says what `read write follow` lets the app do.
SCOPES_IN_WORDS = {
    "read": "See everything in your account",
    "write": "Act for you",
    "follow": "See and change whom you follow",
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def target() -> AsyncIterator[RedirectTarget]:
    async with redirect_target() as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(site: Site, target: RedirectTarget) -> App:
    return await register_app(site, APP, [target.uri, OOB])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def members(site: Site) -> dict[str, Member]:
    """alice signs in to the app; bob takes its access back in his settings."""
    made = await asyncio.gather(create_member(site, "alice"), create_member(site, "bob"))
    return {member.name: member for member in made}


@pytest.fixture(scope="module")
def alice(members: dict[str, Member]) -> Member:
    return members["alice"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def alice_cookies(browser: Browser, site: Site, alice: Member) -> StorageState:
    async with member_tab(browser, site, alice) as tab:
        return await tab.cookies()


@pytest.fixture
def arrivals(target: RedirectTarget) -> RedirectTarget:
    """The redirect target, with nothing left from earlier tests."""
    target.forget()
    return target


async def _check_consent_page(page: Page, site: Site) -> None:
    """The consent page names the app and says in words what each scope lets it do."""
    assert page.url.startswith(site.url + "/oauth/authorize?"), page.url
    heading = await page.get_by_role("heading", level=1).inner_text()
    assert heading == f"Sign in to {APP}?"
    asked = page.get_by_role("region", name=APP)
    granted = await asked.get_by_role("listitem").all_inner_texts()
    assert len(granted) == len(SCOPES_IN_WORDS), granted
    for (scope, words), item in zip(SCOPES_IN_WORDS.items(), granted, strict=True):
        assert item.startswith(words) and item.endswith(f"({scope})"), item
    assert "@alice@" in await asked.inner_text()
    for button in ("Authorize", "Deny"):
        await _assert_easy_to_tap(page, button)


async def _assert_easy_to_tap(page: Page, button: str) -> None:
    """At a phone's width the button is at least 44 px high, as WCAG 2.5.5 asks."""
    await page.set_viewport_size({"width": PHONE, "height": HEIGHT})
    box = await page.get_by_role("button", name=button, exact=True).bounding_box()
    assert box is not None and box["height"] >= 44, f"{button!r} is {box}"


async def test_an_app_signs_in_through_the_log_in_and_consent_pages(
    browser: Browser, site: Site, app: App, alice: Member, arrivals: RedirectTarget
) -> None:
    verifier, challenge = pkce()
    async with open_tab(browser, site.url, bypass_csp=True) as tab:
        page = tab.page
        await page.goto(authorize_path(app, arrivals.uri, challenge))
        assert urlsplit(page.url).path == "/login", "a visitor is asked to log in first"
        logged_in = await send_form(
            page, {"Name": alice.name, "Password": alice.password}, "Log in"
        )
        assert logged_in.status == 200
        await _check_consent_page(page, site)
        await assert_accessible(page)
        assert await sideways_overflow(page, PHONE) == 0, "the consent page scrolls sideways"
        await save_screenshots(page, "oauth-authorize")

        back_in_the_app = await submit(page, "Authorize")
        assert back_in_the_app.ok and page.url.startswith(arrivals.uri + "?")
        back = await arrivals.arrival()
    assert back.keys() == {"code", "state"} and back["state"] == "xyz", back

    token = await exchange(site, app, back["code"], arrivals.uri, verifier)
    assert token["scope"] == "read write follow" and token["token_type"] == "Bearer"
    me = await verify_credentials(site, token["access_token"])
    assert me.status_code == 200 and me.json()["username"] == "alice"


async def test_out_of_band_the_code_is_shown_to_copy(
    browser: Browser, site: Site, app: App, alice_cookies: StorageState
) -> None:
    verifier, challenge = pkce()
    async with open_tab(browser, site.url, bypass_csp=True, signed_in=alice_cookies) as tab:
        page = tab.page
        await page.goto(authorize_path(app, OOB, challenge))
        await _check_consent_page(page, site)
        shown = await submit(page, "Authorize")
        assert shown.status == 200 and urlsplit(page.url).path == "/oauth/authorize"
        assert await page.get_by_role("heading", level=1).inner_text() == f"Your code for {APP}"
        box = page.get_by_label("Copy this code and paste it into the app:")
        code = await box.input_value()
        assert len(code) >= 32
        await save_screenshots(page, "oauth-code")
        assert await sideways_overflow(page, PHONE) == 0, "the code page scrolls sideways"
        # Readable on a phone: all of the code in view, in letters no smaller than the text's.
        clipped = await box.evaluate(
            "(el) => Math.max(el.scrollWidth - el.clientWidth, el.scrollHeight - el.clientHeight)"
        )
        assert clipped <= 0, f"{clipped} px of the code are hidden in its box"
        size = await box.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
        assert size >= 16, f"the code is in {size} px letters"
        # Selectable: a tap on the box selects the whole code, ready to copy.
        await box.select_text()
        selected = await box.evaluate("(el) => el.value.slice(el.selectionStart, el.selectionEnd)")
        assert selected == code
        await assert_accessible(page)

    token = await exchange(site, app, code, OOB, verifier)
    me = await verify_credentials(site, token["access_token"])
    assert me.status_code == 200 and me.json()["username"] == "alice"


async def test_denying_sends_access_denied_and_the_state_back(
    browser: Browser, site: Site, app: App, alice_cookies: StorageState, arrivals: RedirectTarget
) -> None:
    """In a browser that enforces the site's CSP: the consent form may send the browser on
    to the app."""
    _, challenge = pkce()
    async with open_tab(browser, site.url, signed_in=alice_cookies) as tab:
        await tab.page.goto(authorize_path(app, arrivals.uri, challenge))
        await _check_consent_page(tab.page, site)
        back_in_the_app = await submit(tab.page, "Deny")
        assert back_in_the_app.ok and tab.page.url.startswith(arrivals.uri + "?")
        back = await arrivals.arrival()
        tab.watch.assert_clean()
    assert back["error"] == "access_denied" and back["state"] == "xyz", back
    assert "code" not in back


async def test_the_settings_list_the_app_and_revoke_its_access(
    browser: Browser, site: Site, app: App, members: dict[str, Member], arrivals: RedirectTarget
) -> None:
    bob = members["bob"]
    verifier, challenge = pkce()
    async with member_tab(browser, site, bob) as signed_in:
        await signed_in.page.goto(authorize_path(app, arrivals.uri, challenge))
        assert (await submit(signed_in.page, "Authorize")).ok
        bobs = await signed_in.cookies()
    code = (await arrivals.arrival())["code"]
    token = (await exchange(site, app, code, arrivals.uri, verifier))["access_token"]
    assert (await verify_credentials(site, token)).status_code == 200

    async with open_tab(browser, site.url, bypass_csp=True, signed_in=bobs) as tab:
        page = tab.page
        await page.goto("/settings#apps")
        apps = page.get_by_role("region", name="Apps")
        item = apps.get_by_role("listitem").filter(has_text=APP)
        assert await item.count() == 1
        listed = await item.inner_text()
        assert "read write follow" in listed and "last used" in listed, listed
        await assert_accessible(page)
        assert await sideways_overflow(page, PHONE) == 0, "the settings scroll sideways"
        await save_screenshots(page, "settings-apps")
        await page.set_viewport_size({"width": PHONE, "height": HEIGHT})
        await apps.screenshot(path=SCREENSHOTS / "settings-apps-section-390.png")

        revoked = await submit(page, f"Revoke access for {APP}", within=item)
        assert revoked.ok
        notice = await page.get_by_role("status").inner_text()
        assert notice == "That app can no longer use your account."
        assert await apps.get_by_role("listitem").filter(has_text=APP).count() == 0
    assert (await verify_credentials(site, token)).status_code == 401
