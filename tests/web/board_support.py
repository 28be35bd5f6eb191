"""Listings on a test instance's board, and reading its pages back (for the board's and the
feed's tests)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

from fedishare.core.listing import Listing, Place
from fedishare.listings.wire import to_note
from fedishare.storage import listings as store
from tests.harness import Node
from tests.listings.factory import START, listing

BASE = "http://oak.test"
ELM = "https://elm.example"
HTML = {"Accept": "text/html"}
CENTRE = (51.50, -0.12)


def mine(n: int, **fields: Any) -> Listing:
    base = {"id": f"{BASE}/listings/{n}", "author": f"{BASE}/users/alice"}
    return listing(**(base | {"audience": f"{BASE}/users/community"} | fields))


def theirs(n: int, **fields: Any) -> Listing:
    base = {"id": f"{ELM}/listings/{n}", "author": f"{ELM}/users/bob", "origin": "remote"}
    return listing(**(base | {"audience": f"{ELM}/users/community"} | fields))


def ago(minutes: int) -> Any:
    return START - timedelta(minutes=minutes)


def at(km_north: float) -> Place:
    return Place("Somewhere", CENTRE[0] + km_north / 111.2, CENTRE[1])


async def put(node: Node, *items: Listing) -> None:
    async with node.instance.db.transaction() as tx:
        for item in items:
            assert await store.upsert(tx, item, to_note(item, item.id.split("/listings/")[0]))


async def page(node: Node, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    r = await node.client.get(BASE + path, headers=HTML | (headers or {}))
    assert r.headers["content-type"].startswith("text/html")
    return r.status_code, r.text


async def titles(node: Node, path: str) -> list[str]:
    status, text = await page(node, path)
    assert status == 200, text
    return card_titles(text)


def card_titles(text: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<h3 class="title">(?:<a [^>]*>)?([^<]*)', text)]


def cards(text: str) -> list[str]:
    return text.split('<li class="card listing-card">')[1:]
