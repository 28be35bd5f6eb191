from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from fedishare.core.types import JSON
from fedishare.storage import actors, objects, remote_actors
from fedishare.storage.database import Database
from fedishare.storage.remote_actors import RemoteActor
from fedishare.storage.rows import chunks, from_row, marks


@dataclass(frozen=True)
class Sample:
    id: int
    name: str | None
    flag: bool
    document: JSON
    ratio: float


def _row(sql: str) -> sqlite3.Row:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    row: sqlite3.Row = conn.execute(sql).fetchone()
    return row


def test_fields_take_the_columns_of_their_names_in_any_order_with_others_ignored() -> None:
    row = _row(
        """SELECT 'x' AS extra, 0.5 AS ratio, '{"a":["é",1]}' AS document, 1 AS flag,"""
        " NULL AS name, 7 AS id"
    )
    sample = from_row(Sample, row)
    assert sample == Sample(id=7, name=None, flag=True, document={"a": ["é", 1]}, ratio=0.5)
    assert sample.flag is True
    unset = from_row(Sample, _row("SELECT 1 id, 'n' name, 0 flag, '{}' document, 2 ratio"))
    assert unset.flag is False


async def test_stored_rows_read_back_as_their_dataclasses(db: Database) -> None:
    async with db.transaction() as tx:
        actor_id = await actors.insert_local_actor(
            tx,
            username="ana",
            kind="person",
            display_name="Ana",
            summary="",
            private_key_pem="private",
            public_key_pem="public",
            manually_approves_followers=True,
            now=datetime(2024, 5, 1),
        )
        note = {"id": "https://a.test/notes/1", "type": "Note", "content": "Grüße ✓"}
        await objects.insert(
            tx, note, attributed_to="https://a.test/users/ana", published="2024-05-01T10:00:00Z"
        )
    local = await actors.find_by_id(db, actor_id)
    assert local is not None
    assert (local.manually_approves_followers, local.discoverable, local.disabled) == (
        True,
        True,
        False,
    )
    assert all(type(v) is bool for v in (local.discoverable, local.disabled))
    stored = await objects.get(db, note["id"])
    assert stored is not None
    assert stored.document == note and stored.deleted is False and stored.local_actor_id is None


async def test_remote_actor_documents_keep_non_ascii_text_as_is(db: Database) -> None:
    actor = RemoteActor(
        id="https://b.test/users/zoë",
        host="b.test",
        type="Person",
        preferred_username="zoë",
        name="Zoë",
        inbox="https://b.test/users/zoë/inbox",
        shared_inbox=None,
        followers=None,
        key_id="https://b.test/users/zoë#main-key",
        public_key_pem="pem",
        fetched_at=12.5,
    )
    async with db.transaction() as tx:
        await remote_actors.upsert(tx, actor, {"id": actor.id, "name": "Zoë"})
    assert await remote_actors.get(db, actor.id) == actor
    assert await remote_actors.get_by_key_id(db, actor.key_id) == actor
    text = await db.fetch_value("SELECT document FROM remote_actors WHERE id = ?", (actor.id,))
    assert text == '{"id":"https://b.test/users/zoë","name":"Zoë"}'


def test_chunks_keep_the_first_of_each_value_in_order_and_split_at_the_size() -> None:
    assert chunks(["b", "a", "b", "c", "d", "a"], 2) == [["b", "a"], ["c", "d"]]
    assert chunks([], 2) == []
    assert [len(c) for c in chunks(range(1001))] == [500, 500, 1]


def test_marks_are_one_placeholder_per_value() -> None:
    assert marks(["x", "y", "z"]) == "?, ?, ?"
    assert marks([7]) == "?"
