"""Migration 10 back-fills the status index from a database at schema 9 with data."""

from __future__ import annotations

import json
from pathlib import Path

import aiosqlite

from fedishare.core.activitystreams import PUBLIC
from fedishare.storage.migrations import MIGRATIONS, apply_migrations

BASE = "http://oak.test"


def note(object_id: str, author: str, to: list[str], cc: list[str], **more: object) -> str:
    doc = {"id": object_id, "type": "Note", "attributedTo": author, "to": to, "cc": cc}
    return json.dumps(doc | more)


async def _at_schema_9(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    for number, sql in enumerate(MIGRATIONS[:9], start=1):
        for statement in (s.strip() for s in sql.split(";")):
            if statement:
                await conn.execute(statement)
        await conn.execute(f"PRAGMA user_version = {number}")
    return conn


async def _fill(conn: aiosqlite.Connection) -> None:
    await conn.execute(
        "INSERT INTO local_actors (id, username, kind, private_key_pem, public_key_pem,"
        " created_at) VALUES (1, 'alice', 'person', '', '', ''), (2, 'community', 'group',"
        " '', '', '')"
    )
    await conn.execute(
        "INSERT INTO remote_actors (id, host, type, inbox, followers, key_id, public_key_pem,"
        " document, fetched_at) VALUES ('http://elm.test/u/bob', 'elm.test', 'Person',"
        " 'http://elm.test/inbox', 'http://elm.test/u/bob/fans', 'k', '', '{}', 0)"
    )
    alice, bob = f"{BASE}/users/alice", "http://elm.test/u/bob"
    objects = [
        # id, author, local actor, document, published, deleted, in_reply_to
        (
            f"{BASE}/notes/1",
            alice,
            1,
            note(
                f"{BASE}/notes/1",
                alice,
                [PUBLIC],
                [f"{alice}/followers"],
                tag=[
                    {"type": "Hashtag", "name": "#Bikes"},
                    {"type": "Mention", "href": bob},
                ],
                attachment=[{"type": "Image", "url": "http://x/1.png"}],
            ),
            "2026-01-01T10:00:00Z",
            0,
            None,
        ),
        (
            "http://elm.test/n/2",
            bob,
            None,
            note("http://elm.test/n/2", bob, [f"{alice}/followers"], [PUBLIC]),
            "2026-01-01T10:00:01Z",
            0,
            f"{BASE}/notes/1",
        ),
        (
            "http://elm.test/n/3",
            bob,
            None,
            note("http://elm.test/n/3", bob, ["http://elm.test/u/bob/fans"], []),
            "2026-01-01T10:00:02Z",
            0,
            None,
        ),
        (
            "http://elm.test/n/4",
            bob,
            None,
            note("http://elm.test/n/4", bob, [alice], []),
            "2026-01-01T10:00:02Z",
            0,
            None,
        ),
        (
            "http://elm.test/n/5",
            bob,
            None,
            json.dumps({"id": "http://elm.test/n/5", "type": "Tombstone"}),
            "2026-01-01T10:00:03Z",
            1,
            None,
        ),
    ]
    await conn.executemany(
        "INSERT INTO objects (id, type, attributed_to, local_actor_id, document, published,"
        " deleted, in_reply_to) VALUES (?, 'Note', ?, ?, ?, ?, ?, ?)",
        [(o[0], o[1], o[2], o[3], o[4], o[5], o[6]) for o in objects],
    )
    listing = f"{BASE}/listings/7"
    await conn.execute(
        "INSERT INTO listings (num, id, remote, author, purpose, kind, status, visibility,"
        " title, place_name, end_at, expires_at, extra, published, updated) VALUES"
        " (1, ?, 0, ?, 'offer', 'stay', 'open', 'followers', 'Room', 'Old Town',"
        " '2026-02-01T00:00:00Z', '2026-02-01T00:00:00Z', '{\"images\":[]}',"
        " '2026-01-01T10:00:00Z', '2026-01-01T10:00:00Z')",
        (listing, alice),
    )
    document = {"id": listing, "tag": [{"type": "Hashtag", "name": "#OldTown"}]}
    await conn.execute(
        "INSERT INTO listing_documents (num, document) VALUES (1, ?)", (json.dumps(document),)
    )
    announce = {
        "id": f"{BASE}/activities/a1",
        "type": "Announce",
        "actor": f"{BASE}/users/community",
        "to": [PUBLIC],
        "object": listing,
    }
    await conn.execute(
        "INSERT INTO outbox_activities (activity_id, actor_id, type, object_id, document,"
        " public, published) VALUES (?, 2, 'Announce', ?, ?, 1, '2026-01-01T10:00:00Z')",
        (announce["id"], listing, json.dumps(announce)),
    )


async def test_migration_10_back_fills_notes_listings_and_the_community_boosts(
    tmp_path: Path,
) -> None:
    conn = await _at_schema_9(tmp_path / "old.sqlite3")
    try:
        await _fill(conn)
        await apply_migrations(conn)
        rows = {
            r["uri"]: dict(r)
            for r in await conn.execute_fetchall("SELECT * FROM statuses ORDER BY id")
        }
        tags = await conn.execute_fetchall("SELECT tag, status_id FROM status_tags")
        mentions = await conn.execute_fetchall("SELECT actor, status_id FROM status_mentions")
    finally:
        await conn.close()
    first = rows[f"{BASE}/notes/1"]
    assert (first["kind"], first["visibility"], first["local_actor_id"]) == ("note", "public", 1)
    assert first["has_media"] == 1
    assert first["id"] >> 16 == 1767261600000  # 2026-01-01T10:00:00Z in ms
    reply = rows["http://elm.test/n/2"]
    assert (reply["visibility"], reply["in_reply_to"]) == ("unlisted", f"{BASE}/notes/1")
    assert rows["http://elm.test/n/3"]["visibility"] == "private"  # bob's own collection
    assert rows["http://elm.test/n/4"]["visibility"] == "direct"
    assert rows["http://elm.test/n/5"]["deleted"] == 1
    listing = rows[f"{BASE}/listings/7"]
    assert (listing["kind"], listing["visibility"], listing["local_actor_id"]) == (
        "listing",
        "private",
        1,
    )
    boost = rows[f"{BASE}/activities/a1"]
    assert (boost["kind"], boost["reblog_of"], boost["author"]) == (
        "reblog",
        listing["id"],
        f"{BASE}/users/community",
    )
    assert boost["visibility"] == "public" and boost["id"] > listing["id"]
    assert len({r["id"] for r in rows.values()}) == len(rows) == 7
    assert {(t[0], t[1]) for t in tags} == {
        ("bikes", first["id"]),
        ("offer", listing["id"]),
        ("stay", listing["id"]),
        ("oldtown", listing["id"]),
    }
    assert {(m[0], m[1]) for m in mentions} == {
        ("http://elm.test/u/bob", first["id"]),
        (f"{BASE}/users/alice", rows["http://elm.test/n/4"]["id"]),
    }
