"""How fast listing search runs over 100,000 (or 1,000,000) federated listings, on SQLite
and on PostgreSQL.

Fills a fresh instance database with listings spread over a 60 km region in clustered
neighbourhoods (mixed kinds and statuses, stays with dates, realistic documents), then times
~200 queries of each kind through the real code path (driver, SQL, rows to `Listing`),
beside a primary-key lookup as the same-run baseline. One listing in twenty is
followers-only, and two kinds are asked as a signed-in member following 200 authors (whose
followers-only listings they also see) would ask them. Each query set runs twice: as a fresh
instance has it (no planner statistics) and after ANALYZE. The same listings and queries go
to every backend and size asked for; a table of p95s after ANALYZE ends the run.

On SQLite the fill is the code path's bulk insert (with the statuses index); on PostgreSQL,
COPY into `listings` and `listing_documents`, then the full-text index in one INSERT ...
SELECT (the statuses index, which search does not use, is left out). PostgreSQL gets a
database of its own on the server given (`--postgres`, a superuser's URL), dropped at the end.

Run: .venv/bin/python bench/search.py [--listings 100000,1000000] [--queries N]
        [--backends sqlite,postgresql --postgres postgresql://user@host:port/postgres]
(100,000 on SQLite alone: about 40 s)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from fedishare.core.json_text import compact_json
from fedishare.core.listing import Kind, Listing, Place, Purpose, Status
from fedishare.listings.wire import to_note
from fedishare.storage import listings as store
from fedishare.storage.database import POSTGRESQL, Database, open_database
from fedishare.storage.listing_search import Query, search

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CENTRE = (51.50, -0.12)
REGION_KM = 30.0  # half-width of the region
NEIGHBOURHOODS = 150
HOSTS = [f"https://node{i}.example" for i in range(40)]

THINGS = (
    "bike chair table sofa lamp ladder drill saw tent stroller cot crib desk shelf wardrobe "
    "kettle toaster blender mixer books jigsaw puzzle boardgame guitar piano keyboard "
    "speaker radio television monitor printer scanner laptop phone charger cable jacket coat "
    "boots shoes dress trousers shirt jumper scarf gloves hat umbrella suitcase backpack "
    "plants seeds compost pots spade rake hose mower strimmer paint brushes wallpaper tiles "
    "wood bricks sand cement curtains rug carpet mattress pillow duvet blanket towels plates "
    "cups glasses cutlery pans wok oven fridge freezer microwave heater fan dehumidifier "
    "skateboard scooter helmet skis snowboard kayak paddle fishing rod telescope camera tripod"
).split()
ADJECTIVES = (
    "blue red green black white old new small large wooden metal folding electric vintage "
    "sturdy spare unused broken working clean heavy light kids adult"
).split()
FILLER = (
    "good condition some wear works fine collect from near the park station school "
    "evenings weekends please message first can deliver nearby free to a good home needs a "
    "little repair comes with the box and manual smoke free pet free home"
).split()
HELP = (
    "moving furniture gardening tutoring maths dog walking shopping lifts to hospital "
    "computer help sewing repairs painting a fence assembling flat pack cooking lessons"
).split()
STATUSES: list[tuple[Status, float]] = [
    ("open", 0.70), ("reserved", 0.05), ("taken", 0.12), ("withdrawn", 0.05), ("expired", 0.08),
]  # fmt: skip
KINDS: list[tuple[Kind, Purpose, float]] = [
    ("give", "offer", 0.35), ("wanted", "request", 0.18), ("lend", "offer", 0.10),
    ("help", "offer", 0.07), ("help", "request", 0.08), ("stay", "offer", 0.12),
    ("stay", "request", 0.10),
]  # fmt: skip


def pick(rng: random.Random, weighted: list[Any]) -> Any:
    return rng.choices(weighted, weights=[w[-1] for w in weighted])[0]


def offset(lat: float, lon: float, km_north: float, km_east: float) -> tuple[float, float]:
    return lat + km_north / 111.2, lon + km_east / (111.2 * math.cos(math.radians(lat)))


def neighbourhoods(rng: random.Random) -> list[tuple[str, float, float]]:
    out = []
    for i in range(NEIGHBOURHOODS):
        north, east = (rng.uniform(-REGION_KM, REGION_KM) for _ in range(2))
        lat, lon = offset(*CENTRE, north, east)
        first = rng.choice(["Oak", "Elm", "Ash", "Mill", "Brook", "Hill"])
        last = rng.choice(["field", "wood", "side", "ton", "gate", "ley"])
        out.append((f"{first}{last} {i}", lat, lon))
    return out


def make_listing(rng: random.Random, n: int, places: list[tuple[str, float, float]]) -> Listing:
    kind, purpose, _ = pick(rng, KINDS)
    status, _ = pick(rng, STATUSES)
    if status == "taken" and purpose == "request":
        status = "received"
    name, plat, plon = rng.choice(places)
    lat, lon = offset(plat, plon, rng.gauss(0, 1.0), rng.gauss(0, 1.0))
    published = NOW - timedelta(seconds=rng.randrange(90 * 86400))
    thing = f"{rng.choice(ADJECTIVES)} {rng.choice(THINGS)}"
    words = " ".join(rng.choices(FILLER, k=rng.randrange(15, 50)))
    title = thing.capitalize()
    fields: dict[str, Any] = {}
    expires = published + timedelta(days=14 if kind == "help" else 90)
    end = expires
    if kind == "help":
        title = f"Help with {' '.join(rng.sample(HELP, 2))}"
        fields["hours"] = float(rng.randrange(1, 6))
    elif kind == "stay":
        title = f"{'Room' if purpose == 'offer' else 'Looking for a room'} in {name}"
        start = (NOW + timedelta(days=rng.randrange(-10, 120))).replace(hour=0, minute=0)
        end = start + timedelta(days=rng.randrange(1, 15))
        expires = min(expires, end)
        fields["start"] = start
        if purpose == "offer":
            fields["capacity"] = rng.randrange(1, 5)
        else:
            fields["party_size"] = rng.randrange(1, 5)
    elif kind == "lend":
        fields["return_by"] = published + timedelta(days=rng.randrange(3, 30))
    host = rng.choice(HOSTS)
    return Listing(
        id=f"{host}/listings/{n}",
        author=f"{host}/users/u{rng.randrange(500)}",
        origin="remote",
        purpose=purpose,
        kind=kind,
        status=status,
        title=title,
        description=f"{thing} {words}",
        place=Place(name, lat, lon, 1.0),
        published=published,
        updated=published,
        expires=expires,
        end=end,
        # One in twenty followers-only: what a signed-in member's board also looks through.
        visibility="followers" if n % 20 == 0 else "unlisted" if kind == "stay" else "public",
        audience=f"{host}/users/community",
        **fields,
    )


async def fill(db: Database, count: int, rng: random.Random) -> tuple[float, list[str]]:
    places = neighbourhoods(rng)
    start = time.perf_counter()
    items = [make_listing(rng, n, places) for n in range(count)]

    def rows() -> Iterator[tuple[Listing, dict[str, Any]]]:
        for item in items:
            yield item, to_note(item, item.id.split("/listings/")[0])

    if db.dialect == POSTGRESQL:
        await _copy(db, rows())
    else:
        async with db.transaction() as tx:
            await store.insert_many(tx, rows())
    return time.perf_counter() - start, [i.id for i in items]


async def _copy(db: Database, rows: Iterator[tuple[Listing, dict[str, Any]]]) -> None:
    """PostgreSQL's bulk load: COPY in batches, then the full-text index from the rows."""
    connection = getattr(db, "connection")  # noqa: B009 (PostgreSQL's database only)
    async with connection() as conn, conn.transaction():
        num = 0
        while True:
            batch = [row for _, row in zip(range(20_000), rows, strict=False)]
            if not batch:
                break
            first = num + 1
            num += len(batch)
            await conn.copy_records_to_table(
                "listings",
                columns=["num", *store.COLUMNS],
                records=[(first + i, *store.row_values(item)) for i, (item, _) in enumerate(batch)],
            )
            await conn.copy_records_to_table(
                "listing_documents",
                columns=["num", "document"],
                records=[(first + i, compact_json(doc)) for i, (_, doc) in enumerate(batch)],
            )
        await conn.execute(
            "INSERT INTO listings_fts (rowid, title, description, place_name)"
            " SELECT num, title, description, place_name FROM listings"
        )
        await conn.execute("SELECT setval(pg_get_serial_sequence('listings', 'num'), $1)", num)


def timings(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[max(0, math.ceil(0.95 * len(ms)) - 1)]
    return f"{statistics.median(ms):8.2f} {p95:8.2f}"


async def measure(make: Callable[[random.Random], Awaitable[int]], n: int) -> tuple[str, float]:
    rng = random.Random(7)  # the same queries in both passes
    samples, found = [], 0
    for _ in range(n):
        t = time.perf_counter()
        found += await make(rng)
        samples.append(time.perf_counter() - t)
    return timings(samples), found / n


def point(rng: random.Random) -> tuple[float, float]:
    return offset(*CENTRE, rng.uniform(-REGION_KM, REGION_KM), rng.uniform(-REGION_KM, REGION_KM))


def stay_window(rng: random.Random) -> tuple[datetime, datetime]:
    first = (NOW + timedelta(days=rng.randrange(0, 100))).replace(hour=0, minute=0)
    return first, first + timedelta(days=rng.randrange(2, 8))


CASES = [
    "baseline: get by id", "browse newest (give)", "browse page 50", "words, relevance",
    "two words", "radius 3 km, nearest", "radius 10 km, newest", "stay dates + party",
    "stay dates + 5 km", "words + 5 km + kinds", "signed in: browse (give)",
    "signed in: words",
]  # fmt: skip
# A member following FOLLOWED authors: their board also shows those authors' followers-only
# listings (Query.viewer).
VIEWER = "https://oak.example/users/member"
FOLLOWED = 200


async def run_one(db: Database, count: int, queries: int) -> list[str]:
    """Fill `db` with `count` listings, time the queries; the p95s after ANALYZE."""
    rng = random.Random(42)
    fill_s, ids = await fill(db, count, rng)
    print(f"{db.dialect}: filled {count:,} listings in {fill_s:.1f} s ({count / fill_s:,.0f}/s)")
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO follows (follower, followee, activity_id, state, created_at, updated_at)"
            " VALUES (?, ?, ?, 'accepted', ?, ?)",
            [
                (VIEWER, f"{HOSTS[i % len(HOSTS)]}/users/u{i}", f"{VIEWER}/follows/{i}", "", "")
                for i in range(FOLLOWED)
            ],
        )

    async def by_id(r: random.Random) -> int:
        return int(await store.get(db, r.choice(ids)) is not None)

    async def run(q: Query) -> int:
        return len(await search(db, q))

    cases: list[Callable[[random.Random], Awaitable[int]]] = [
        by_id,
        lambda r: run(Query(kinds=("give",))),
        lambda r: run(Query(offset=1000)),
        lambda r: run(Query(words=r.choice(THINGS))),
        lambda r: run(Query(words=f"{r.choice(ADJECTIVES)} {r.choice(THINGS)}")),
        lambda r: run(Query(near=point(r), within_km=3)),
        lambda r: run(Query(near=point(r), within_km=10, order="newest")),
        lambda r: run(Query(dates=stay_window(r), party_size=r.randrange(1, 4))),
        lambda r: run(Query(dates=stay_window(r), near=point(r), within_km=5)),
        lambda r: run(Query(
            words=r.choice(THINGS), near=point(r), within_km=5, kinds=("give", "lend"))),
        lambda r: run(Query(kinds=("give",), viewer=VIEWER)),
        lambda r: run(Query(words=r.choice(THINGS), viewer=VIEWER)),
    ]  # fmt: skip
    passes = {}
    for label in ("no statistics", "after ANALYZE"):
        if label == "after ANALYZE":
            async with db.transaction() as tx:
                await tx.execute("ANALYZE")
        passes[label] = [await measure(make, queries) for make in cases]
    print(f"{queries} queries each, milliseconds (median, p95), hits per query")
    print(f"{'':24} {'no statistics':>17} {'after ANALYZE':>19} {'hits':>6}")
    for i, name in enumerate(CASES):
        (cold, hits), (warm, _) = passes["no statistics"][i], passes["after ANALYZE"][i]
        print(f"{name:24} {cold}   {warm} {hits:6.1f}")
    return [warm.split()[1] for warm, _ in passes["after ANALYZE"]]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", default="100000", help="sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", default="sqlite", help="sqlite,postgresql")
    parser.add_argument("--postgres", default="", help="a PostgreSQL server's URL")
    args = parser.parse_args()
    sizes = [int(n) for n in args.listings.split(",")]
    backends = args.backends.split(",")
    if "postgresql" in backends and not args.postgres:
        parser.error("--backends postgresql needs --postgres URL")
    columns: dict[str, list[str]] = {}
    for count in sizes:
        for backend in backends:
            print(f"\n== {backend}, {count:,} listings")
            if backend == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / "bench.sqlite3"
                    async with open_database(path) as db:
                        columns[f"{backend} {count:,}"] = await run_one(db, count, args.queries)
                        # Fold the WAL into the file, so that its size is the database's.
                        await db.fetch_value("PRAGMA wal_checkpoint(TRUNCATE)")
                        print(f"database {path.stat().st_size / 1e6:.0f} MB")
            else:
                url = await _create(args.postgres)
                try:
                    async with open_database(url) as db:
                        columns[f"{backend} {count:,}"] = await run_one(db, count, args.queries)
                        size = await db.fetch_value("SELECT pg_database_size(current_database())")
                        print(f"database {size / 1e6:.0f} MB")
                finally:
                    await _drop(args.postgres, url)
    print("\np95 after ANALYZE, milliseconds")
    print(f"{'':24}" + "".join(f"{name:>20}" for name in columns))
    for i, name in enumerate(CASES):
        print(f"{name:24}" + "".join(f"{values[i]:>20}" for values in columns.values()))


async def _create(server: str) -> str:
    name = f"bench_search_{os.getpid()}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


async def _drop(server: str, url: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}"')
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
