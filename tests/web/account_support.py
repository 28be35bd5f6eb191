"""Browsing an in-process instance as a person does: a browser with its own cookies that asks
for HTML and posts forms with the token the page gave it."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from fedishare.accounts.members import create_member
from fedishare.accounts.passwords import hash_password
from fedishare.storage.actors import LocalActor
from tests.harness import Network, Node

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, path: str, **params: str) -> httpx.Response:
        return await self.client.get(path, params=params)

    async def token(self, page: str) -> str:
        """The form token a page shows this browser."""
        found = _TOKEN.search((await self.get(page)).text)
        assert found is not None, f"{page} shows no form"
        return found[1]

    async def submit(self, page: str, action: str, **fields: Any) -> httpx.Response:
        """Open `page`, then post its form to `action` with `fields` and the page's token."""
        token = await self.token(page)
        return await self.client.post(action, data={"csrf_token": token, **fields})

    async def post(self, action: str, **fields: Any) -> httpx.Response:
        """A post without opening a page first (no token unless given)."""
        return await self.client.post(action, data=fields)

    async def log_in(self, name: str, password: str = PASSWORD) -> httpx.Response:
        return await self.submit("/login", "/login", username=name, password=password)

    def cookie(self, name: str) -> str | None:
        return self.client.cookies.get(name)


@asynccontextmanager
async def browser(net: Network, node: Node) -> AsyncIterator[Browser]:
    async with httpx.AsyncClient(
        transport=net.router,
        base_url=node.instance.config.base_url,
        headers={"Accept": "text/html,application/xhtml+xml"},
        timeout=10.0,
    ) as client:
        yield Browser(client)


_hashes: dict[str, str] = {}


async def member_with_password(
    node: Node, name: str, *, role: str = "member", password: str = PASSWORD
) -> LocalActor:
    # Hashing is slow on purpose: once per password for the whole run.
    if password not in _hashes:
        _hashes[password] = await hash_password(password)
    inst = node.instance
    return await create_member(
        inst.db, inst.clock, name, password_hash=_hashes[password], role=role
    )


def set_cookie_headers(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def error_beside(page: str, field: str) -> str | None:
    """The error shown beside a form field, if any."""
    found = re.search(rf'id="{field}-error">([^<]*)<', page)
    return None if found is None else html.unescape(found[1])
