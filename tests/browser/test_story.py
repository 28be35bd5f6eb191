"""An offer's whole life in a real Chromium against a real `fedishare serve` (open sign-up):
two neighbours sign up, alice offers a ladder with a photo, it is found on the board by words
and by distance, bob answers privately, a Mastodon user replies from another server, and
alice reserves it for bob and marks it taken; the board and the listing page show each
step."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.browser.accounts import sign_up, signed_in
from tests.browser.browser import open_tab
from tests.browser.fediverse import deliver, direct_reply, mastodon_on_loopback
from tests.browser.forms import Value, fill, submit
from tests.browser.listings import Photo, answer_privately, make_photo, path_of, post_listing
from tests.browser.site import Site
from tests.waiting import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")

TITLE = "Aluminium ladder, 3 m"
RIVERSIDE = (51.51, -0.12)


async def board_cards(page: Page, filters: Mapping[str, Value] | None = None) -> list[str]:
    """The text of each card on the board, after searching with `filters` (by label); any
    filter but the words is under "More filters", which is opened first."""
    await page.goto("/board")
    if filters:
        if set(filters) - {"Words"}:
            await page.get_by_text("More filters").click()
        await fill(page, filters)
        async with page.expect_navigation() as navigation:
            # Both of the form's Search buttons send it: the one beside the words, and the
            # one below the further filters.
            await page.get_by_role("button", name="Search").last.click()
        response = await navigation.value
        assert response is not None and response.ok, f"searching {filters}: {response}"
    cards = await page.locator("ol.cards > li").all_inner_texts()
    return [" ".join(text.split()) for text in cards]


async def listing_text(page: Page, path: str) -> str:
    await page.goto(path)
    return " ".join((await page.get_by_role("main").inner_text()).split())


async def test_an_offer_from_sign_up_to_taken(browser: Browser, site: Site, tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "ladder.jpg")
    async with (
        open_tab(browser, site.url) as alice,
        open_tab(browser, site.url) as bob,
        open_tab(browser, site.url) as visitor,
    ):
        # Under the open policy, each is a member at once.
        for tab, name in ((alice, "alice"), (bob, "bob")):
            response = await sign_up(tab.page, name, f"{name}'s long password")
            assert response.ok and await signed_in(tab.page), f"{name} is not signed in"

        posted = await post_listing(
            alice.page,
            title=TITLE,
            description="Light and steady. Collect from the library corner.",
            place="Riverside",
            position=RIVERSIDE,
            photos=[Photo(photo, "A folded aluminium ladder against a wall")],
        )
        assert posted.ok
        listing = path_of(alice.page.url)
        image = alice.page.get_by_role("img", name="A folded aluminium ladder against a wall")
        assert await image.evaluate("(img) => img.complete && img.naturalWidth > 0")

        # A visitor finds it by words and by distance, and not with other words or far away.
        [card] = await board_cards(visitor.page, {"Words": "ladder"})
        assert TITLE in card and "Open" in card
        assert await board_cards(visitor.page, {"Words": "piano"}) == []
        near = {"Latitude": "51.512", "Longitude": "-0.121", "Within": "1 km"}
        [card] = await board_cards(visitor.page, near)
        assert TITLE in card and "km away" in card
        far = {"Latitude": "48.85", "Longitude": "2.35", "Within": "50 km"}
        assert await board_cards(visitor.page, far) == []

        # bob answers privately; only alice and bob see it.
        answered = await answer_privately(bob.page, listing, "Could I have it on Saturday?")
        assert answered.ok
        assert "Could I have it on Saturday?" in await bob.page.get_by_role("main").inner_text()
        assert "Could I have it on Saturday?" not in await listing_text(visitor.page, listing)

        # A Mastodon user on another server replies directly to the listing.
        alice_id = f"{site.url}/users/alice"
        async with mastodon_on_loopback("carol") as mastodon:
            reply = direct_reply(
                mastodon,
                "carol",
                1,
                f"{site.url}{listing}",
                alice_id,
                f"@alice@{site.domain}",
                "Is the ladder still there?",
            )
            await deliver(mastodon, "carol", f"{alice_id}/inbox", reply)

            async def carol_in_conversations() -> bool:
                await alice.page.goto("/conversations")
                return "Carol" in await alice.page.get_by_role("main").inner_text()

            await eventually(carol_in_conversations)

        # alice sees bob's answer under her listing and reserves it for him.
        text = await listing_text(alice.page, listing)
        assert "Responses" in text and "Could I have it on Saturday?" in text
        assert (await submit(alice.page, "Reserve for bob")).ok
        assert "Reserved for bob." in await listing_text(alice.page, listing)
        [card] = await board_cards(visitor.page)
        assert "Reserved" in card
        assert "Reserved for someone for now." in await listing_text(bob.page, listing)

        # Taken: off the board, unless closed ones are asked for; closed on its page.
        assert (await submit(alice.page, "Mark as taken")).ok
        assert await board_cards(visitor.page) == []
        [card] = await board_cards(visitor.page, {"Status": "All, closed ones too"})
        assert TITLE in card and "Taken" in card
        text = await listing_text(visitor.page, listing)
        assert "Taken" in text and "This listing is closed: it takes no more answers." in text
        for tab in (alice, bob, visitor):
            tab.watch.assert_clean()
