"""Search gives the same listings in the same order on SQLite and on PostgreSQL.

The same 10,000 listings (kinds, statuses, places with accents, positions, stay dates, words
in titles, descriptions and place names) go into a SQLite database and a PostgreSQL one, some
are then changed and some deleted in both, and each query below must return the same ids in
the same order from both: words (prefixes, accents, case, relevance), radius with each order,
stay dates, kinds, party size, hashtags, pages, and their combinations.

It needs a PostgreSQL server (FEDISHARE_TEST_POSTGRES, as in the PostgreSQL run of
scripts/test); the words' tokens are checked against SQLite's FTS5 on both backends.
"""

from __future__ import annotations

import dataclasses
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fedishare.core.listing import Kind, Listing, Place, Purpose, Status
from fedishare.core.types import JSON
from fedishare.listings.wire import to_note
from fedishare.storage import listings as store
from fedishare.storage import statuses
from fedishare.storage.database import POSTGRESQL, Database, open_database
from fedishare.storage.fts_tokens import tokens
from fedishare.storage.listing_search import Query, search
from tests.databases import backend

pytestmark = pytest.mark.skipif(
    backend() != "postgresql",
    reason="compares SQLite with PostgreSQL: needs a PostgreSQL server (FEDISHARE_TEST_POSTGRES)",
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CENTRE = (48.85, 2.35)
COUNT = 10_000
HOST = "https://elm.example"
PLACES = (
    "Ödeshög", "Saint-Étienne", "Köln Süd", "São Paulo", "Łódź", "Straße am Ufer", "Ærø",
    "Château-d'Œx", "Oakfield", "Old Town", "Brookside 12", "Montréal", "Ñuñoa", "Zürich",
    "Île-de-France", "Crème Brûlée Row", "Hill Gate", "Millwood",
)  # fmt: skip
THINGS = (
    "bike bikes biking chair table sofa lamp ladder drill tent stroller desk shelf kettle "
    "toaster books puzzle guitar piano café crêpe pan naïve élan garçon façade smörgåsbord "
    "jalapeño über piñata résumé déjà-vu e-bike bike-rack one-speed ol\u2019 foo_bar 3.5"
).split()
FILLER = (
    "good condition some wear works fine collect from near the park station school evenings "
    "weekends please message first can deliver nearby free to a good home needs a little "
    "repair comes with the box Très bien état VÉLO velo Straße strasse foo bar"
).split()
KINDS: list[tuple[Kind, Purpose]] = [
    ("give", "offer"), ("give", "offer"), ("wanted", "request"), ("lend", "offer"),
    ("help", "offer"), ("help", "request"), ("stay", "offer"), ("stay", "request"),
]  # fmt: skip
STATUSES: tuple[Status, ...] = ("open", "reserved", "taken", "withdrawn", "expired")


def _listing(rng: random.Random, n: int) -> Listing:
    kind, purpose = rng.choice(KINDS)
    status = rng.choices(STATUSES, weights=(7, 1, 1, 1, 1))[0]
    if status == "taken" and purpose == "request":
        status = "received"
    place = rng.choice(PLACES)
    # Positions rounded to 0.01°, as stored positions are: distances tie often.
    lat = round(CENTRE[0] + rng.gauss(0, 0.08), 2)
    lon = round(CENTRE[1] + rng.gauss(0, 0.12), 2)
    # Few distinct times, so that ties on time are common too.
    published = NOW - timedelta(minutes=rng.randrange(3000))
    thing = rng.choice(THINGS)
    title = f"{thing.capitalize()} {rng.choice(THINGS)}" if rng.random() < 0.5 else thing
    description = " ".join(rng.choices(FILLER + list(THINGS), k=rng.randrange(3, 40)))
    fields: dict[str, Any] = {}
    expires = end = published + timedelta(days=90)
    if kind == "help":
        fields["hours"] = 2.0
    elif kind == "stay":
        start = (NOW + timedelta(days=rng.randrange(-10, 60))).replace(hour=0, minute=0)
        end = start + timedelta(days=rng.randrange(1, 15))
        expires = min(expires, end)
        fields["start"] = start
        fields["capacity" if purpose == "offer" else "party_size"] = rng.randrange(1, 5)
    elif kind == "lend":
        fields["return_by"] = published + timedelta(days=7)
    return Listing(
        id=f"{HOST}/listings/{n}",
        author=f"{HOST}/users/u{rng.randrange(50)}",
        origin="remote",
        purpose=purpose,
        kind=kind,
        status=status,
        title=title,
        description=description,
        place=Place(place if rng.random() < 0.95 else "", lat, lon, 1.0)
        if rng.random() < 0.9
        else Place(place),
        published=published,
        updated=published,
        expires=expires,
        end=end,
        visibility="unlisted" if kind == "stay" else "public",
        audience=f"{HOST}/users/community",
        **fields,
    )


def _point(rng: random.Random) -> tuple[float, float]:
    return CENTRE[0] + rng.uniform(-0.1, 0.1), CENTRE[1] + rng.uniform(-0.15, 0.15)


def _days(first: int, length: int) -> tuple[datetime, datetime]:
    start = (NOW + timedelta(days=first)).replace(hour=0, minute=0)
    return start, start + timedelta(days=length)


QUERIES: list[tuple[str, Query]] = [
    ("newest", Query()),
    ("any status, page 3", Query(statuses=(), offset=40)),
    ("kinds", Query(kinds=("give", "lend"))),
    ("purpose", Query(purpose="request", limit=50)),
    ("word", Query(words="bike")),
    ("word, prefix", Query(words="bi", limit=100)),
    ("word, deep page", Query(words="bike", offset=60, limit=30)),
    ("two words", Query(words="good bike")),
    ("accent folded", Query(words="CAFE")),
    ("accent typed", Query(words="café crêpe")),
    ("accents both ways", Query(words="velo tres", limit=100)),
    ("uppercase accent", Query(words="ÉLAN", statuses=())),
    ("place word", Query(words="Ödeshög", limit=100)),
    ("place prefix", Query(words="sain", limit=100)),
    ("eszett", Query(words="straße", limit=100)),
    ("hyphen", Query(words="e-bike", limit=100)),
    ("apostrophe", Query(words="ol\u2019", limit=100)),
    ("underscore", Query(words="foo_bar", limit=100)),
    ("decimal", Query(words="3.5", limit=100)),
    ("no token", Query(words="_")),
    ("operators inert", Query(words='bike OR "sofa" NEAR(*')),
    ("words newest", Query(words="bike", order="newest", limit=100)),
    ("words, kinds, any status", Query(words="chair", kinds=("give",), statuses=())),
    ("radius nearest", Query(near=CENTRE, within_km=3, limit=100)),
    ("radius nearest page", Query(near=(48.86, 2.30), within_km=8, offset=100, limit=100)),
    ("radius newest", Query(near=CENTRE, within_km=5, order="newest", limit=100)),
    ("radius newest, kind", Query(near=CENTRE, within_km=5, order="newest", kinds=("give",))),
    ("radius newest, deep", Query(near=CENTRE, within_km=20, order="newest", offset=300)),
    ("near, no radius", Query(near=(48.80, 2.40), limit=100)),
    ("near newest, no radius", Query(near=(48.80, 2.40), order="newest", limit=100)),
    ("radius + words", Query(words="bike", near=CENTRE, within_km=6, limit=100)),
    ("radius + words nearest", Query(words="table", near=CENTRE, within_km=6, order="nearest")),
    ("stay dates", Query(dates=_days(5, 4), limit=100)),
    ("stay dates + party", Query(dates=_days(10, 3), party_size=2, limit=100)),
    ("stay requests + capacity", Query(capacity=3, limit=100)),
    ("stay dates + radius", Query(dates=_days(0, 10), near=CENTRE, within_km=5)),
    ("stay dates + words", Query(dates=_days(0, 30), words="room good", statuses=())),
    ("hashtag place", Query(tag="ödeshög", statuses=(), limit=100)),
    ("hashtag place, ascii", Query(tag="OldTown", statuses=())),
    ("hashtag place, digits", Query(tag="brookside12", limit=100)),
    ("hashtag place, accents", Query(tag="saintétienne", limit=100)),
    ("hashtag purpose", Query(tag="offer", limit=100)),
    ("hashtag stay + dates", Query(tag="stay", dates=_days(0, 20), limit=100)),
    ("hashtag + words", Query(tag="zürich", words="good", statuses=())),
    ("everything", Query(words="bike", kinds=("give", "lend"), near=CENTRE, within_km=10,
                         tag="offer", statuses=("open", "reserved"), offset=5)),
]  # fmt: skip


async def _fill(
    db: Database, listings: list[tuple[Listing, JSON]], changed: list[tuple[Listing, JSON]]
) -> None:
    async with db.transaction() as tx:
        await store.insert_many(tx, listings)
    async with db.transaction() as tx:
        for item, document in changed:
            assert await store.upsert(tx, item, document)
        for n in range(0, COUNT, 97):
            tombstone = {"id": f"{HOST}/listings/{n}", "type": "Tombstone"}
            await store.delete(tx, f"{HOST}/listings/{n}", NOW, tombstone)


async def test_search_gives_the_same_ids_in_the_same_order(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert db.dialect == POSTGRESQL

    async def not_indexed(*args: Any, **kwargs: Any) -> None:
        pass

    # Listings' statuses (the Mastodon API's index) play no part in listing search, and on
    # PostgreSQL indexing 10,000 of them takes a round trip or more each.
    monkeypatch.setattr(statuses, "index_listings", not_indexed)
    rng = random.Random(14)
    listings = [(item, to_note(item, HOST)) for item in (_listing(rng, n) for n in range(COUNT))]
    # Some listings change their words after being stored (the index follows).
    changed = [
        (item, to_note(item, HOST))
        for item in (_changed(_listing(rng, n)) for n in range(5, COUNT, 211))
    ]
    async with open_database(tmp_path / "search.sqlite3") as lite:
        await _fill(lite, listings, changed)
        await _fill(db, listings, changed)
        differ, hits = [], 0
        for name, query in QUERIES:
            expected = [h.listing.id for h in await search(lite, query)]
            got = [h.listing.id for h in await search(db, query)]
            hits += bool(expected)
            if got != expected:
                differ.append(f"{name}: SQLite {expected[:8]}..., PostgreSQL {got[:8]}...")
    assert not differ, "\n".join(differ)
    assert hits >= len(QUERIES) - 3  # all find something but "no token", "operators inert"


def _changed(item: Listing) -> Listing:
    return dataclasses.replace(
        item, title=f"{item.title} Straße update", updated=NOW + timedelta(days=1)
    )


async def test_words_are_tokenized_as_fts5_does(db: Database) -> None:
    """Python's tokens, PostgreSQL's fedishare_tokens and FTS5's unicode61 agree, on every
    character class the data covers and on random text."""
    rng = random.Random(5)
    pool = [chr(c) for c in [*range(1, 0x250), *range(0x2B0, 0x530), *range(0x1E00, 0x2070)]]
    pool += list("\u00a0\u2019\u2014\ufb01\uff21\u3042\u4e00\U00010400\U0001f600e\u0301")
    texts = [
        "Ödeshög Köln São Paulo Łódź Straße naïve e\u0301cole \u0301x foo_bar it\u2019s 1.5 a-b",
        *("".join(rng.choices(pool, k=rng.randrange(1, 30))) for _ in range(400)),
    ]
    lite = sqlite3.connect(":memory:")
    lite.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize = 'unicode61 remove_diacritics 2')")
    lite.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
    for i, text in enumerate(texts):
        lite.execute("INSERT INTO t (rowid, a) VALUES (?, ?)", (i, text))
    expected: dict[int, list[str]] = {i: [] for i in range(len(texts))}
    for doc, term in lite.execute("SELECT doc, term FROM v ORDER BY doc, col, offset"):
        expected[doc].append(term)
    rows = await db.fetch_all(
        "SELECT n, fedishare_tokens(t) AS words FROM unnest(CAST(? AS text[]))"
        " WITH ORDINALITY AS s(t, n)",
        (texts,),
    )
    on_postgres = {int(r["n"]) - 1: list(r["words"]) for r in rows}
    for i, text in enumerate(texts):
        assert tokens(text) == expected[i] == on_postgres[i], repr(text)
