"""Searching listings: words (ranked), distance, stay dates and party size, status, purpose
and kind, origin and visibility, ordering and paging."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from fedishare.core.listing import Listing, Place
from fedishare.listings.wire import to_note
from fedishare.storage import follows
from fedishare.storage import listings as store
from fedishare.storage.database import Database
from fedishare.storage.listing_search import Query, build, fts_query, haversine_km, search
from tests.listings.factory import OAK, START, listing, stay_offer

CENTRE = (51.50, -0.12)


def at(km_north: float, km_east: float = 0.0) -> Place:
    """A place this far from CENTRE (before rounding to 0.01°)."""
    lat = CENTRE[0] + km_north / 111.2
    lon = CENTRE[1] + km_east / (111.2 * 0.6225)
    return Place("Somewhere", lat, lon)


async def fill(db: Database, *items: Listing) -> None:
    async with db.transaction() as tx:
        for item in items:
            assert await store.upsert(tx, item, to_note(item, OAK))


async def ids(db: Database, **query: Any) -> list[str]:
    return [hit.listing.id.rsplit("/", 1)[1] for hit in await search(db, Query(**query))]


def minutes(n: int) -> Any:
    return START + timedelta(minutes=n)


async def test_words_match_title_description_and_place_ranked(db: Database) -> None:
    await fill(
        db,
        listing(n=1, title="Garden chairs", description="Two folding chairs, bike rack"),
        listing(n=2, title="Blue bike", description="Rides fine", published=minutes(-5)),
        listing(n=3, title="Bikes for kids", description="Two small bikes"),
        listing(n=4, title="Sofa", description="Green", place=Place("Bikeford")),
        listing(n=5, title="Café table", description="Round"),
    )
    # Title matches first, then the place, then the description.
    by_relevance = await ids(db, words="bike")
    assert sorted(by_relevance[:2]) == ["2", "3"] and by_relevance[2:] == ["4", "1"]
    assert await ids(db, words="bike two") == ["3", "1"]  # every word must match
    assert await ids(db, words="CAFE") == ["5"]  # case and accents do not matter
    assert await ids(db, words='bike OR "sofa" NEAR(*') == []  # operators are plain words
    assert await ids(db, words="   ") == ["5", "4", "3", "1", "2"]  # no words: newest first


def test_fts_queries_quote_every_word() -> None:
    assert fts_query('bike-rack "AND" sofa*') == '"bike"* "rack"* "AND"* "sofa"*'
    assert fts_query(" ".join(f"w{i}" for i in range(20))).count('"') == 16


async def test_distance_filters_and_orders_nearest_first(db: Database) -> None:
    await fill(
        db,
        listing(n=1, place=at(0.5)),
        listing(n=2, place=at(-1.8, 1.0)),
        listing(n=3, place=at(3.0)),
        listing(n=4, place=at(0, -8.0)),
        listing(n=5, place=Place("Nowhere in particular")),
    )
    hits = await search(db, Query(near=CENTRE, within_km=2.5))
    assert [h.listing.id[-1] for h in hits] == ["1", "2"]
    assert hits[0].distance_km == pytest.approx(haversine_km(*CENTRE, 51.5, -0.12))
    assert hits[1].distance_km is not None and 1.5 < hits[1].distance_km < 2.5
    assert await ids(db, near=CENTRE, within_km=5) == ["1", "2", "3"]
    assert await ids(db, near=CENTRE) == ["1", "2", "3", "4"]  # everything with a position
    # Same publication time: the later stored comes first.
    assert await ids(db, near=CENTRE, within_km=50, order="newest") == ["4", "3", "2", "1"]


async def test_newest_first_within_a_radius(db: Database) -> None:
    await fill(
        db,
        listing(n=1, place=at(0.5), published=minutes(1)),
        listing(n=2, place=at(1.5), published=minutes(3)),
        listing(n=3, place=at(9.0), published=minutes(4)),
        listing(n=4, place=at(1.0), published=minutes(2)),
    )
    assert await ids(db, near=CENTRE, within_km=3, order="newest") == ["2", "4", "1"]


def test_haversine() -> None:
    # London to Paris, about 344 km.
    assert haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.6, abs=0.5)


async def test_stays_by_date_overlap_and_party_size(db: Database) -> None:
    day = START.replace(hour=0) + timedelta(days=30)

    def window(first: int, last: int) -> dict[str, Any]:
        return {
            "start": day + timedelta(days=first),
            "end": day + timedelta(days=last),
            "expires": day + timedelta(days=last),
        }

    await fill(
        db,
        stay_offer(n=1, capacity=2, **window(0, 5)),
        stay_offer(n=2, capacity=4, **window(4, 10)),
        stay_offer(n=3, capacity=1, **window(12, 14)),
        stay_offer(
            n=4, purpose="request", capacity=None, house_rules="", party_size=3, **window(2, 4)
        ),
        listing(n=5),
    )
    span = (day + timedelta(days=3), day + timedelta(days=6))
    assert sorted(await ids(db, dates=span)) == ["1", "2", "4"]
    assert sorted(await ids(db, dates=span, purpose="offer")) == ["1", "2"]
    # Ends and starts are exclusive: leaving on day 5 does not meet arriving on day 5.
    assert await ids(db, dates=(day + timedelta(days=5), day + timedelta(days=6))) == ["2"]
    assert await ids(db, dates=(day + timedelta(days=20), day + timedelta(days=21))) == []
    assert sorted(await ids(db, party_size=2)) == ["1", "2"]
    assert await ids(db, dates=span, party_size=3) == ["2"]
    assert await ids(db, capacity=3) == ["4"] and await ids(db, capacity=2) == []
    with pytest.raises(ValueError):
        build(Query(dates=(span[1], span[0])))


async def test_status_kind_purpose_origin_and_visibility(db: Database) -> None:
    await fill(
        db,
        listing(n=1),
        listing(n=2, status="taken", published=minutes(1)),
        listing(n=3, kind="wanted", purpose="request", published=minutes(2)),
        listing(n=4, origin="remote", kind="lend", published=minutes(3)),
        listing(n=5, visibility="followers", published=minutes(4)),
        listing(n=6, visibility="unlisted", published=minutes(5)),
    )
    assert await ids(db) == ["6", "4", "3", "1"]  # open, public or unlisted, newest first
    assert await ids(db, statuses=()) == ["6", "4", "3", "2", "1"]
    assert await ids(db, statuses=("taken",)) == ["2"]
    assert await ids(db, purpose="request") == ["3"]
    assert await ids(db, kinds=("give", "lend")) == ["6", "4", "1"]
    assert await ids(db, origin="remote") == ["4"]
    assert await ids(db, origin="local") == ["6", "3", "1"]
    assert await ids(db, visibilities=("public", "unlisted", "followers")) == [
        "6",
        "5",
        "4",
        "3",
        "1",
    ]
    assert await ids(db, author=f"{OAK}/users/bob") == []


async def test_a_viewer_also_finds_the_followers_only_listings_meant_for_them(
    db: Database,
) -> None:
    alice, bob, carol = (f"{OAK}/users/{name}" for name in ("alice", "bob", "carol"))
    dave, erin = "http://elm.test/users/dave", "http://elm.test/users/erin"
    await fill(
        db,
        listing(n=1, author=bob),
        listing(n=2, author=alice, visibility="followers", published=minutes(1)),
        listing(n=3, author=carol, visibility="followers", published=minutes(2)),
        listing(n=4, author=erin, origin="remote", visibility="followers", published=minutes(3)),
        listing(n=5, author=bob, visibility="unlisted", published=minutes(4)),
    )
    async with db.transaction() as tx:
        await follows.upsert(tx, dave, alice, f"{OAK}/f/1", "accepted", "2025-01-01T00:00:00Z")
        await follows.upsert(tx, dave, carol, f"{OAK}/f/2", "pending", "2025-01-01T00:00:00Z")
        await follows.upsert(tx, alice, erin, f"{OAK}/f/3", "accepted", "2025-01-01T00:00:00Z")
        await follows.upsert(
            tx, erin, bob, "http://elm.test/f/4", "rejected", "2025-01-01T00:00:00Z"
        )
    assert await ids(db) == ["5", "1"]  # nobody in particular: no followers-only listing
    assert await ids(db, viewer=dave) == ["5", "2", "1"]  # alice's; carol has not accepted
    assert await ids(db, viewer=alice) == ["5", "4", "2", "1"]  # her own, and erin's
    assert await ids(db, viewer=carol) == ["5", "3", "1"]  # her own only
    assert await ids(db, viewer=erin) == ["5", "4", "1"]
    assert await ids(db, viewer=bob) == ["5", "1"]
    # Narrower visibilities stay narrow for the rest; every visibility is every listing.
    assert await ids(db, viewer=dave, visibilities=("public",)) == ["2", "1"]
    assert await ids(db, viewer=dave, visibilities=()) == ["5", "4", "3", "2", "1"]
    # The condition joins the others: words, origin and moderation still apply.
    assert await ids(db, viewer=alice, origin="remote") == ["4"]
    assert await ids(db, viewer=alice, words="bike", order="newest") == ["5", "4", "2", "1"]


async def test_deleted_listings_are_never_found(db: Database) -> None:
    await fill(db, listing(n=1), listing(n=2))
    async with db.transaction() as tx:
        await store.delete(tx, f"{OAK}/listings/1", START, {"type": "Tombstone"})
    assert await ids(db, statuses=()) == ["2"]


async def test_paging_walks_every_result_once(db: Database) -> None:
    await fill(db, *(listing(n=i, published=minutes(i % 7), place=at(i / 10)) for i in range(23)))
    for order in ("newest", "nearest"):
        seen: list[str] = []
        for page in range(5):
            seen += await ids(db, near=CENTRE, within_km=10, order=order, limit=5, offset=page * 5)
        assert sorted(seen) == sorted(str(i) for i in range(23)), order


async def test_words_place_and_kind_together(db: Database) -> None:
    await fill(
        db,
        listing(n=1, title="Ladder", place=at(1.0)),
        listing(n=2, title="Ladder", place=at(20.0)),
        listing(n=3, title="Ladder", kind="lend", return_by=minutes(9000), place=at(0.5)),
        listing(n=4, title="Tall ladder", kind="wanted", purpose="request", place=at(0.2)),
    )
    assert await ids(db, words="ladder", near=CENTRE, within_km=5, kinds=("give", "lend")) in (
        ["1", "3"],
        ["3", "1"],
    )
    assert await ids(
        db, words="ladder", near=CENTRE, within_km=5, kinds=("give", "lend"), order="nearest"
    ) == ["3", "1"]


async def test_a_query_that_cannot_be_answered_is_refused() -> None:
    with pytest.raises(ValueError):
        build(Query(order="nearest"))
    with pytest.raises(ValueError):
        build(Query(order="relevance"))
    with pytest.raises(ValueError):
        build(Query(within_km=3))


async def test_limits_are_bounded(db: Database) -> None:
    await fill(db, *(listing(n=i) for i in range(3)))
    assert len(await ids(db, limit=0)) == 1
    assert len(await ids(db, limit=10_000)) == 3
    assert await ids(db, offset=-5) == await ids(db)


async def test_search_uses_the_indexes(db: Database) -> None:
    """The plan, not just the answer: a radius uses the position index, dates the stays one."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's plans (its planner has no statistics, and the SQL steers it)")

    async def plan(q: Query) -> str:
        sql, params = build(q)
        rows = await db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)
        return " | ".join(r["detail"] for r in rows)

    assert "listings_position" in await plan(Query(near=CENTRE, within_km=2))
    assert "VIRTUAL TABLE INDEX" in await plan(Query(words="bike"))
    assert "listings_newest" in await plan(Query())
    dated = dataclasses.replace(Query(), dates=(START, START + timedelta(days=1)))
    assert "listings_stay_dates" in await plan(dated) or "listings_kind" in await plan(dated)


async def test_newest_within_a_radius_walks_the_newest_first_and_stays_exact(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut (walk the newest listings, keep those in the circle) must give exactly
    what searching the whole box gives, whether it fills the page or falls back."""
    from fedishare.storage import listing_search

    near = [listing(n=i, place=at(0.3 * (i % 5)), published=minutes(i)) for i in range(0, 40, 2)]
    far = [listing(n=i, place=at(30.0), published=minutes(i)) for i in range(1, 40, 2)]
    await fill(db, *near, *far)
    monkeypatch.setattr(listing_search, "WINDOWS", (4, 6))
    for offset in (0, 3, 8, 17):
        q = Query(near=CENTRE, within_km=2, order="newest", limit=3, offset=offset)
        sql, params = build(q, dialect=db.dialect)
        expected = [row["id"] for row in await db.fetch_all(sql, params)]
        assert [h.listing.id for h in await search(db, q)] == expected, offset
    q = Query(near=CENTRE, within_km=2, order="newest", limit=3)
    sql, params = build(q, window=6, dialect=db.dialect)
    assert "LIMIT ?) l WHERE" in sql
    rows = await db.fetch_all(sql, params)
    assert [r["id"] for r in rows] == [f"{OAK}/listings/{n}" for n in (38, 36, 34)]
    assert listing_search._walks_newest(q)
    assert not listing_search._walks_newest(dataclasses.replace(q, statuses=()))
    assert not listing_search._walks_newest(dataclasses.replace(q, words="bike"))
