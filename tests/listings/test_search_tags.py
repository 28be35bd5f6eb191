"""Searching by hashtag (the tags a listing's Note carries), and the board's additions to the
search parameters: `tag` and `radius=any`."""

from __future__ import annotations

import pytest

from fedishare.core.errors import Invalid
from fedishare.core.listing import Listing, Place
from fedishare.listings.content import hashtags
from fedishare.listings.search import parse_query
from fedishare.storage.database import Database
from fedishare.storage.listing_search import Query, search
from tests.listings.factory import listing, stay_offer
from tests.listings.test_search import fill

PLACES = ["Old Town", "St. Mary's-on-Hill", "Ödeshög", "king's cross", "Bikeford", ""]


def numbered(n: int, **fields: object) -> Listing:
    return listing(n=n, **fields)


async def tagged(db: Database, tag: str, **query: object) -> list[int]:
    hits = await search(db, Query(tag=tag, statuses=(), **query))  # type: ignore[arg-type]
    return sorted(int(h.listing.id.rsplit("/", 1)[1]) for h in hits)


async def test_every_hashtag_of_a_listing_finds_it(db: Database) -> None:
    items = [
        numbered(i, place=Place(name), purpose="offer" if i % 2 else "request", kind="help")
        for i, name in enumerate(PLACES)
    ]
    items.append(stay_offer(n=10, place=Place("Riverside")))
    await fill(db, *items)
    for item in items:
        number = int(item.id.rsplit("/", 1)[1])
        for tag in hashtags(item):
            # As Mastodon links them (lowercase), and as written.
            for spelling in (tag.lower(), tag):
                assert number in await tagged(db, spelling), (tag, item.place.name)
    assert await tagged(db, "oldtown") == [0]
    assert await tagged(db, "stmarysonhill") == [1]
    assert await tagged(db, "ödeshög") == [2]
    assert await tagged(db, "kingscross") == [3]
    assert await tagged(db, "stay") == [10]
    assert await tagged(db, "request") == [0, 2, 4]
    assert await tagged(db, "offer") == [1, 3, 5, 10]


async def test_a_tag_is_a_whole_name_not_a_part_or_a_pattern(db: Database) -> None:
    await fill(db, numbered(1, place=Place("Old Town")), numbered(2, place=Place("Oldtowne")))
    assert await tagged(db, "oldtown") == [1]
    assert await tagged(db, "old") == []
    assert await tagged(db, "town") == []
    assert await tagged(db, "old*") == []
    assert await tagged(db, "o?dtown") == []
    assert await tagged(db, "[o]ldtown") == []


async def test_a_tag_combines_with_the_other_filters(db: Database) -> None:
    await fill(
        db,
        numbered(1, place=Place("Old Town"), title="Bike"),
        numbered(2, place=Place("Old Town"), title="Sofa", kind="wanted", purpose="request"),
        numbered(3, place=Place("Old Town"), title="Bike", status="taken"),
        numbered(4, place=Place("New Town"), title="Bike"),
    )
    hits = await search(db, Query(tag="oldtown", words="bike"))
    assert [h.listing.id[-1] for h in hits] == ["1"]
    hits = await search(db, Query(tag="OLDTOWN", kinds=("wanted",)))
    assert [h.listing.id[-1] for h in hits] == ["2"]


async def test_a_place_without_a_distance_limit_keeps_every_listing(db: Database) -> None:
    await fill(
        db,
        numbered(1, place=Place("Near", 51.51, -0.12)),
        numbered(2, place=Place("Nowhere in particular")),
    )
    here = (51.5, -0.12)
    hits = await search(db, Query(near=here, order="newest"))
    assert [(h.listing.id[-1], h.distance_km is not None) for h in hits] == [
        ("2", False),
        ("1", True),
    ]
    # Nearest first needs a position.
    assert [h.listing.id[-1] for h in await search(db, Query(near=here))] == ["1"]


def test_tag_and_any_distance_parameters() -> None:
    assert parse_query({"tag": "OldTown"}).tag == "OldTown"
    assert parse_query({"tag": "#stay"}).tag == "stay"
    for bad in ("old-town", "", "a" * 101, "o*"):
        with pytest.raises(Invalid, match=r"^tag: "):
            parse_query({"tag": bad})
    q = parse_query({"lat": "51.5", "lon": "-0.12", "radius": "any"})
    assert q.near == (51.5, -0.12) and q.within_km is None
    assert parse_query({"radius": "any"}).near is None
    # What the JSON API did before stays as it was.
    assert parse_query({"lat": "51.5", "lon": "-0.12"}).within_km == 10.0
    with pytest.raises(Invalid, match=r"^radius: a number from 0\.1 to 50$"):
        parse_query({"lat": "51.5", "lon": "-0.12", "radius": "far"})
    with pytest.raises(Invalid, match=r"^radius: needs lat and lon$"):
        parse_query({"radius": "5"})
    with pytest.raises(Invalid, match=r"^order: relevance needs q$"):
        parse_query({"q": "?!", "order": "relevance"})
