"""The board's Atom feed: valid Atom for any of the board's filters, announced on the page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import urlsplit

from fedishare.core.listing import Place
from tests.harness import Node
from tests.listings.factory import START
from tests.web.board_support import BASE, ELM, ago, card_titles, mine, page, put, theirs

A = "{http://www.w3.org/2005/Atom}"


async def feed(node: Node, query: str = "") -> ET.Element:
    r = await node.client.get(f"{BASE}/board.atom{query}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(r.content)
    assert root.tag == f"{A}feed"
    return root


def text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None and found.text, path
    return found.text


def entry_titles(root: ET.Element) -> list[str]:
    return [text(e, f"{A}title") for e in root.iter(f"{A}entry")]


async def test_the_feed_is_valid_atom_with_an_entry_per_listing(oak: Node) -> None:
    await put(
        oak,
        mine(1, title="Blue bike", description="Rides fine.\x0b", published=ago(5)),
        theirs(
            2,
            title="Sofa & <cushions>",
            kind="wanted",
            purpose="request",
            place=Place("Elm Hill"),
            published=ago(1),
            updated=START,
        ),
    )
    root = await feed(oak)
    # The feed's own metadata (RFC 4287 4.1.1): id, title, updated, an author, links.
    feed_id = text(root, f"{A}id")
    assert feed_id.startswith(f"{BASE}/board.atom")
    assert text(root, f"{A}title") == "Community of oak.test"
    assert text(root, f"{A}updated") == "2026-05-01T10:00:00Z"
    assert text(root, f"{A}author/{A}name") == "Community of oak.test"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert links["self"] == feed_id and (links["alternate"] or "").startswith(f"{BASE}/board")
    sofa, bike = root.findall(f"{A}entry")
    assert text(sofa, f"{A}id") == f"{ELM}/listings/2"
    assert text(sofa, f"{A}title") == "WANTED: Sofa & <cushions>"
    link = sofa.find(f"{A}link[@rel='alternate']")
    assert link is not None and link.get("href") == f"{ELM}/listings/2"
    assert text(sofa, f"{A}updated") == "2026-05-01T10:00:00Z"
    assert text(sofa, f"{A}published") == "2026-05-01T09:59:00Z"
    assert text(sofa, f"{A}author/{A}uri") == f"{ELM}/users/bob"
    assert "Elm Hill" in text(sofa, f"{A}summary")
    assert {c.get("term") for c in sofa.findall(f"{A}category")} == {"request", "ElmHill"}
    # Ours link to their page; a character XML cannot hold is left out.
    assert text(bike, f"{A}id") == f"{BASE}/listings/1"
    assert text(bike, f"{A}summary").startswith("Rides fine.\n")


async def test_the_feed_takes_the_board_filters(oak: Node) -> None:
    await put(
        oak,
        mine(1, title="Blue bike", published=ago(1)),
        mine(2, title="Bike pump wanted", kind="wanted", purpose="request", published=ago(2)),
        theirs(3, title="Drill", kind="lend", published=ago(3)),
        mine(4, title="Old lamp", status="taken", published=ago(4)),
    )
    assert entry_titles(await feed(oak)) == [
        "OFFER · free: Blue bike",
        "WANTED: Bike pump wanted",
        "OFFER · to lend: Drill",
    ]
    assert entry_titles(await feed(oak, "?q=bike&purpose=offer")) == ["OFFER · free: Blue bike"]
    assert entry_titles(await feed(oak, "?kind=lend")) == ["OFFER · to lend: Drill"]
    assert entry_titles(await feed(oak, "?tag=request")) == ["WANTED: Bike pump wanted"]
    assert entry_titles(await feed(oak, "?status=taken")) == ["OFFER · free: Old lamp"]
    empty = await feed(oak, "?q=piano")
    assert entry_titles(empty) == [] and text(empty, f"{A}updated")
    r = await oak.client.get(f"{BASE}/board.atom?lat=north")
    assert r.status_code == 400 and "lat: a number" in r.text


async def test_the_board_announces_the_feed_of_what_it_shows(oak: Node) -> None:
    await put(
        oak,
        mine(1, title="Blue bike"),
        mine(2, title="Sofa", published=ago(1)),
        mine(3, title="Bike wanted", kind="wanted", purpose="request", published=ago(2)),
    )
    for path in ("/board", "/board?q=bike&kind=give", "/tags/request"):
        _, html = await page(oak, path)
        found = re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*>', html)
        assert found is not None, path
        href = re.search(r'href="([^"]*)"', found.group(0))
        assert href is not None
        url = urlsplit(unescape(href.group(1)))
        assert url.path == "/board.atom"
        # The same listings as the page shows.
        entries = [t.split(": ", 1)[1] for t in entry_titles(await feed(oak, "?" + url.query))]
        assert entries == card_titles(html) != [], path
