"""Fixtures for the client API tests: a member of oak.test with a token of every scope, and
the same on elm.test beside it (the two federate in-process)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from fedishare.accounts.members import create_member
from fedishare.storage import tokens
from fedishare.storage.actors import LocalActor
from tests.harness import Network, Node


@dataclass
class Api:
    """A Mastodon app signed in as one member of one instance."""

    node: Node
    member: LocalActor
    token: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.node.base

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **self.headers, **(extra or {})}

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        url = path if path.startswith("http") else self.base + path
        return await self.node.client.request(method, url, headers=self._headers(headers), **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def new_member(self, name: str) -> tuple[LocalActor, str]:
        """Another member of the same instance, with a token of every scope."""
        inst = self.node.instance
        actor = await create_member(inst.db, inst.clock, name)
        return actor, await tokens.issue(inst.db, actor.id, inst.clock())

    def as_(self, token: str, member: LocalActor | None = None) -> Api:
        """The same instance, called with another token (of `member`, if given)."""
        return Api(self.node, member or self.member, token, dict(self.headers))


async def signed_in(node: Node, name: str) -> Api:
    inst = node.instance
    actor = await create_member(inst.db, inst.clock, name)
    return Api(node, actor, await tokens.issue(inst.db, actor.id, inst.clock()))


@pytest.fixture
async def api(net: Network) -> Api:
    """alice of oak.test."""
    return await signed_in(await net.add("oak.test"), "alice")


@pytest.fixture
async def api_pair(net: Network) -> tuple[Api, Api]:
    """alice of oak.test and bob of elm.test."""
    oak = await net.add("oak.test")
    elm = await net.add("elm.test")
    return await signed_in(oak, "alice"), await signed_in(elm, "bob")
