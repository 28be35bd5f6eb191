"""How fast the Mastodon client API serves the home and public timelines over 100,000 statuses.

Makes a temporary instance (the app with its real lifespan, no workers) and fills its database
with `--statuses` notes from `--authors` remote actors on 40 hosts, spread over 90 days (a
tenth of them replies, some tagged #offer/#request, mostly public, some unlisted or
followers-only), and one member, `reader`, who follows `--follows` of the authors. The rows go
in with executemany, as `fedishare.storage.objects.insert` and `fedishare.storage.statuses`
would write them one at a time (the `objects` row with its Note, the `statuses` index row with
its snowflake id, `status_tags`), so that filling takes seconds, not minutes.

Then, through the whole app in-process (routing, the bearer token, the timeline walk, the
entities with their accounts), with a token of every scope:

  home, page 1          GET /api/v1/timelines/home?limit=20
  home, pages 2-5       the same with max_id = the last id of the page before, as apps scroll
  public, page 1 / 2-5  GET /api/v1/timelines/public?limit=20, likewise
  GET status            GET /api/v1/statuses/:id of a random public status: one rendered
  index walk only       fedishare.storage.timelines.home/public: the SQL without rendering
  primary-key read      fedishare.storage.statuses.get(id): the same-run baseline

Each round runs every case once, one after the other, so a drift of the machine's speed
touches them all alike; figures are milliseconds, median and p95 over the rounds, and the
ratio of each median to the primary-key read's.

Run: .venv/bin/python bench/timelines.py [--statuses N] [--authors N] [--follows N]
                                         [--rounds N]                (about a minute)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from fedishare.accounts.members import create_member
from fedishare.app import create_app
from fedishare.core.config import parse_config
from fedishare.core.paging import Page
from fedishare.core.snowflake import snowflake
from fedishare.storage import follows, remote_actors, statuses, timelines, tokens
from fedishare.storage.remote_actors import RemoteActor

HOST = "timelines.bench"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=90)
HOSTS = [f"https://node{i}.example" for i in range(40)]
WORDS = (
    "bike chair table lamp ladder drill tent books guitar kettle garden seeds jacket boots "
    "plants paint rug pans camera tripod evening weekend park station school market river "
    "bridge library bakery coffee rain sunny windy quiet busy neighbours street festival"
).split()
# Never verified here: the bench sends no signed requests.
PEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----\n"


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
                "database": str(directory / "timelines.sqlite3"),
            },
        },
        directory / "instance.toml",
    )
    app = create_app(config, workers=False)
    async with app.router.lifespan_context(app) as state:
        assert state is not None
        transport = httpx.ASGITransport(app=WithState(app, dict(state)))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
            yield client, state["instance"]


def author_ids(count: int) -> list[str]:
    return [f"{HOSTS[n % len(HOSTS)]}/users/u{n}" for n in range(count)]


def actor_document(uri: str) -> tuple[RemoteActor, dict[str, Any]]:
    host, _, name = uri.partition("/users/")
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": name,
        "name": f"Neighbour {name}",
        "summary": f"<p>Lives near {name}'s street.</p>",
        "url": uri,
        "inbox": f"{uri}/inbox",
        "outbox": f"{uri}/outbox",
        "followers": f"{uri}/followers",
        "following": f"{uri}/following",
        "published": "2025-01-01T00:00:00Z",
        "endpoints": {"sharedInbox": f"{host}/inbox"},
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": PEM},
    }
    actor = RemoteActor(
        id=uri,
        host=host.removeprefix("https://"),
        type="Person",
        preferred_username=name,
        name=f"Neighbour {name}",
        inbox=f"{uri}/inbox",
        shared_inbox=f"{host}/inbox",
        followers=f"{uri}/followers",
        key_id=f"{uri}#main-key",
        public_key_pem=PEM,
        fetched_at=NOW.timestamp(),
    )
    return actor, doc


def note(
    rng: random.Random, n: int, author: str, published: str, reply_to: str | None
) -> tuple[dict[str, Any], str, set[str]]:
    """A note as another server sends it, its visibility and its hashtags."""
    words = " ".join(rng.choices(WORDS, k=rng.randrange(8, 40)))
    tags: set[str] = set()
    if rng.random() < 0.15:
        tags.add(rng.choice(("offer", "request")))
    roll = rng.random()
    followers = f"{author}/followers"
    if roll < 0.85:
        visibility, to, cc = "public", [PUBLIC], [followers]
    elif roll < 0.95:
        visibility, to, cc = "unlisted", [followers], [PUBLIC]
    else:
        visibility, to, cc = "private", [followers], []
    host = author.partition("/users/")[0]
    doc: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{author}/statuses/{n}",
        "type": "Note",
        "attributedTo": author,
        "content": "<p>"
        + " ".join(f'<a href="{host}/tags/{t}" class="hashtag">#{t}</a>' for t in sorted(tags))
        + f" {words}</p>",
        "published": published,
        "url": f"{author}/statuses/{n}",
        "to": to,
        "cc": cc,
        "tag": [{"type": "Hashtag", "name": f"#{t}", "href": f"{host}/tags/{t}"} for t in tags],
    }
    if reply_to is not None:
        doc["inReplyTo"] = reply_to
    return doc, visibility, tags


async def fill(inst: Any, count: int, authors: list[str], rng: random.Random) -> list[int]:
    """`count` notes, newest first in time; the ids of the public ones.

    The inserts run with a page cache big enough for the whole database (the unique
    indexes take keys in random order, which a small cache turns into a disk seek each),
    then the cache is put back to what the app set, so that the timings see the app's."""
    async with inst.db.transaction() as tx:
        for uri in authors:
            actor, doc = actor_document(uri)
            await remote_actors.upsert(tx, actor, doc)
    step = SPAN / count
    objects: list[tuple[str | None, ...]] = []
    index: list[tuple[Any, ...]] = []
    tagged: list[tuple[str, int]] = []
    ids: list[int] = []
    uris: list[str] = []
    for n in range(count):
        at = NOW - step * n
        published = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        author = rng.choice(authors)
        reply_to = rng.choice(uris) if uris and rng.random() < 0.1 else None
        doc, visibility, tags = note(rng, n, author, published, reply_to)
        status_id = snowflake(at, n)
        uris.append(doc["id"])
        if visibility == "public":
            ids.append(status_id)
        objects.append(
            (doc["id"], "Note", author, reply_to, json.dumps(doc, separators=(",", ":")), published)
        )
        index.append(
            (status_id, doc["id"], author, visibility, reply_to, published)
        )  # fmt: skip
        tagged.extend((t, status_id) for t in tags)
    async with inst.db.transaction() as tx:
        cache = (await tx.fetch_one("PRAGMA cache_size"))[0]
        await tx.execute("PRAGMA cache_size = -1000000")
        await tx.executemany(
            "INSERT INTO objects (id, type, attributed_to, in_reply_to, document, published)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            objects,
        )
        await tx.executemany(
            "INSERT INTO statuses (id, uri, kind, author, visibility, in_reply_to, has_media,"
            " published, deleted) VALUES (?, ?, 'note', ?, ?, ?, 0, ?, 0)",
            index,
        )
        await tx.executemany("INSERT INTO status_tags (tag, status_id) VALUES (?, ?)", tagged)
        await tx.execute(f"PRAGMA cache_size = {int(cache)}")
    await inst.db.fetch_value("PRAGMA wal_checkpoint(TRUNCATE)")
    return ids


def timings(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[max(0, math.ceil(0.95 * len(ms)) - 1)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--statuses", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=2_000)
    parser.add_argument("--follows", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--pages", type=int, default=5, help="pages walked by max_id")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        async with instance(Path(tmp)) as (client, inst):
            start = time.perf_counter()
            authors = author_ids(args.authors)
            ids = await fill(inst, args.statuses, authors, rng)
            reader = await create_member(inst.db, inst.clock, "reader")
            member_uri = f"http://{HOST}/users/reader"
            followed = rng.sample(authors, args.follows)
            async with inst.db.transaction() as tx:
                for n, uri in enumerate(followed):
                    when = NOW.isoformat()
                    await follows.upsert(
                        tx, member_uri, uri, f"{member_uri}#follows/{n}", "accepted", when
                    )
            token = await tokens.issue(inst.db, reader.id, inst.clock())
            client.headers["Authorization"] = f"Bearer {token}"
            size = (Path(tmp) / "timelines.sqlite3").stat().st_size
            print(
                f"filled {args.statuses:,} statuses by {args.authors:,} authors, reader follows"
                f" {args.follows}, in {time.perf_counter() - start:.1f} s;"
                f" database {size / 1e6:.0f} MB"
            )

            async def api(path: str, params: dict[str, str] | None = None) -> Any:
                r = await client.get(path, params=params)
                if r.status_code != 200:
                    raise SystemExit(f"{path} {params}: {r.status_code} {r.text[:300]}")
                return r.json()

            def walk(path: str) -> Callable[[], Awaitable[int]]:
                """Pages 1..N of `path`, each after the first by max_id = the last id of
                the page before, as an app scrolls."""

                async def pages() -> int:
                    page = await api(path, {"limit": "20"})
                    shown = len(page)
                    for _ in range(args.pages - 1):
                        if not page:
                            break
                        page = await api(path, {"limit": "20", "max_id": page[-1]["id"]})
                        shown += len(page)
                    return shown

                return pages

            home_path, public_path = "/api/v1/timelines/home", "/api/v1/timelines/public"

            async def home_page() -> int:
                return len(await api(home_path, {"limit": "20"}))

            async def public_page() -> int:
                return len(await api(public_path, {"limit": "20"}))

            async def one_status() -> int:
                return int(bool(await api(f"/api/v1/statuses/{rng.choice(ids)}")))

            async def home_sql() -> int:
                return len(await timelines.home(inst.db, member_uri, Page(20)))

            async def public_sql() -> int:
                return len(await timelines.public(inst.db, Page(20)))

            async def by_id() -> int:
                return int(await statuses.get(inst.db, rng.choice(ids)) is not None)

            # (name, what one sample does, requests in one sample)
            cases: list[tuple[str, Callable[[], Awaitable[int]], int]] = [
                ("home, page 1", home_page, 1),
                (f"home, pages 1-{args.pages} (per page)", walk(home_path), args.pages),
                ("public, page 1", public_page, 1),
                (f"public, pages 1-{args.pages} (per page)", walk(public_path), args.pages),
                ("GET /api/v1/statuses/:id", one_status, 1),
                ("home: index walk only", home_sql, 1),
                ("public: index walk only", public_sql, 1),
                ("baseline: primary-key read", by_id, 1),
            ]
            for _, run, _ in cases:  # warm up: account ids made, caches filled
                await run()
            samples: dict[str, list[float]] = {name: [] for name, _, _ in cases}
            shown: dict[str, int] = {name: 0 for name, _, _ in cases}
            for _ in range(args.rounds):
                for name, run, requests in cases:
                    t = time.perf_counter()
                    shown[name] += await run()
                    samples[name].append((time.perf_counter() - t) / requests)
            base, _ = timings(samples["baseline: primary-key read"])
            print(f"{args.rounds} rounds, in-process through the whole app; ms")
            print(f"{'':36} {'median':>8} {'p95':>8} {'x pk read':>10} {'items':>7}")
            for name, _, _ in cases:
                median, p95 = timings(samples[name])
                items = shown[name] / args.rounds
                print(f"{name:36} {median:8.2f} {p95:8.2f} {median / base:9.0f}x {items:7.1f}")


if __name__ == "__main__":
    asyncio.run(main())
