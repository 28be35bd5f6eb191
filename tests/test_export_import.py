"""`fedishare export` and `fedishare import`: an instance moved between SQLite and PostgreSQL,
either way, with every row of every table as it was.

An instance in use (members with keys, passwords and tokens, a photo, listings, a deleted
one among them, peers that follow each other, a conversation about a listing, the inbox and
delivery queues) is exported from SQLite and imported into a new database; every table is
then compared row by row, the search answers the same, and the instance runs on its new
database (its keys, tokens and passwords work, new rows get new keys). The way back, into
SQLite again, gives the first database's rows exactly.

A real `fedishare export` runs while `fedishare serve` takes signed activities and listings
are written: its file imports into PostgreSQL whole (every activity answered before the
export began is there, no listing without its document), with its progress and its table of
counts, and `fedishare serve` on PostgreSQL answers WebFinger, the actor with its key, a
listing and a search as the SQLite instance did.

PostgreSQL: FEDISHARE_TEST_POSTGRES names the server (tests/databases.py); without it, the
PostgreSQL cases are skipped.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import os
import shutil
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from fedishare.accounts.members import create_member
from fedishare.accounts.passwords import hash_password, matches
from fedishare.commands import transfer
from fedishare.commands.errors import CommandError
from fedishare.core.config import Config, DatabaseSettings, load_config
from fedishare.core.types import JSON
from fedishare.lifecycle import open_instance
from fedishare.listings import service
from fedishare.media import uploads
from fedishare.storage import actors, tokens
from fedishare.storage.database import open_database
from fedishare.storage.listing_search import Query, search
from fedishare.storage.transfer import snapshot
from tests import harness
from tests.databases import POSTGRES_ENV, fresh_database
from tests.harness import Network, Node, network
from tests.listings.factory import draft, stay_draft
from tests.listings.federation_support import peer, settled
from tests.media.photos import phone_jpeg
from tests.processes import cli, local_site, serving, use_database
from tests.signing_peer import SigningPeer
from tests.waiting import eventually

needs_postgres = pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV),
    reason=f"needs a PostgreSQL server: set {POSTGRES_ENV}=postgresql://USER@HOST:PORT/DB",
)
PASSWORD = "correct horse battery staple"
AS = "application/activity+json"


def sqlite_url(path: Path) -> str:
    return "sqlite:///" + str(path.absolute())


def target_url(kind: str, directory: Path, name: str) -> str:
    """A new, empty database of `kind` for this test."""
    if kind == "sqlite":
        return sqlite_url(directory / f"{name}.sqlite3")
    url = fresh_database(directory, name)
    assert url.startswith("postgresql://")
    return url


async def everything(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table moved, by column name, in key order."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with open_database(url, migrate=False) as db, snapshot(db) as snap:
        for table in await snap.tables():
            rows = found.setdefault(table.name, [])
            async for batch in snap.batches(table, 500):
                rows += [dict(zip(table.columns, row, strict=True)) for row in batch]
    return found


async def searched(url: str) -> list[list[str]]:
    """The ids a few searches find, in order (words ranked, near, every status)."""
    queries = [
        Query(words="bike"),
        Query(words="room"),
        Query(near=(51.5, -0.12), within_km=20),
        Query(statuses=()),
    ]
    async with open_database(url, migrate=False) as db:
        return [[hit.listing.id for hit in await search(db, q)] for q in queries]


@dataclasses.dataclass
class Filled:
    """What `fill` made on oak.test: alice's token, a listing of hers and its photo's file."""

    token: str
    listing: str
    photo: str


@pytest.fixture
def databases(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Domain -> the database URL its instance uses in the harness (else the harness's)."""
    urls: dict[str, str] = {}
    made = harness.make_config

    def make_config(directory: Path, domain: str, **sections: dict[str, Any]) -> Config:
        config = made(directory, domain, **sections)
        if domain not in urls:
            return config
        return dataclasses.replace(config, database=DatabaseSettings(urls[domain], pool_size=2))

    monkeypatch.setattr(harness, "make_config", make_config)
    return urls


async def fill(net: Network) -> Filled:
    """oak.test in use, with elm.test as its peer."""
    oak = await net.add("oak.test")
    elm = await net.add("elm.test")
    inst = oak.instance
    alice = await create_member(
        inst.db, inst.clock, "alice", password_hash=await hash_password(PASSWORD), role="admin"
    )
    await create_member(inst.db, inst.clock, "bob", locked=True)
    token = await tokens.issue(inst.db, alice.id, inst.clock())
    await peer(elm, oak)
    await peer(oak, elm)
    media = await uploads.upload(inst, alice, phone_jpeg((400, 300)), name="bike.jpg")
    image = uploads.image_of(inst, media, "A blue bike")
    bike = await service.create_listing(
        inst, alice, draft(images=[{"url": image.url, "alt": image.alt}])
    )
    start = inst.clock().date() + timedelta(days=30)
    await service.create_listing(
        inst,
        alice,
        stay_draft(
            title="Spare room by the park",
            start=start.isoformat(),
            end=(start + timedelta(days=5)).isoformat(),
        ),
    )
    gone = await service.create_listing(inst, alice, draft(title="Old bike lock"))
    await service.delete_listing(inst, alice, gone.listing.id)
    # carol of elm.test asks about the bike: a conversation on oak.test.
    await create_member(elm.instance.db, elm.instance.clock, "carol")
    carol = await actors.find_by_username(elm.instance.db, "carol")
    assert carol is not None
    carol_token = await tokens.issue(elm.instance.db, carol.id, elm.instance.clock())
    alice_id = "http://oak.test/users/alice"
    note: JSON = {
        "type": "Note",
        "content": "<p>Is the bike still there?</p>",
        "inReplyTo": bike.listing.id,
        "to": [alice_id],
        "tag": [{"type": "Mention", "href": alice_id, "name": "@alice@oak.test"}],
    }
    r = await elm.client.post(
        "http://elm.test/users/carol/outbox",
        json=note,
        headers={"Authorization": f"Bearer {carol_token}", "Content-Type": AS},
    )
    assert r.status_code == 201, r.text

    async def conversation() -> bool:
        n = await inst.db.fetch_value("SELECT count(*) FROM listing_messages")
        return bool(n)

    await eventually(conversation)
    await settled(oak, elm)
    return Filled(token, bike.listing.id, media.path)


def counts_of(out: str) -> dict[str, list[str]]:
    """The table of counts a command printed: table -> its cells."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("table "))
    end = next(i for i, line in enumerate(lines) if line.startswith("all tables"))
    found = {line.split()[0]: line.split()[1:] for line in lines[start + 1 : end]}
    found["all tables"] = lines[end].split()[2:]
    return found


async def answers(node: Node, listing: str) -> list[JSON]:
    """What the instance serves of alice and a listing."""
    got: list[JSON] = []
    for url, accept in [
        ("http://oak.test/.well-known/webfinger?resource=acct:alice@oak.test", "*/*"),
        ("http://oak.test/users/alice", AS),
        (listing, AS),
        ("http://oak.test/api/listings?q=bike", "application/json"),
    ]:
        r = await node.client.get(url, headers={"Accept": accept})
        assert r.status_code == 200, (url, r.text)
        got.append(r.json())
    return got


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=needs_postgres)])
async def test_every_row_moves_to_the_other_database_and_back(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str], databases: dict[str, str]
) -> None:
    source = sqlite_url(tmp_path / "oak.sqlite3")
    databases["oak.test"] = source
    databases["elm.test"] = sqlite_url(tmp_path / "elm.sqlite3")
    async with network(tmp_path) as net:
        filled = await fill(net)
        before_answers = await answers(net.nodes["oak.test"], filled.listing)
    before = await everything(source)
    with closing(sqlite3.connect(tmp_path / "oak.sqlite3")) as conn:
        names = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchall()
    assert set(before) == {n for (n,) in names if not n.startswith(("listings_fts", "sqlite_"))}
    assert filled.photo in json.dumps(before_answers[2])
    for table in (
        "local_actors", "oauth_tokens", "follows", "listings", "listing_documents", "media",
        "listing_conversations", "listing_messages", "inbox_items", "outbox_activities",
        "deliveries", "remote_actors", "statuses",
    ):  # fmt: skip
        assert before[table], f"the instance has no {table} to move"
    exported = tmp_path / "oak.jsonl.gz"
    capsys.readouterr()
    assert await asyncio.to_thread(transfer.export, source, exported) == 0
    out = capsys.readouterr().out
    assert counts_of(out) == {
        **{name: [str(len(rows))] for name, rows in before.items()},
        "all tables": [str(sum(len(rows) for rows in before.values()))],
    }

    target = target_url(kind, tmp_path, "oak_moved")
    assert await asyncio.to_thread(transfer.import_, target, exported) == 0
    out = capsys.readouterr().out
    for name, cells in counts_of(out).items():
        assert cells[0] == cells[1], (name, cells)
    assert int(counts_of(out)["all tables"][0]) == sum(len(rows) for rows in before.values())
    assert await everything(target) == before
    assert await searched(target) == await searched(source)
    if kind == "postgresql":  # the planner's statistics are there for search at once
        async with open_database(target) as db:
            assert await db.fetch_value(
                "SELECT count(*) FROM pg_stats WHERE tablename = 'listings'"
            )

    # A second import into the same database is refused, and changes nothing.
    with pytest.raises(
        CommandError, match=r"already has data \(2 members; 3 listings; rows in deliveries, "
    ):
        await asyncio.to_thread(transfer.import_, target, exported)

    # The moved instance runs: the same answers, alice's password and token, new keys.
    databases["oak.test"] = target
    async with network(tmp_path) as moved:
        oak = await moved.add("oak.test")
        assert await answers(oak, filled.listing) == before_answers
        inst = oak.instance
        alice = await actors.find_by_username(inst.db, "alice")
        assert alice is not None
        assert await tokens.actor_for(inst.db, filled.token) == alice.id
        assert await matches(await actors.password_hash(inst.db, alice.id), PASSWORD)
        dave = await create_member(inst.db, inst.clock, "dave")
        assert dave.id == max(row["id"] for row in before["local_actors"]) + 1
        made = await service.create_listing(inst, dave, draft(title="Green bike"))
        rows = await inst.db.fetch_all("SELECT num FROM listings WHERE id = ?", (made.listing.id,))
        assert rows[0]["num"] == max(row["num"] for row in before["listings"]) + 1
        assert made.listing.id in [
            hit.listing.id for hit in await search(inst.db, Query(words="green"))
        ]

    # And back into SQLite: the first database's rows, from the second's export.
    again = tmp_path / "oak-again.jsonl.gz"
    back = sqlite_url(tmp_path / "oak-back.sqlite3")
    fresh = target_url(kind, tmp_path, "oak_fresh")
    assert await asyncio.to_thread(transfer.import_, fresh, exported) == 0
    assert await asyncio.to_thread(transfer.export, fresh, again) == 0
    with gzip.open(again, "rt") as f:
        assert json.loads(f.readline())["source"] == kind
    assert await asyncio.to_thread(transfer.import_, back, again) == 0
    assert await everything(back) == before
    assert await searched(back) == await searched(source)


async def test_an_import_refuses_another_schema_and_a_cut_file_leaves_nothing(
    tmp_path: Path, databases: dict[str, str]
) -> None:
    source = databases["oak.test"] = sqlite_url(tmp_path / "oak.sqlite3")
    async with network(tmp_path) as net:
        node = await net.add("oak.test")
        for name in ("alice", "bob"):
            await create_member(node.instance.db, node.instance.clock, name)
    exported = tmp_path / "oak.jsonl.gz"
    await asyncio.to_thread(transfer.export, source, exported)
    with pytest.raises(CommandError, match="exists"):
        await asyncio.to_thread(transfer.export, source, exported)
    lines = gzip.decompress(exported.read_bytes()).decode().splitlines(keepends=True)

    older = tmp_path / "older.jsonl.gz"
    header = json.loads(lines[0])
    header["schema"] -= 1
    older.write_bytes(gzip.compress("".join([json.dumps(header) + "\n", *lines[1:]]).encode()))
    target = tmp_path / "target.sqlite3"
    with pytest.raises(CommandError, match=f"exported at schema {header['schema']}"):
        await asyncio.to_thread(transfer.import_, sqlite_url(target), older)

    # Cut before its end line (and before bob's row): refused, and the database stays new.
    cut = tmp_path / "cut.jsonl.gz"
    at = next(i for i, line in enumerate(lines) if '"bob"' in line)
    cut.write_bytes(gzip.compress("".join(lines[:at]).encode()))
    with pytest.raises(CommandError, match="cut short"):
        await asyncio.to_thread(transfer.import_, sqlite_url(target), cut)
    async with open_database(target, migrate=False) as db:
        assert await db.fetch_value("SELECT count(*) FROM local_actors") == 0
    assert await asyncio.to_thread(transfer.import_, sqlite_url(target), exported) == 0
    assert await everything(sqlite_url(target)) == await everything(source)


@needs_postgres
async def test_a_busy_sqlite_instance_exported_serves_the_same_from_postgresql(
    tmp_path: Path,
) -> None:
    site, port = await local_site(tmp_path, "oak")
    toml = site / "instance.toml"
    toml.write_text(
        toml.read_text().replace(
            "inbox_requests_per_minute = 600", "inbox_requests_per_minute = 1000000"
        )
    )
    config = load_config(toml)
    async with open_instance(config, migrate=True) as inst:
        await create_member(inst.db, inst.clock, "alice")
    peer_actors = SigningPeer(["p0", "p1", "p2"])
    await peer_actors.introduce(site / "fedishare.sqlite3")
    base = f"http://127.0.0.1:{port}"
    alice_id = f"{base}/users/alice"
    stop = asyncio.Event()
    answered: list[str] = []  # activities answered 202, in order
    made: list[str] = []  # listings committed, in order

    async with serving(site, port), httpx.AsyncClient(timeout=30) as client:

        async def send(name: str) -> None:
            n = 0
            while not stop.is_set():
                activity = peer_actors.note(name, str(n), alice_id)
                r = await peer_actors.send(client, f"{base}/inbox", activity)
                assert r.status_code == 202, r.text
                answered.append(str(activity["id"]))
                n += 1

        async def write_listings() -> None:
            # A second process's writes on the same file, as `serve`'s own would be.
            async with open_instance(config) as inst:
                alice = await actors.find_by_username(inst.db, "alice")
                assert alice is not None
                n = 0
                while not stop.is_set():
                    title = "Blue bike" if n == 0 else f"Chair number {n}"
                    change = await service.create_listing(inst, alice, draft(title=title))
                    made.append(change.listing.id)
                    n += 1
                    # A SQLite transaction runs on the loop, never waiting: let the senders in.
                    await asyncio.sleep(0)

        tasks = [asyncio.create_task(send(name)) for name in peer_actors.names]
        tasks.append(asyncio.create_task(write_listings()))

        async def busy() -> bool:
            for task in tasks:
                if task.done():
                    task.result()
            return len(answered) >= 20 and len(made) >= 5

        try:
            await eventually(busy, within=60)
            answered_before, made_before = list(answered), list(made)
            code, out, err = await cli(site, "export", str(tmp_path / "oak.jsonl.gz"))
            during = (len(answered) - len(answered_before), len(made) - len(made_before))
        finally:
            stop.set()
            await asyncio.gather(*tasks)
        assert code == 0, err
        assert during[0] > 0 and during[1] > 0, "nothing was written during the export"
        assert "export: " in err and " rows (100%)" in err
        exported = counts_of(out)
        sqlite_answers = await served(client, base, made_before[0])

    # Import into PostgreSQL, on a copy of the site that names it.
    pg_site = tmp_path / "oak-pg"
    pg_site.mkdir()
    shutil.copy(toml, pg_site / "instance.toml")
    if (site / "media").is_dir():
        shutil.copytree(site / "media", pg_site / "media")
    url = fresh_database(tmp_path, "oak_pg")
    use_database(pg_site / "instance.toml", url)
    code, out, err = await cli(pg_site, "import", str(tmp_path / "oak.jsonl.gz"))
    assert code == 0, err
    assert "import: " in err and " rows (100%)" in err
    imported = counts_of(out)
    assert {name: cells[:2] for name, cells in imported.items()} == {
        name: [cells[0], cells[0]] for name, cells in exported.items()
    }
    async with open_database(url, migrate=False) as db:
        inbox = {r[0] for r in await db.fetch_all("SELECT activity_id FROM inbox_items")}
        assert set(answered_before) <= inbox
        listed = [r[0] for r in await db.fetch_all("SELECT id FROM listings ORDER BY num")]
        assert listed == made[: len(listed)] and len(listed) >= len(made_before)
        assert await db.fetch_value(
            "SELECT count(*) FROM listings l JOIN listing_documents d ON d.num = l.num"
        ) == len(listed)

    async with serving(pg_site, port), httpx.AsyncClient(timeout=30) as client:
        assert await served(client, base, made_before[0]) == sqlite_answers


async def served(client: httpx.AsyncClient, base: str, listing: str) -> list[Any]:
    """WebFinger, the actor (with its key), a listing and a search, as served."""
    got: list[Any] = []
    for url, accept in [
        (f"{base}/.well-known/webfinger?resource=acct:alice@{base.split('//')[1]}", "*/*"),
        (f"{base}/users/alice", AS),
        (listing, AS),
        (f"{base}/api/listings?q=bike", "application/json"),
    ]:
        r = await client.get(url, headers={"Accept": accept})
        assert r.status_code == 200, (url, r.text)
        got.append(r.json())
    assert "BEGIN PUBLIC KEY" in got[1]["publicKey"]["publicKeyPem"]
    assert [item["id"] for item in got[3]["items"]] == [listing]
    return got
