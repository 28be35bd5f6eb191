"""The board in a browser's eyes: `/` and `/board` with their filters, cards, paging, tags,
the map's data and errors beside the field."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from fedishare.accounts import sessions
from fedishare.accounts.members import create_member
from fedishare.core.listing import Image, Place
from fedishare.listings.wire import to_note
from fedishare.storage import actors
from fedishare.web.photos import photo_src
from fedishare.web.session import SESSION_COOKIE
from tests.clock import FakeClock
from tests.harness import Node, network
from tests.listings.factory import START, stay_offer
from tests.web.board_support import (
    BASE,
    CENTRE,
    ELM,
    ago,
    at,
    card_titles,
    cards,
    mine,
    page,
    put,
    theirs,
    titles,
)

TILES = "https://tiles.example/{z}/{x}/{y}.png"

NodeMaker = Callable[..., Any]


@pytest.fixture
def board_node(tmp_path: Path, clock: FakeClock) -> NodeMaker:
    """oak.test on the hand-moved clock, with any config sections given."""

    @asynccontextmanager
    async def make(**sections: dict[str, Any]) -> AsyncIterator[Node]:
        async with network(tmp_path, clock) as net:
            yield await net.add("oak.test", **sections)

    return make


def more_link(text: str) -> str | None:
    found = re.search(r'href="([^"]*)" rel="next"', text)
    return unescape(found.group(1)) if found else None


def field_error(text: str, name: str) -> str | None:
    found = re.search(rf'<span class="error" id="f-{name}-error">([^<]*)</span>', text)
    return unescape(found.group(1)) if found else None


def input_value(text: str, name: str) -> str:
    found = re.search(rf'<input id="f-{name}" name="{name}" [^>]*value="([^"]*)"', text)
    assert found, name
    return unescape(found.group(1))


async def test_home_shows_the_community_then_every_listing_newest_first(
    board_node: NodeMaker,
) -> None:
    community = {"name": "Oakfield Share", "description": "We share.\n\nBe kind."}
    async with board_node(community=community) as oak:
        await put(
            oak,
            mine(1, title="Ladder", published=ago(30)),
            theirs(2, title="Sofa", published=ago(10)),
            mine(3, title="Taken lamp", status="taken", published=ago(5)),
            mine(4, title="Reserved kettle", status="reserved", published=ago(20)),
        )
        for path in ("/", "/board"):
            status, text = await page(oak, path)
            assert status == 200
            assert "<h1>Oakfield Share</h1>" in text and "Be kind." in text
            assert "@community@oak.test" in text
            # Ours and other servers', open or reserved, the newest first.
            assert card_titles(text) == ["Sofa", "Reserved kettle", "Ladder"]
        assert "Taken lamp" in await titles(oak, "/board?status=any")


async def test_a_card_shows_kind_title_link_place_distance_status_age_and_photo(
    board_node: NodeMaker,
) -> None:
    photo = Image(f"{ELM}/media/sofa.jpg", "A green sofa with two cushions", "image/jpeg")
    async with board_node(community={"latitude": CENTRE[0], "longitude": CENTRE[1]}) as oak:
        await put(
            oak,
            mine(1, title="Blue bike", place=at(2.0), published=START - timedelta(days=3)),
            theirs(
                2,
                title="Green sofa",
                kind="wanted",
                purpose="request",
                status="reserved",
                place=Place("Elm Hill", 51.55, -0.12),
                images=(photo,),
                published=START - timedelta(hours=5),
            ),
        )
        _, text = await page(oak, "/board")
        sofa, bike = cards(text)
        assert f'<a href="{ELM}/listings/2">Green sofa</a>' in sofa
        assert '<a href="/listings/1">Blue bike</a>' in bike
        assert ">Wanted<" in sofa and ">Reserved<" in sofa and ">Free<" in bike and ">Open<" in bike
        assert "Elm Hill" in sofa and "5.6 km away" in sofa and "from elm.example" in sofa
        assert "Somewhere" in bike and "2.2 km away" in bike and "elm.example" not in bike
        assert ">3 days ago</time>" in bike and ">5 hours ago</time>" in sofa
        src = escape(photo_src(photo, thumbnail=True))
        assert f'<img src="{src}" alt="A green sofa with two cushions"' in sofa
        assert "<img" not in bike
        # Another server's listing is answered from the card; ours from its page.
        answer = "/conversations/new?listing=" + quote(f"{ELM}/listings/2", safe="")
        assert f'<a href="{escape(answer)}">Answer privately</a>' in sofa
        assert "Answer privately" not in bike


async def test_filters_purpose_kind_words_and_origin(oak: Node) -> None:
    await put(
        oak,
        mine(1, title="Blue bike", published=ago(1)),
        mine(2, title="Bike pump wanted", kind="wanted", purpose="request", published=ago(2)),
        theirs(3, title="Drill to lend", kind="lend", published=ago(3)),
        theirs(4, title="Help moving a bike", kind="help", purpose="request", published=ago(4)),
        mine(5, **_stay(title="Room by the river"), published=ago(5)),
    )
    everything = ["Blue bike", "Bike pump wanted", "Drill to lend", "Help moving a bike"]
    assert await titles(oak, "/board") == [*everything, "Room by the river"]
    offers = ["Blue bike", "Drill to lend", "Room by the river"]
    assert await titles(oak, "/board?purpose=offer") == offers
    assert await titles(oak, "/board?purpose=request") == ["Bike pump wanted", "Help moving a bike"]
    assert await titles(oak, "/board?kind=stay") == ["Room by the river"]
    assert await titles(oak, "/board?kind=lend") == ["Drill to lend"]
    assert await titles(oak, "/board?q=bike&order=newest") == [
        "Blue bike",
        "Bike pump wanted",
        "Help moving a bike",
    ]
    assert sorted(await titles(oak, "/board?q=bike&purpose=request")) == [
        "Bike pump wanted",
        "Help moving a bike",
    ]
    assert await titles(oak, "/board?origin=remote") == ["Drill to lend", "Help moving a bike"]
    # The quick links keep the other filters.
    _, text = await page(oak, "/board?q=bike")
    stays = re.search(r'<a href="([^"]*)"[^>]*>Stays</a>', text)
    assert stays is not None
    assert parse_qs(urlsplit(unescape(stays.group(1))).query)["q"] == ["bike"]


def _stay(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "stay",
        "start": START + timedelta(days=30),
        "end": START + timedelta(days=40),
        "expires": START + timedelta(days=40),
        "capacity": 2,
        "visibility": "unlisted",
    } | fields


async def test_distance_filters_and_orders_nearest_first(oak: Node) -> None:
    await put(
        oak,
        mine(1, title="Near", place=at(0.5), published=ago(3)),
        mine(2, title="Middle", place=at(3.0), published=ago(1)),
        theirs(3, title="Far", place=at(20.0), published=ago(2)),
        mine(4, title="No position", place=Place("Somewhere"), published=ago(4)),
    )
    here = f"lat={CENTRE[0]}&lon={CENTRE[1]}"
    assert await titles(oak, f"/board?{here}&radius=5&order=nearest") == ["Near", "Middle"]
    assert await titles(oak, f"/board?{here}&radius=50&order=nearest") == ["Near", "Middle", "Far"]
    assert await titles(oak, f"/board?{here}&radius=50&order=newest") == ["Middle", "Far", "Near"]
    # Any distance: every listing, the distance shown where there is a position.
    _, text = await page(oak, f"/board?{here}&radius=any&order=newest")
    assert card_titles(text) == ["Middle", "Far", "Near", "No position"]
    assert [("km away" in c) for c in cards(text)] == [True, True, True, False]


async def test_stays_by_dates_and_party_size(oak: Node) -> None:
    day = START.replace(hour=0) + timedelta(days=30)

    def window(first: int, last: int) -> dict[str, Any]:
        return {
            "start": day + timedelta(days=first),
            "end": day + timedelta(days=last),
            "expires": day + timedelta(days=last),
        }

    await put(
        oak,
        stay_offer(id=f"{BASE}/listings/1", title="Small room", capacity=1, **window(0, 5)),
        stay_offer(id=f"{BASE}/listings/2", title="Big flat", capacity=4, **window(4, 10)),
        stay_offer(id=f"{BASE}/listings/3", title="Later room", capacity=2, **window(20, 25)),
        mine(4, title="Blue bike"),
    )

    def iso_day(n: int) -> str:
        return (day + timedelta(days=n)).date().isoformat()

    dated = f"/board?from={iso_day(3)}&to={iso_day(6)}"
    assert sorted(await titles(oak, dated)) == ["Big flat", "Small room"]
    assert await titles(oak, f"{dated}&party=3") == ["Big flat"]
    assert sorted(await titles(oak, "/board?party=2")) == ["Big flat", "Later room"]
    _, text = await page(oak, dated)
    assert input_value(text, "from") == iso_day(3) and input_value(text, "to") == iso_day(6)
    small = next(c for c in cards(text) if "Small room" in c)
    assert "31 May \u2013 5 Jun" in small  # the stay's dates on its card


async def test_paging_with_a_more_link(oak: Node) -> None:
    await put(oak, *(mine(n, title=f"Thing {n:02}", published=ago(n)) for n in range(25)))
    status, text = await page(oak, "/board?q=&kind=")
    assert status == 200
    assert card_titles(text) == [f"Thing {n:02}" for n in range(20)]
    more = more_link(text)
    assert more is not None and parse_qs(urlsplit(more).query)["offset"] == ["20"]
    _, rest = await page(oak, more)
    assert card_titles(rest) == [f"Thing {n:02}" for n in range(20, 25)]
    assert more_link(rest) is None


async def test_tags_are_the_board_filtered_by_hashtag(oak: Node) -> None:
    bike = mine(1, title="Blue bike", place=Place("Old Town", 51.5, -0.12), published=ago(1))
    await put(
        oak,
        bike,
        mine(2, title="Sofa wanted", kind="wanted", purpose="request", published=ago(2)),
        theirs(3, **_stay(title="Spare room", place=Place("St. Mary's-on-Hill")), published=ago(3)),
    )
    # Every hashtag of a listing points at a tag page that shows it.
    for tag in to_note(bike, BASE)["tag"]:
        path = urlsplit(tag["href"]).path
        assert "Blue bike" in await titles(oak, path), path
    assert await titles(oak, "/tags/oldtown") == ["Blue bike"]
    assert await titles(oak, "/tags/OldTown") == ["Blue bike"]
    assert await titles(oak, "/tags/request") == ["Sofa wanted"]
    assert await titles(oak, "/tags/stay") == ["Spare room"]
    assert await titles(oak, "/tags/stmarysonhill") == ["Spare room"]
    assert await titles(oak, "/tags/offer?kind=give") == ["Blue bike"]
    assert await titles(oak, "/tags/nowhere") == []
    _, text = await page(oak, "/tags/oldtown")
    assert "<h1>#oldtown</h1>" in text
    assert 'action="/tags/oldtown"' in text
    status, text = await page(oak, "/tags/not-a-tag")
    assert status == 400 and "tag: a hashtag" in text


async def test_no_map_without_tiles(oak: Node) -> None:
    await put(oak, mine(1))
    _, text = await page(oak, "/board")
    assert "board-map" not in text and "leaflet" not in text and "map.js" not in text


async def test_a_map_of_the_same_results_when_tiles_are_set(board_node: NodeMaker) -> None:
    config = {"tiles": TILES, "attribution": "Tiles © Example & co"}
    async with board_node(map=config) as oak:
        await put(
            oak,
            mine(1, title="Blue bike", place=Place("Oakfield", 51.5012, -0.1234)),
            theirs(
                2, title="Sofa <wanted>", place=Place("Elm Hill", 51.55, -0.2), published=ago(1)
            ),
            mine(3, title="Ladder", place=Place("Somewhere"), published=ago(2)),
            mine(4, title="Drill", kind="lend", place=at(1), published=ago(3)),
        )
        _, text = await page(oak, "/board?kind=give")
        box = re.search(r'<div id="board-map"[^>]*>', text)
        assert box is not None
        tag = box.group(0)
        assert " hidden" in tag  # shown by map.js: without scripts the list is the board

        def data(name: str) -> str:
            found = re.search(rf"data-{name}=(['\"])(.*?)\1", tag)
            assert found, name
            return unescape(found.group(2))

        assert data("tiles") == TILES and data("attribution") == "Tiles © Example & co"
        markers = json.loads(data("markers"))
        # The filtered results with a position, at the coarse position they carry.
        assert markers == [
            {"lat": 51.5, "lon": -0.12, "title": "Blue bike", "href": "/listings/1"},
            {"lat": 51.55, "lon": -0.2, "title": "Sofa <wanted>", "href": f"{ELM}/listings/2"},
        ]
        assert '<script src="/static/leaflet/leaflet.js" defer></script>' in text
        assert '<script src="/static/map.js" defer></script>' in text
        assert "<script>" not in text
        for asset in ("map.js", "leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/LICENSE"):
            r = await oak.client.get(f"{BASE}/static/{asset}")
            assert r.status_code == 200 and r.content, asset
        icon = await oak.client.get(BASE + "/static/leaflet/images/marker-icon.png")
        assert icon.content[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("query", "field", "reason"),
    [
        ("lat=abc&lon=-0.12", "lat", "a number from -90 to 90"),
        ("lat=51.5&lon=-0.12&radius=900", "radius", "a number from 0.1 to 50"),
        ("from=2026-06-10&to=2026-06-01", "to", "must be after from"),
        ("from=soon&to=2026-06-01", "from", "a date such as 2026-07-01"),
        ("party=0", "party", "a number from 1 to 50"),
        ("lat=&lon=&order=nearest", "order", "nearest needs lat and lon"),
        ("kind=boat", "kind", "'boat' is not one of give, lend, wanted, help, stay"),
    ],
)
async def test_a_bad_field_shows_the_form_with_the_error_beside_it(
    oak: Node, query: str, field: str, reason: str
) -> None:
    await put(oak, mine(1))
    status, text = await page(oak, f"/board?{query}")
    assert status == 400
    assert field_error(text, field) == reason
    assert f'aria-describedby="f-{field}-error"' in text
    assert card_titles(text) == []
    assert '<details class="more-filters" open>' in text  # the field with its error is shown
    if field in ("lat", "from", "to", "party"):
        typed = parse_qs(query)[field][0]
        assert input_value(text, field) == typed  # what the person typed is kept


async def test_a_bad_page_number_is_shown_above_the_form_and_strangers_are_ignored(
    oak: Node,
) -> None:
    await put(oak, mine(1, title="Blue bike"))
    status, text = await page(oak, "/board?offset=-1")
    assert status == 400
    assert re.search(r'<p class="error" role="alert">offset: a number from 0 to 100000', text)
    # A shared link's tracking parameters are no reason to refuse the board.
    assert await titles(oak, "/board?utm_source=mastodon&fbclid=x") == ["Blue bike"]


async def test_the_place_is_prefilled_from_the_member_or_the_community(
    board_node: NodeMaker,
) -> None:
    async with board_node(community={"latitude": 51.5, "longitude": -0.12}) as oak:
        await put(oak, mine(1, place=at(1.0)), mine(2, place=Place("Nowhere"), published=ago(1)))
        _, text = await page(oak, "/")
        assert (input_value(text, "lat"), input_value(text, "lon")) == ("51.50", "-0.12")
        assert 'value="any" selected' in text  # no distance limit until someone sets one
        assert '<details class="more-filters">' in text  # nothing but the defaults: folded
        assert len(cards(text)) == 2 and "1.1 km away" in text
        _, text = await page(oak, "/board?lat=51.5&lon=-0.12")
        assert 'value="10" selected' in text  # the JSON API's default radius, shown
        assert '<details class="more-filters" open>' in text
        # A form sent with the place cleared: no distances.
        _, text = await page(oak, "/board?lat=&lon=&radius=any")
        assert input_value(text, "lat") == "" and "km away" not in text

        inst = oak.instance
        alice = await create_member(inst.db, inst.clock, "alice")
        async with inst.db.transaction() as tx:
            place = {"name": "North", "latitude": 51.6, "longitude": -0.12}
            await actors.set_default_place(tx, alice.id, place)
        refreshed = await actors.find_by_id(inst.db, alice.id)
        assert refreshed is not None
        cookie, _ = await sessions.start(inst, refreshed)
        _, text = await page(oak, "/board", {"Cookie": f"{SESSION_COOKIE}={cookie}"})
        assert (input_value(text, "lat"), input_value(text, "lon")) == ("51.60", "-0.12")
        assert "10 km away" in text
