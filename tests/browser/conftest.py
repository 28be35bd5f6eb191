"""Fixtures for the browser tests: per test module, one `fedishare serve` (registration policy
from the module's `registration_policy` fixture, "open" unless overridden) and one Chromium;
per test, fresh browser contexts.

Module-scoped async fixtures live on the module's event loop, so every test module here sets
`pytestmark = pytest.mark.asyncio(loop_scope="module")`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser

from tests.browser.browser import Tab, chromium, open_tab
from tests.browser.site import Site, running_site


@pytest.fixture(scope="module")
def registration_policy() -> str:
    """Override in a test module (or parametrize it indirectly) for another policy."""
    return "open"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory, registration_policy: str
) -> AsyncIterator[Site]:
    parent = tmp_path_factory.mktemp(f"browser-{registration_policy}")
    async with running_site(parent, policy=registration_policy) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest_asyncio.fixture(loop_scope="module")
async def tab(browser: Browser, site: Site) -> AsyncIterator[Tab]:
    """A page as a visitor's browser sees it: the site's CSP enforced."""
    async with open_tab(browser, site.url) as opened:
        yield opened


@pytest_asyncio.fixture(loop_scope="module")
async def axe_tab(browser: Browser, site: Site) -> AsyncIterator[Tab]:
    """A page whose CSP is bypassed so that axe-core can be injected into it."""
    async with open_tab(browser, site.url, bypass_csp=True) as opened:
        yield opened
