"""How fast the board page renders over 100,000 listings, beside the JSON API's answer to the
same query in the same run.

Makes a temporary instance (the app with its real lifespan, no workers), fills its database
through fedishare.storage with the federated listings of bench/search.py (a fifth of them
with a photo), then asks for a few typical boards: each request goes through the whole app
in-process (routing, security headers, search, cards, the template), and right after it the
same parameters go to `GET /api/listings`. The two are timed one after the other on the same
queries, so that a drift in the machine's speed touches both alike; each board page must show
as many cards as the API returns items.

Run: .venv/bin/python bench/board.py [--listings N] [--requests N]   (about a minute)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from search import CENTRE, THINGS, make_listing, neighbourhoods, point, stay_window
from starlette.types import ASGIApp, Receive, Scope, Send

from fedishare.app import create_app
from fedishare.core.config import parse_config
from fedishare.core.listing import Image, Listing
from fedishare.listings.content import hashtags
from fedishare.listings.wire import to_note
from fedishare.storage import listings as store

HOST = "board.bench"
Params = dict[str, str]


class WithState:
    """The lifespan's state in every request scope, as uvicorn gives it."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "state": dict(self.state)}, receive, send)


@asynccontextmanager
async def instance(directory: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    config = parse_config(
        {
            "instance": {
                "domain": HOST,
                "scheme": "http",
                "allow_insecure": True,
                "database": str(directory / "board.sqlite3"),
            },
            "community": {"latitude": CENTRE[0], "longitude": CENTRE[1]},
            "map": {"tiles": "https://tile.example/{z}/{x}/{y}.png"},
        },
        directory / "instance.toml",
    )
    app = create_app(config, workers=False)
    async with app.router.lifespan_context(app) as state:
        assert state is not None
        transport = httpx.ASGITransport(app=WithState(app, dict(state)))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
            yield client, state["instance"]


def with_photo(rng: random.Random, item: Listing) -> Listing:
    if rng.random() >= 0.2:
        return item
    photo = Image(f"{item.id}/photo.jpg", f"A photo of {item.title.lower()}", "image/jpeg")
    return dataclasses.replace(item, images=(photo,))


async def fill(inst: Any, count: int, rng: random.Random) -> tuple[float, list[Listing]]:
    places = neighbourhoods(rng)
    start = time.perf_counter()
    items = [with_photo(rng, make_listing(rng, n, places)) for n in range(count)]

    def rows() -> Iterator[tuple[Listing, dict[str, Any]]]:
        for item in items:
            yield item, to_note(item, item.id.split("/listings/")[0])

    async with inst.db.transaction() as tx:
        await store.insert_many(tx, rows())
    await inst.db.fetch_value("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - start, items


def near(rng: random.Random, radius: str) -> Params:
    lat, lon = point(rng)
    return {"lat": f"{lat:.2f}", "lon": f"{lon:.2f}", "radius": radius}


def timings(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[max(0, math.ceil(0.95 * len(ms)) - 1)]


async def timed(client: httpx.AsyncClient, url: str, accept: str) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    r = await client.get(url, headers={"Accept": accept})
    elapsed = time.perf_counter() - start
    if r.status_code != 200:
        raise SystemExit(f"{url}: {r.status_code} {r.text[:300]}")
    return elapsed, r


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="per filter and side")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        async with instance(Path(tmp)) as (client, inst):
            fill_s, items = await fill(inst, args.listings, rng)
            print(f"filled {args.listings:,} listings in {fill_s:.1f} s")
            tags = sorted({hashtags(i)[-1].lower() for i in items if not i.is_stay})
            live = {"status": "open,reserved"}
            centre = {"lat": f"{CENTRE[0]:.2f}", "lon": f"{CENTRE[1]:.2f}", "radius": "any"}
            # (name, board path, the parameters both sides get)
            cases: list[tuple[str, str, Callable[[random.Random], Params]]] = [
                ("front page (newest)", "/", lambda r: live | centre | {"order": "newest"}),
                ("offers, page 5", "/board", lambda r: live | centre | {
                    "purpose": "offer", "order": "newest", "offset": "80"}),
                ("words", "/board", lambda r: live | {"q": r.choice(THINGS)}),
                ("5 km, newest", "/board", lambda r: live | near(r, "5") | {"order": "newest"}),
                ("10 km, give, nearest", "/board", lambda r: live | near(r, "10") | {
                    "kind": "give", "order": "nearest"}),
                ("stays: dates + party", "/board", lambda r: live | {
                    "kind": "stay", "order": "newest", "party": str(r.randrange(1, 4)),
                    **dict(zip(("from", "to"), (d.date().isoformat() for d in stay_window(r)),
                               strict=True))}),
                ("a neighbourhood's tag", "/board", lambda r: live | {
                    "tag": r.choice(tags), "order": "newest"}),
            ]  # fmt: skip
            # Warm up: the first request of each kind compiles templates and fills caches.
            for _, path, make in cases:
                query = urlencode(make(random.Random(0)))
                await timed(client, f"{path}?{query}", "text/html")
                await timed(client, f"/api/listings?{query}", "application/json")
            print(f"{args.requests} requests each, in-process through the whole app; ms")
            print(f"{'':24} {'board page':>17} {'GET /api/listings':>19} {'ratio':>7} {'hits':>6}")
            print(f"{'':24} {'median':>8} {'p95':>8} {'median':>9} {'p95':>9} {'median':>7}")
            for name, path, make in cases:
                page_s, api_s, found = [], [], 0
                r = random.Random(7)
                for _ in range(args.requests):
                    query = urlencode(make(r))
                    # The front page as a newcomer opens it: its defaults are the parameters.
                    board_url = path if path == "/" else f"{path}?{query}"
                    page_t, page = await timed(client, board_url, "text/html")
                    api_t, api = await timed(client, f"/api/listings?{query}", "*/*")
                    cards = page.text.count('<li class="card listing-card">')
                    if cards != len(api.json()["items"]):
                        raise SystemExit(f"{board_url}: {cards} cards, the API found otherwise")
                    page_s.append(page_t)
                    api_s.append(api_t)
                    found += cards
                (pm, pp), (am, ap) = timings(page_s), timings(api_s)
                print(
                    f"{name:24} {pm:8.2f} {pp:8.2f} {am:9.2f} {ap:9.2f} {pm / am:6.1f}x"
                    f" {found / args.requests:6.1f}"
                )


if __name__ == "__main__":
    asyncio.run(main())
