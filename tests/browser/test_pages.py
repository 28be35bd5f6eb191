"""Every page a neighbour uses, once each in a real Chromium against a real `fedishare serve`:
no serious or critical axe-core violation, no CSP violation or console error, nothing to
scroll sideways on a phone; screenshots of each at 390 and 1280 px.

The scene is set once for the module, through the pages: alice posts an offer with a photo,
and another for her followers only; bob follows her and answers the first privately; ada is
the admin."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
import pytest_asyncio
from playwright.async_api import Browser, StorageState

from tests.browser.accounts import create_member, member_tab
from tests.browser.axe import assert_accessible
from tests.browser.browser import open_tab
from tests.browser.forms import field, field_error, send_form, submit
from tests.browser.listings import Photo, answer_privately, make_photo, path_of, post_listing
from tests.browser.screenshots import PHONE, save_screenshots, sideways_overflow
from tests.browser.site import Site

pytestmark = pytest.mark.asyncio(loop_scope="module")

TITLE = "Aluminium ladder, 3 m"
FOLLOWERS_TITLE = "Sourdough starter"


@dataclass(frozen=True)
class Scene:
    listing: str  # the offer's path
    conversation: str  # bob's answer, as a path
    cookies: dict[str, StorageState]  # each person's signed-in browser state, by name


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scene(browser: Browser, site: Site, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    ada, alice, bob = await asyncio.gather(
        create_member(site, "ada", admin=True),
        create_member(site, "alice"),
        create_member(site, "bob"),
    )
    photo = make_photo(tmp_path_factory.mktemp("photos") / "ladder.jpg")
    async with member_tab(browser, site, ada) as tab:
        cookies = {"ada": await tab.cookies()}
    async with member_tab(browser, site, alice) as tab:
        posted = await post_listing(
            tab.page,
            title=TITLE,
            description="Light and steady. Collect from the library corner.",
            place="Riverside",
            position=(51.51, -0.12),
            photos=[Photo(photo, "A folded aluminium ladder against a wall")],
        )
        assert posted.ok, f"posting the offer answered {posted.status}"
        listing = path_of(tab.page.url)
        for_followers = await post_listing(
            tab.page,
            title=FOLLOWERS_TITLE,
            description="A jar of it, fed this morning. For the friends who asked.",
            place="Riverside",
            more={"Your followers only": True},
        )
        assert for_followers.ok, f"posting the followers-only offer answered {for_followers.status}"
        cookies["alice"] = await tab.cookies()
    async with member_tab(browser, site, bob) as tab:
        await tab.page.goto("/users/alice")
        followed = await submit(tab.page, "Follow as @bob")
        assert followed.ok, f"following alice answered {followed.status}"
        answered = await answer_privately(
            tab.page, listing, "I could use it on Saturday morning, if that suits you."
        )
        assert answered.ok, f"answering the offer answered {answered.status}"
        conversation = path_of(tab.page.url)
        cookies["bob"] = await tab.cookies()
    return Scene(listing, conversation, cookies)


@dataclass(frozen=True)
class Visit:
    """A page (its path may name the scene's {listing} and {conversation}), and who looks at
    it (None: a visitor who is not signed in)."""

    path: str
    who: str | None = None

    def path_in(self, scene: Scene) -> str:
        return self.path.format(listing=scene.listing, conversation=scene.conversation)


# Screenshots are saved as screenshots/NAME-WIDTH.png.
PAGES = {
    "board": Visit("/board"),
    "board-follower": Visit("/board", "bob"),  # alice's followers-only offer too
    "signup": Visit("/signup"),
    "login": Visit("/login"),
    "profile": Visit("/users/alice"),
    "listing": Visit("{listing}", "bob"),
    "listing-visitor": Visit("{listing}"),
    "listing-author": Visit("{listing}", "alice"),
    "new-listing": Visit("/listings/new?purpose=offer", "alice"),
    "conversations": Visit("/conversations", "alice"),
    "conversation": Visit("{conversation}", "alice"),
    "admin": Visit("/admin", "ada"),
    "admin-members": Visit("/admin/members", "ada"),
}


@pytest.mark.parametrize("name", PAGES)
async def test_page_is_accessible(browser: Browser, site: Site, scene: Scene, name: str) -> None:
    page = PAGES[name]
    signed_in_as = scene.cookies[page.who] if page.who else None
    async with open_tab(browser, site.url, bypass_csp=True, signed_in=signed_in_as) as tab:
        response = await tab.page.goto(page.path_in(scene))
        assert response is not None and response.status == 200, f"{name}: {response}"
        await assert_accessible(tab.page)


@pytest.mark.parametrize("name", PAGES)
async def test_page_keeps_its_csp_fits_a_phone_and_is_screenshot(
    browser: Browser, site: Site, scene: Scene, name: str
) -> None:
    page = PAGES[name]
    signed_in_as = scene.cookies[page.who] if page.who else None
    async with open_tab(browser, site.url, signed_in=signed_in_as) as tab:
        response = await tab.page.goto(page.path_in(scene))
        assert response is not None and response.status == 200, f"{name}: {response}"
        assert await sideways_overflow(tab.page, PHONE) == 0, f"{name} scrolls sideways"
        await save_screenshots(tab.page, name)
        tab.watch.assert_clean()


async def test_form_errors_stand_beside_their_field_and_stay_accessible(
    browser: Browser, site: Site, scene: Scene
) -> None:
    async with open_tab(
        browser, site.url, bypass_csp=True, signed_in=scene.cookies["alice"]
    ) as tab:
        await tab.page.goto("/listings/new?purpose=offer")
        response = await send_form(
            tab.page,
            {
                "Give away": True,
                "Title": "Garden chairs",
                "Neighbourhood": "Riverside",
                "Latitude (optional)": "north",
            },
            "Post",
        )
        assert response.status == 400
        assert await field_error(tab.page, "Latitude (optional)")
        assert await field_error(tab.page, "Title") == ""
        assert await (await field(tab.page, "Title")).input_value() == "Garden chairs"
        await assert_accessible(tab.page)
        await save_screenshots(tab.page, "new-listing-errors")


async def test_a_profile_lists_the_members_open_listings(
    browser: Browser, site: Site, scene: Scene
) -> None:
    async with open_tab(browser, site.url) as tab:
        await tab.page.goto("/users/alice")
        listings = tab.page.get_by_role("region", name="Open listings")
        assert await listings.is_visible()
        assert await listings.get_by_role("link", name=TITLE).count() == 1
        # Not to a visitor: that one is for alice's followers.
        assert await listings.get_by_role("link", name=FOLLOWERS_TITLE).count() == 0


async def test_a_follower_finds_the_followers_only_offer_on_the_board(
    browser: Browser, site: Site, scene: Scene
) -> None:
    async with open_tab(browser, site.url, signed_in=scene.cookies["bob"]) as tab:
        await tab.page.goto("/board")
        card = tab.page.locator(".listing-card", has_text=FOLLOWERS_TITLE)
        assert await card.get_by_text("Followers only").is_visible()
    async with open_tab(browser, site.url) as tab:  # a visitor
        await tab.page.goto("/board")
        assert await tab.page.locator(".listing-card", has_text=FOLLOWERS_TITLE).count() == 0
