"""People on the site under test: members made with `fedishare account create`, and signing
up, logging in and out through the pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from playwright.async_api import Browser, Locator, Page, Response

from tests.browser.browser import Tab, open_tab
from tests.browser.forms import send_form, submit
from tests.browser.site import Site


@dataclass(frozen=True)
class Member:
    name: str
    password: str
    token: str = ""  # for the JSON API; empty for people who signed up in the browser


async def create_member(site: Site, name: str, *, admin: bool = False) -> Member:
    """`fedishare account create NAME`, which prints the password once."""
    out = await site.command("account", "create", name, *(["--admin"] if admin else []))
    printed = dict(re.findall(r"^(password|token):\s+(\S+)$", out, flags=re.MULTILINE))
    assert {"password", "token"} <= printed.keys(), f"no password or token in:\n{out}"
    return Member(name, printed["password"], printed["token"])


async def sign_up(page: Page, name: str, password: str, *, reason: str = "") -> Response:
    """Fill the sign-up form (with a reason under the approval policy) and send it."""
    await page.goto("/signup")
    fields = {"Name": name, "Password": password}
    if reason:
        fields["Why would you like to join?"] = reason
    return await send_form(page, fields, "Ask to join" if reason else "Sign up")


async def log_in(page: Page, member: Member) -> Response:
    await page.goto("/login")
    return await send_form(page, {"Name": member.name, "Password": member.password}, "Log in")


@asynccontextmanager
async def member_tab(browser: Browser, site: Site, member: Member) -> AsyncIterator[Tab]:
    """A fresh browser in which `member` has logged in."""
    async with open_tab(browser, site.url) as tab:
        await log_in(tab.page, member)
        assert await signed_in(tab.page), f"{member.name} could not log in"
        yield tab


async def signed_in(page: Page) -> bool:
    """Whether the page shows someone signed in (the main menu offers to log out)."""
    return await _main_menu(page).get_by_role("button", name="Log out").count() == 1


async def log_out(page: Page) -> Response:
    return await submit(page, "Log out", within=_main_menu(page))


def _main_menu(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")
