"""How fast listing search runs over 100,000 federated listings.

Fills a fresh instance database with listings spread over a 60 km region in clustered
neighbourhoods (mixed kinds and statuses, stays with dates, realistic documents), then times
~200 queries of each kind through the real code path (aiosqlite, SQL, rows to `Listing`),
beside a primary-key lookup as the same-run baseline. Each query set runs twice: as a fresh
instance has it (no planner statistics) and after ANALYZE.

Run: .venv/bin/python bench/search.py [--listings N] [--queries N]   (about 40 s)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fedishare.core.listing import Kind, Listing, Place, Purpose, Status
from fedishare.listings.wire import to_note
from fedishare.storage import listings as store
from fedishare.storage.database import Database, open_database
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
        visibility="unlisted" if kind == "stay" else "public",
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

    async with db.transaction() as tx:
        await store.insert_many(tx, rows())
    return time.perf_counter() - start, [i.id for i in items]


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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        async with open_database(path) as db:
            fill_s, ids = await fill(db, args.listings, rng)
            # Fold the WAL into the file, so that its size is the database's.
            await db.fetch_value("PRAGMA wal_checkpoint(TRUNCATE)")
            size = path.stat().st_size
            print(f"filled {args.listings:,} listings in {fill_s:.1f} s "
                  f"({args.listings / fill_s:,.0f}/s), database {size / 1e6:.0f} MB")  # fmt: skip

            async def by_id(r: random.Random) -> int:
                return int(await store.get(db, r.choice(ids)) is not None)

            async def run(q: Query) -> int:
                return len(await search(db, q))

            cases: list[tuple[str, Callable[[random.Random], Awaitable[int]]]] = [
                ("baseline: get by id", by_id),
                ("browse newest (give)", lambda r: run(Query(kinds=("give",)))),
                ("browse page 50", lambda r: run(Query(offset=1000))),
                ("words, relevance", lambda r: run(Query(words=r.choice(THINGS)))),
                ("two words", lambda r: run(Query(
                    words=f"{r.choice(ADJECTIVES)} {r.choice(THINGS)}"))),
                ("radius 3 km, nearest", lambda r: run(Query(near=point(r), within_km=3))),
                ("radius 10 km, newest", lambda r: run(
                    Query(near=point(r), within_km=10, order="newest"))),
                ("stay dates + party", lambda r: run(Query(
                    dates=stay_window(r), party_size=r.randrange(1, 4)))),
                ("stay dates + 5 km", lambda r: run(Query(
                    dates=stay_window(r), near=point(r), within_km=5))),
                ("words + 5 km + kinds", lambda r: run(Query(
                    words=r.choice(THINGS), near=point(r), within_km=5, kinds=("give", "lend")))),
            ]  # fmt: skip
            passes = {}
            for label in ("no statistics", "after ANALYZE"):
                if label == "after ANALYZE":
                    async with db.transaction() as tx:
                        await tx.execute("ANALYZE")
                passes[label] = [await measure(make, args.queries) for _, make in cases]
            print(f"{args.queries} queries each, milliseconds (median, p95), hits per query")
            print(f"{'':24} {'no statistics':>17} {'after ANALYZE':>19} {'hits':>6}")
            for i, (name, _) in enumerate(cases):
                (cold, hits), (warm, _) = passes["no statistics"][i], passes["after ANALYZE"][i]
                print(f"{name:24} {cold}   {warm} {hits:6.1f}")


if __name__ == "__main__":
    asyncio.run(main())
