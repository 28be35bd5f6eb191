"""Browsers for in-process page tests: a member signed in on one instance of the harness (a
session started as the log-in page would), or a visitor; both ask for HTML, as browsers do."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from fedishare.accounts import sessions
from fedishare.storage.actors import LocalActor
from fedishare.web.session import FORM_COOKIE, SESSION_COOKIE
from tests.harness import Network, Node

HTML = "text/html,application/xhtml+xml"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Browser:
    client: httpx.AsyncClient
    base: str
    csrf: str

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(self.base + path, **kwargs)

    async def post(self, path: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        """A form post carrying this browser's CSRF token."""
        return await self.client.post(
            self.base + path, data={"csrf_token": self.csrf, **data}, **kwargs
        )


@asynccontextmanager
async def signed_in(net: Network, node: Node, member: LocalActor) -> AsyncIterator[Browser]:
    cookie, session = await sessions.start(node.instance, member)
    headers = {"Accept": HTML, "Cookie": f"{SESSION_COOKIE}={cookie}"}
    async with httpx.AsyncClient(transport=net.router, headers=headers, timeout=10) as client:
        yield Browser(client, node.base, session.csrf_token)


@asynccontextmanager
async def visitor(net: Network, node: Node, page: str) -> AsyncIterator[Browser]:
    """Someone not signed in, who has opened `page` (which hands out the form token)."""
    async with httpx.AsyncClient(
        transport=net.router, headers={"Accept": HTML}, timeout=10
    ) as client:
        r = await client.get(node.base + page)
        assert r.status_code == 200, r.text
        found = _TOKEN.search(r.text)
        assert found is not None, "the page has no form"
        client.headers["Cookie"] = f"{FORM_COOKIE}={r.cookies[FORM_COOKIE]}"
        yield Browser(client, node.base, found.group(1))
