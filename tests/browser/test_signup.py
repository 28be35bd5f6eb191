"""Joining under the approval and closed policies (the open policy is in test_story.py), in a
real Chromium against a real `fedishare serve` for each policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from tests.browser.accounts import Member, create_member, log_in, member_tab, sign_up, signed_in
from tests.browser.browser import open_tab
from tests.browser.forms import field, send_form, submit
from tests.browser.site import running_site

pytestmark = pytest.mark.asyncio(loop_scope="module")

DORA = Member("dora", "dora's long password")


async def test_under_approval_a_request_waits_for_an_admin(
    browser: Browser, tmp_path: Path
) -> None:
    async with running_site(tmp_path, policy="approval") as site:
        ada = await create_member(site, "ada", admin=True)
        async with open_tab(browser, site.url) as dora, member_tab(browser, site, ada) as admin:
            reason = "I live by the river and borrow Tom's tools."
            asked = await sign_up(dora.page, DORA.name, DORA.password, reason=reason)
            assert asked.ok and not await signed_in(dora.page)
            notice = await dora.page.get_by_role("status").inner_text()
            assert "your request has been sent" in notice
            refused = await log_in(dora.page, DORA)
            assert refused.status == 400 and not await signed_in(dora.page)
            assert "not been approved yet" in await dora.page.get_by_role("alert").inner_text()

            await admin.page.goto("/admin/requests")
            assert reason in await admin.page.get_by_role("main").inner_text()
            assert (await submit(admin.page, "Approve @dora")).ok
            assert "approved" in await admin.page.get_by_role("status").inner_text()

            await log_in(dora.page, DORA)
            assert await signed_in(dora.page)
            for tab in (dora, admin):
                tab.watch.assert_clean()


async def test_when_closed_only_an_invite_link_lets_someone_in(
    browser: Browser, tmp_path: Path
) -> None:
    async with running_site(tmp_path, policy="closed") as site:
        ada = await create_member(site, "ada", admin=True)
        async with open_tab(browser, site.url) as eve, member_tab(browser, site, ada) as admin:
            await eve.page.goto("/signup")
            assert "Sign-ups are closed" in await eve.page.get_by_role("main").inner_text()
            assert await eve.page.get_by_label("Password").count() == 0

            await admin.page.goto("/admin/invites")
            assert (await submit(admin.page, "Make an invite link")).ok
            link = await (await field(admin.page, "Invite link")).input_value()
            assert link.startswith(f"{site.url}/invite/"), link

            await eve.page.goto(link)
            joined = await send_form(
                eve.page, {"Name": "eve", "Password": "eve's long password"}, "Sign up"
            )
            assert joined.ok and await signed_in(eve.page)
            for tab in (eve, admin):
                tab.watch.assert_clean()
