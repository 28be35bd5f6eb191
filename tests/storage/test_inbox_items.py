"""The inbox queue's SQL: claims are atomic leases, outcomes and releases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fedishare.storage import inbox_items
from fedishare.storage.database import Database, open_database
from fedishare.storage.inbox_items import NewItem
from tests.databases import fresh_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(fresh_database(tmp_path, "db")) as database:
        async with database.transaction() as tx:
            await inbox_items.insert_many(
                tx,
                [NewItem(f"http://p.test/{n}", "http://p.test/u", None, "{}") for n in range(5)],
                100.0,
            )
        yield database


async def test_claims_take_due_items_oldest_first_and_lease_them(db: Database) -> None:
    async with db.transaction() as tx:
        first = await inbox_items.claim_due(tx, 100.0, 60.0, 3)
        second = await inbox_items.claim_due(tx, 100.0, 60.0, 3)
        third = await inbox_items.claim_due(tx, 100.0, 60.0, 3)
    assert [i.id for i in first] == [1, 2, 3]
    assert [i.id for i in second] == [4, 5]
    assert third == []
    assert {i.attempts for i in first + second} == {1}
    async with db.transaction() as tx:
        assert len(await inbox_items.claim_due(tx, 160.0, 60.0, 10)) == 5  # leases ran out


async def test_outcomes(db: Database) -> None:
    async with db.transaction() as tx:
        await inbox_items.claim_due(tx, 100.0, 60.0, 5)
        await inbox_items.mark_processed(tx, [1], 101.0)
        await inbox_items.mark_failed(tx, [(2, "no")], 101.0)
        await inbox_items.retry_later(tx, [(3, "later", 500.0)])
        await inbox_items.release(tx, [4, 5], 101.0)
    rows = await db.fetch_all(
        "SELECT id, state, attempts, next_try, error FROM inbox_items ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        (1, "processed", 1, 160.0, None),
        (2, "failed", 1, 160.0, "no"),
        (3, "received", 1, 500.0, "later"),
        (4, "received", 0, 101.0, None),
        (5, "received", 0, 101.0, None),
    ]
    assert await inbox_items.count_by_state(db) == {"processed": 1, "failed": 1, "received": 3}


async def test_store_many_keeps_bodies_exactly_and_ignores_replays(tmp_path: Path) -> None:
    # The batch travels as JSON into SQLite; every body must come back byte for byte.
    bodies = [
        '{"content": "quotes \\" and \\\\ backslashes"}',
        '{"content": "tab\\t, newline\\n, \\u0000 as escapes"}',
        '{"content": "raw\ttab, raw\nnewline, \u2028, é, 漢字, 🌻"}',
        '{"content": "\\ud83c\\udf3b escaped surrogates stay escaped"}',
    ]
    items = [
        NewItem(f"http://p.test/{n}", "http://p.test/u", None, b) for n, b in enumerate(bodies)
    ]
    async with open_database(fresh_database(tmp_path, "db")) as db:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO local_actors (kind, username, display_name, private_key_pem,"
                " public_key_pem, created_at) VALUES ('person', 'ann', 'Ann', '', '', 0)"
            )
        await inbox_items.store_many(
            db, [*items, NewItem("http://p.test/m", "http://p.test/u", 1, "{}")], 100.5
        )
        replay = NewItem("http://p.test/0", "http://p.test/other", None, "{}")
        await inbox_items.store_many(db, [replay], 200.0)
        rows = await db.fetch_all(
            "SELECT activity_id, actor, recipient_id, body, next_try, received_at, state"
            " FROM inbox_items ORDER BY id"
        )
    assert [r["body"] for r in rows] == [*bodies, "{}"]
    assert [r["recipient_id"] for r in rows] == [None] * len(bodies) + [1]
    assert {(r["actor"], r["next_try"], r["received_at"], r["state"]) for r in rows} == {
        ("http://p.test/u", 100.5, 100.5, "received")
    }


async def test_deleting_finished_items_takes_only_old_processed_and_failed_ones(
    db: Database,
) -> None:
    async with db.transaction() as tx:
        await inbox_items.claim_due(tx, 100.0, 60.0, 5)
        await inbox_items.mark_processed(tx, [1], 1_000.0)
        await inbox_items.mark_failed(tx, [(2, "no")], 1_999.0)
        await inbox_items.mark_processed(tx, [3], 2_000.0)  # finished at the cutoff: stays
        await inbox_items.retry_later(tx, [(4, "later", 150.0)])
        # 5 stays received, though it arrived long before the cutoff.
    async with db.transaction() as tx:
        assert await inbox_items.delete_finished(tx, 2_000.0, 1) == 1
        assert await inbox_items.delete_finished(tx, 2_000.0, 10) == 1
        assert await inbox_items.delete_finished(tx, 2_000.0, 10) == 0
    rows = await db.fetch_all("SELECT id, state FROM inbox_items ORDER BY id")
    assert [tuple(r) for r in rows] == [(3, "processed"), (4, "received"), (5, "received")]


async def test_a_deleted_item_no_longer_stops_a_redelivery(db: Database) -> None:
    async with db.transaction() as tx:
        await inbox_items.claim_due(tx, 100.0, 60.0, 1)
        await inbox_items.mark_processed(tx, [1], 101.0)
    await inbox_items.store_many(
        db, [NewItem("http://p.test/0", "http://p.test/u", None, "{}")], 102.0
    )
    assert await inbox_items.count_by_state(db) == {"processed": 1, "received": 4}
    async with db.transaction() as tx:
        assert await inbox_items.delete_finished(tx, 200.0, 10) == 1
    await inbox_items.store_many(
        db, [NewItem("http://p.test/0", "http://p.test/u", None, "{}")], 300.0
    )
    assert await inbox_items.count_by_state(db) == {"received": 5}
