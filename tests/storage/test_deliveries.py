"""The delivery queue's SQL: leases, per-host caps, paused hosts, outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiosqlite
import pytest

from fedishare.federation.backoff import HOST_FAILURES_BEFORE_PAUSE, host_pause
from fedishare.storage import deliveries as store
from fedishare.storage.database import Database, open_database
from fedishare.storage.deliveries import Claim, Outcome
from fedishare.storage.migrations import MIGRATIONS
from fedishare.storage.outbox import enqueue_deliveries, insert_activity
from tests.databases import fresh_database

T0 = 1_000_000.0
LEASE = 10.0


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(fresh_database(tmp_path, "q")) as database:
        async with database.transaction() as tx:
            await tx.execute(
                "INSERT INTO local_actors (username, kind, private_key_pem, public_key_pem,"
                " created_at) VALUES ('alice', 'person', '-', '-', '2026-01-01T00:00:00')"
            )
        yield database


async def queue(db: Database, inboxes: Sequence[str], *, number: int = 1, at: float = T0) -> int:
    async with db.transaction() as tx:
        rowid = await insert_activity(
            tx,
            actor_id=1,
            activity={"id": f"http://here.test/activities/{number}", "type": "Create"},
            public=True,
            now=at,
        )
        await enqueue_deliveries(tx, rowid, inboxes, at)
    return rowid


def inboxes(host: str, count: int, start: int = 0) -> list[str]:
    return [f"http://{host}/users/u{i}/inbox" for i in range(start, start + count)]


async def claim(
    db: Database,
    now: float = T0,
    *,
    limit: int = 50,
    per_host: int = 8,
    held: dict[str, int] | None = None,
) -> list[Claim]:
    async with db.transaction() as tx:
        return await store.claim(
            tx,
            now=now,
            lease_until=now + LEASE,
            limit=limit,
            per_host=per_host,
            held=held or {},
            probe_after=HOST_FAILURES_BEFORE_PAUSE,
        )


async def record(db: Database, outcomes: Sequence[Outcome], now: float = T0) -> None:
    async with db.transaction() as tx:
        await store.record(tx, outcomes, now, host_pause)


def outcome(c: Claim, state: store.State, **kw: object) -> Outcome:
    return Outcome(id=c.id, host=c.host, inbox=c.inbox, state=state, **kw)  # type: ignore[arg-type]


async def test_a_claim_leases_due_rows_with_their_activity(db: Database) -> None:
    rowid = await queue(db, inboxes("a.test", 2))
    await queue(db, inboxes("b.test", 1), number=2, at=T0 + 60)  # not due yet
    claimed = await claim(db)
    assert [c.inbox for c in claimed] == inboxes("a.test", 2)
    first = claimed[0]
    assert (first.host, first.attempts, first.activity_rowid, first.actor_id) == (
        "a.test",
        1,
        rowid,
        1,
    )
    assert first.document == '{"id":"http://here.test/activities/1","type":"Create"}'
    row = await store.get(db, first.id)
    assert row is not None and row["state"] == "pending" and row["next_try"] == T0 + LEASE
    # Leased rows are nobody else's until the lease runs out...
    assert await claim(db, T0 + LEASE - 1) == []
    # ...and then they are again: a worker that died mid-attempt is retried.
    again = await claim(db, T0 + LEASE)
    assert [c.id for c in again] == [c.id for c in claimed]
    assert [c.attempts for c in again] == [2, 2]


async def test_renewing_keeps_a_lease(db: Database) -> None:
    await queue(db, inboxes("a.test", 1))
    (c,) = await claim(db)
    async with db.transaction() as tx:
        await store.renew(tx, [c.id], T0 + 3 * LEASE)
    assert await claim(db, T0 + 2 * LEASE) == []
    assert len(await claim(db, T0 + 3 * LEASE)) == 1


async def test_two_workers_on_one_database_never_share_a_row(tmp_path: Path) -> None:
    target = fresh_database(tmp_path, "shared")
    async with open_database(target) as one, open_database(target) as two:
        async with one.transaction() as tx:
            await tx.execute(
                "INSERT INTO local_actors (username, kind, private_key_pem, public_key_pem,"
                " created_at) VALUES ('alice', 'person', '-', '-', 'now')"
            )
        await queue(one, [u for h in "abcdefghij" for u in inboxes(f"{h}.test", 10)])
        got: list[int] = []
        for _ in range(10):
            for database in (one, two):
                got += [c.id for c in await claim(database, limit=7, per_host=100)]
        assert len(got) == len(set(got)) == 100


async def test_per_host_cap_counts_the_rows_already_held(db: Database) -> None:
    await queue(db, inboxes("a.test", 20) + inboxes("b.test", 20) + inboxes("c.test", 20))
    first = await claim(db, per_host=3, held={"a.test": 1, "c.test": 3})
    hosts = [c.host for c in first]
    assert hosts.count("a.test") == 2 and hosts.count("b.test") == 3
    assert "c.test" not in hosts


async def test_a_saturated_host_does_not_crowd_out_the_others(db: Database) -> None:
    # 500 rows of one host come first; the rows of another host must still be found.
    await queue(db, inboxes("big.test", 500))
    await queue(db, inboxes("small.test", 5), number=2, at=T0 + 1)
    claimed = await claim(db, T0 + 1, limit=10, per_host=4, held={"big.test": 4})
    assert [c.host for c in claimed] == ["small.test"] * 4


async def test_limit_and_order(db: Database) -> None:
    await queue(db, inboxes("a.test", 3), at=T0 - 5)
    await queue(db, inboxes("b.test", 3), number=2, at=T0 - 10)
    claimed = await claim(db, limit=4)
    assert sorted(c.host for c in claimed) == ["a.test"] + ["b.test"] * 3
    assert await claim(db, limit=0) == []


async def test_outcomes_change_only_pending_rows(db: Database) -> None:
    await queue(db, inboxes("a.test", 5))
    c = await claim(db)
    await record(
        db,
        [
            outcome(c[0], "delivered", status=202, host_up=True),
            outcome(c[1], "retry", next_try=T0 + 30, status=503, error="HTTP 503"),
            outcome(c[2], "failed", status=404, error="HTTP 404"),
            outcome(c[3], "released"),
        ],
    )
    rows = [await store.get(db, x.id) for x in c]
    assert [(r["state"], r["attempts"], r["last_status"]) for r in rows if r] == [
        ("delivered", 1, 202),
        ("pending", 1, 503),
        ("failed", 1, 404),
        ("pending", 0, None),
        ("pending", 1, None),
    ]
    assert rows[1] is not None and rows[1]["next_try"] == T0 + 30
    assert rows[2] is not None and rows[2]["last_error"] == "HTTP 404"
    assert rows[3] is not None and rows[3]["next_try"] == T0  # released: due again at once
    # A late result of a lost lease does not undo what another worker recorded.
    await record(db, [outcome(c[0], "failed", status=500), outcome(c[2], "delivered")])
    assert [r["state"] for r in (await _all(db))[:3]] == ["delivered", "pending", "failed"]
    assert await store.count_by_state(db) == {"delivered": 1, "failed": 1, "pending": 3}
    assert await store.next_due(db) == T0


async def test_gone_ends_every_pending_delivery_to_that_inbox(db: Database) -> None:
    inbox = "http://a.test/users/u0/inbox"
    await queue(db, [inbox, "http://a.test/users/u1/inbox"])
    await queue(db, [inbox], number=2, at=T0 + 100)
    (c, _) = await claim(db)
    await record(db, [outcome(c, "gone", status=410, error="410 Gone")])
    states = {(r["activity_rowid"], r["inbox"]): r["state"] for r in await _all(db)}
    assert states == {
        (1, inbox): "gone",
        (1, "http://a.test/users/u1/inbox"): "pending",
        (2, inbox): "gone",
    }


async def test_a_failing_host_is_paused_then_probed_then_reset(db: Database) -> None:
    await queue(db, inboxes("down.test", 10) + inboxes("up.test", 2))
    claimed = await claim(db, per_host=8)
    down = [c for c in claimed if c.host == "down.test"][:HOST_FAILURES_BEFORE_PAUSE]
    failures = [outcome(c, "retry", next_try=T0, error="refused", host_up=False) for c in down]
    await record(db, failures[:-1])
    host = await store.get_host(db, "down.test")
    assert host is not None and host["failures"] == HOST_FAILURES_BEFORE_PAUSE - 1
    assert host["paused_until"] == 0
    await record(db, failures[-1:])
    host = await store.get_host(db, "down.test")
    pause = host_pause(HOST_FAILURES_BEFORE_PAUSE)
    assert host is not None and host["paused_until"] == T0 + pause
    assert host["last_error"] == "refused"
    # Paused: its rows wait, the other host's do not.
    await queue(db, inboxes("down.test", 1, 50) + inboxes("up.test", 1, 50), number=2)
    assert {c.host for c in await claim(db, T0 + 1)} == {"up.test"}
    # After the pause, one row at a time (a probe) until the host answers again.
    later = T0 + pause + LEASE
    probe = [c for c in await claim(db, later, per_host=8) if c.host == "down.test"]
    assert len(probe) == 1
    assert await claim(db, later, per_host=8, held={"down.test": 1}) == []
    await record(db, [outcome(probe[0], "delivered", status=202, host_up=True)])
    host = await store.get_host(db, "down.test")
    assert host is not None and (host["failures"], host["paused_until"]) == (0, 0)
    assert [c.host for c in await claim(db, later, per_host=8)] == ["down.test"] * 8


async def test_a_success_in_the_same_batch_resets_the_count_before_later_failures(
    db: Database,
) -> None:
    await queue(db, inboxes("h.test", 3))
    a, b, c = await claim(db)

    def bad(x: Claim) -> Outcome:
        return outcome(x, "retry", next_try=T0, host_up=False)

    await record(db, [bad(a), outcome(b, "delivered", host_up=True), bad(c)])
    host = await store.get_host(db, "h.test")
    assert host is not None and host["failures"] == 1


async def test_finished_rows_record_when_they_finished(db: Database) -> None:
    await queue(db, inboxes("a.test", 5))
    c = await claim(db)
    await record(db, [outcome(c[0], "delivered", status=202)], T0 + 1)
    await record(db, [outcome(c[1], "failed", status=404)], T0 + 2)
    await record(db, [outcome(c[2], "gone", status=410)], T0 + 3)
    await record(db, [outcome(c[3], "retry", next_try=T0 + 60), outcome(c[4], "released")])
    assert [r["finished_at"] for r in await _all(db)] == [T0 + 1, T0 + 2, T0 + 3, None, None]


async def test_deleting_finished_rows_takes_only_old_ones_and_keeps_the_activity(
    db: Database,
) -> None:
    rowid = await queue(db, inboxes("a.test", 6), at=T0 - 1_000)
    c = await claim(db, T0 - 1_000)
    await record(db, [outcome(c[0], "delivered", status=202)], T0 - 3)
    await record(db, [outcome(c[1], "failed", status=404)], T0 - 2)
    await record(db, [outcome(c[2], "gone", status=410)], T0 - 1)
    await record(db, [outcome(c[3], "delivered", status=202)], T0)  # at the cutoff: stays
    await record(db, [outcome(c[4], "retry", next_try=T0 - 500)], T0 - 900)  # pending, old
    # c[5] stays pending under its lease.
    async with db.transaction() as tx:
        assert await store.delete_finished(tx, T0, 2) == 2
        assert await store.delete_finished(tx, T0, 10) == 1
        assert await store.delete_finished(tx, T0, 10) == 0
    rows = await _all(db)
    assert [(r["id"], r["state"]) for r in rows] == [
        (c[3].id, "delivered"),
        (c[4].id, "pending"),
        (c[5].id, "pending"),
    ]
    assert await db.fetch_value("SELECT count(*) FROM outbox_activities WHERE id = ?", (rowid,))


async def test_rows_finished_before_the_column_existed_get_their_last_next_try(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        for number, sql in enumerate(MIGRATIONS[:4], start=1):
            for statement in [s for s in sql.split(";") if s.strip()]:
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
        await conn.execute(
            "INSERT INTO local_actors (username, kind, private_key_pem, public_key_pem,"
            " created_at) VALUES ('alice', 'person', '-', '-', 'now')"
        )
        await conn.execute(
            "INSERT INTO outbox_activities (activity_id, actor_id, type, document, published)"
            " VALUES ('http://here.test/a/1', 1, 'Create', '{}', '')"
        )
        await conn.executemany(
            "INSERT INTO deliveries (activity_rowid, inbox, host, state, next_try)"
            " VALUES (1, ?, 'a.test', ?, ?)",
            [("http://a.test/1", "delivered", T0), ("http://a.test/2", "pending", T0 + 1)],
        )
    async with open_database(path) as migrated:
        rows = await _all(migrated)
    assert [(r["state"], r["finished_at"]) for r in rows] == [("delivered", T0), ("pending", None)]


async def _all(db: Database) -> list[dict[str, object]]:
    return [dict(r) for r in await db.fetch_all("SELECT * FROM deliveries ORDER BY id")]
