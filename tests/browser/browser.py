"""Debian's Chromium driven by Playwright, kept off the internet, and what a page did wrong.

Every browser context routes each request through `_guard_network`: anything not sent to
127.0.0.1 is aborted and recorded, and the fixture that made the context fails the test.
Chromium's own background traffic never reaches the route, so the launch flags turn it off
and the resolver rule leaves it nothing but loopback to resolve.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Response,
    Route,
    StorageState,
    ViewportSize,
    async_playwright,
)

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
LOOPBACK = "127.0.0.1"
DESKTOP_VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

# Reports each Content-Security-Policy violation to Python as it happens. Injected by the
# DevTools protocol, so the page's own CSP does not apply to it.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportCspViolation(
    `${e.effectiveDirective} refused ${e.blockedURI || "inline"} ` +
    `at ${e.sourceFile || document.location.href}:${e.lineNumber}`);
});
"""


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(FLAGS)
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Watch:
    """What went wrong in one browser context, page after page."""

    outside_requests: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    # (message, the URL it is about); see `console_errors`.
    console: list[tuple[str, str]] = field(default_factory=list)
    # Pages answered with an error status: tests assert those statuses themselves.
    refused_pages: set[str] = field(default_factory=set)

    @property
    def console_errors(self) -> list[str]:
        """Console errors and uncaught script errors, except Chromium's own note that a page
        (not an image, style or script on it) was answered with an error status."""
        return [
            f"{text} ({url})" if url else text
            for text, url in self.console
            if not (text.startswith("Failed to load resource") and url in self.refused_pages)
        ]

    def assert_clean(self) -> None:
        """No CSP violation, console error or uncaught script error so far."""
        problems = [f"CSP: {v}" for v in self.csp_violations]
        problems += [f"console: {e}" for e in self.console_errors]
        assert not problems, "the page had problems:\n" + "\n".join(problems)

    def record_csp_violation(self, description: str) -> None:
        self.csp_violations.append(description)

    def record_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append((message.text, message.location.get("url", "")))

    def record_page_error(self, error: Error) -> None:
        self.console.append((f"uncaught {error.name}: {error.message}", ""))

    def record_response(self, response: Response) -> None:
        if response.status >= 400 and response.request.is_navigation_request():
            self.refused_pages.add(response.url)


@dataclass
class Tab:
    """A page in its own browser context, and what went wrong in it."""

    page: Page
    watch: Watch

    async def cookies(self) -> StorageState:
        """This browser's cookies, to open other tabs signed in as the same person."""
        return await self.page.context.storage_state()


@asynccontextmanager
async def open_tab(
    browser: Browser,
    base_url: str,
    *,
    bypass_csp: bool = False,
    signed_in: StorageState | None = None,
) -> AsyncIterator[Tab]:
    """A fresh context (no cookies) with one page. `bypass_csp` lets tests inject scripts
    (axe-core); pages are judged for CSP violations only in contexts without it. `signed_in`
    is the cookies of a browser that logged in (`Tab.cookies`). Fails if the page tried to
    reach anything but loopback."""
    watch = Watch()
    context = await browser.new_context(
        base_url=base_url,
        bypass_csp=bypass_csp,
        viewport=DESKTOP_VIEWPORT,
        service_workers="block",
        storage_state=signed_in,
    )
    try:
        await _guard_network(context, watch)
        await context.expose_function("reportCspViolation", watch.record_csp_violation)
        await context.add_init_script(_CSP_LISTENER)
        page = await context.new_page()
        page.on("console", watch.record_console)
        page.on("pageerror", watch.record_page_error)
        page.on("response", watch.record_response)
        yield Tab(page, watch)
    finally:
        await context.close()
    assert not watch.outside_requests, "the browser tried to leave loopback:\n" + "\n".join(
        watch.outside_requests
    )


async def _guard_network(context: BrowserContext, watch: Watch) -> None:
    async def guard(route: Route) -> None:
        if urlsplit(route.request.url).hostname == LOOPBACK:
            await route.continue_()
        else:
            watch.outside_requests.append(route.request.url)
            await route.abort("blockedbyclient")

    await context.route("**/*", guard)
