"""The queues on one PostgreSQL database shared by several worker processes: two
`PostgresDatabase` objects (two pools, as two processes would have) claim inbox items and
deliveries at once, and never get the same row; a row whose lease ran out is claimed again;
a host's cap and pause hold across both."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from fedishare.federation.backoff import HOST_FAILURES_BEFORE_PAUSE, host_pause
from fedishare.storage import deliveries as store
from fedishare.storage import inbox_items
from fedishare.storage.database import Database, open_database
from fedishare.storage.deliveries import Claim, Outcome
from fedishare.storage.inbox_items import NewItem
from fedishare.storage.outbox import enqueue_deliveries, insert_activity
from tests.databases import backend, fresh_database

pytestmark = pytest.mark.skipif(
    backend() != "postgresql",
    reason="needs a PostgreSQL server: set FEDISHARE_TEST_POSTGRES to its URL",
)

T0 = 1_000_000.0
LEASE = 10.0


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    """One database, opened twice: as two worker processes see it."""
    target = fresh_database(tmp_path, "shared")
    async with open_database(target) as one, open_database(target) as other:
        async with one.transaction() as tx:
            await tx.execute(
                "INSERT INTO local_actors (username, kind, private_key_pem, public_key_pem,"
                " created_at) VALUES ('alice', 'person', '-', '-', '2026-01-01T00:00:00')"
            )
        yield one, other


def inboxes(host: str, count: int) -> list[str]:
    return [f"http://{host}/users/u{i}/inbox" for i in range(count)]


async def queue(db: Database, inboxes: Sequence[str]) -> None:
    async with db.transaction() as tx:
        rowid = await insert_activity(
            tx,
            actor_id=1,
            activity={"id": "http://here.test/activities/1", "type": "Create"},
            public=True,
            now=T0,
        )
        await enqueue_deliveries(tx, rowid, inboxes, T0)


async def claim(
    db: Database, now: float = T0, *, limit: int = 50, per_host: int = 100
) -> list[Claim]:
    async with db.transaction() as tx:
        return await store.claim(
            tx,
            now=now,
            lease_until=now + LEASE,
            limit=limit,
            per_host=per_host,
            held={},
            probe_after=HOST_FAILURES_BEFORE_PAUSE,
        )


async def store_items(db: Database, count: int) -> None:
    items = [NewItem(f"http://p.test/{n}", "http://p.test/u", None, "{}") for n in range(count)]
    await inbox_items.store_many(db, items, T0)


async def test_an_inbox_item_locked_by_one_process_is_skipped_by_the_other(
    two: tuple[Database, Database],
) -> None:
    one, other = two
    await store_items(one, 10)
    async with one.transaction() as tx:
        first = await inbox_items.claim_due(tx, T0, LEASE, 4)
        # Not committed yet: the other process takes the next ones, without waiting.
        async with other.transaction() as tx2:
            second = await inbox_items.claim_due(tx2, T0, LEASE, 10)
    assert [i.id for i in first] == [1, 2, 3, 4]
    assert [i.id for i in second] == [5, 6, 7, 8, 9, 10]
    async with other.transaction() as tx:
        assert await inbox_items.claim_due(tx, T0 + LEASE - 1, LEASE, 10) == []
    # The leases ran out (both workers died): every item is claimed again, counted twice.
    async with other.transaction() as tx:
        again = await inbox_items.claim_due(tx, T0 + LEASE, LEASE, 10)
    assert [(i.id, i.attempts) for i in again] == [(n, 2) for n in range(1, 11)]


async def test_two_processes_claiming_inbox_items_at_once_never_share_one(
    two: tuple[Database, Database],
) -> None:
    await store_items(two[0], 300)

    async def worker(db: Database) -> list[int]:
        got: list[int] = []
        while True:
            async with db.transaction() as tx:
                claimed = await inbox_items.claim_due(tx, T0, LEASE, 7)
            if not claimed:
                return got
            got += [i.id for i in claimed]

    first, second = await asyncio.gather(worker(two[0]), worker(two[1]))
    assert first and second
    assert sorted(first + second) == list(range(1, 301))


async def test_two_processes_claiming_deliveries_at_once_never_share_one(
    two: tuple[Database, Database],
) -> None:
    one, other = two
    await queue(one, [u for h in "abcdefghij" for u in inboxes(f"{h}.test", 30)])

    async def worker(db: Database) -> list[int]:
        got: list[int] = []
        while claimed := await claim(db, limit=9):
            got += [c.id for c in claimed]
        return got

    first, second = await asyncio.gather(worker(one), worker(other))
    assert len(first + second) == len(set(first + second)) == 300
    # Their leases ran out: the rows are due again, and claimed again.
    again = await claim(other, T0 + LEASE, limit=500)
    assert sorted(c.id for c in again) == sorted(first + second)
    assert {c.attempts for c in again} == {2}


async def test_a_hosts_cap_counts_what_every_process_has_in_flight(
    two: tuple[Database, Database],
) -> None:
    one, other = two
    await queue(one, inboxes("a.test", 10) + inboxes("b.test", 10))
    first = await claim(one, per_host=3)
    assert sorted(c.host for c in first) == ["a.test"] * 3 + ["b.test"] * 3
    assert await claim(other, per_host=3) == []  # the other process's leases count
    # One row delivered, one to be retried later: two places free up for a.test.
    a = [c for c in first if c.host == "a.test"]
    async with one.transaction() as tx:
        await store.record(
            tx,
            [
                Outcome(a[0].id, "a.test", a[0].inbox, "delivered", status=202, host_up=True),
                Outcome(a[1].id, "a.test", a[1].inbox, "retry", next_try=T0 + 300, status=429),
            ],
            T0,
            host_pause,
        )
    assert [c.host for c in await claim(other, per_host=3)] == ["a.test"] * 2
    # A renewed lease still counts; one that ran out does not.
    b = [c.id for c in first if c.host == "b.test"]
    async with one.transaction() as tx:
        await store.renew(tx, b[:1], T0 + 2 * LEASE)
    later = await claim(other, T0 + LEASE, per_host=3)
    assert sorted(c.host for c in later) == ["a.test"] * 3 + ["b.test"] * 2


async def test_a_claim_during_another_takes_nothing_and_the_next_counts_its_rows(
    two: tuple[Database, Database],
) -> None:
    one, other = two
    await queue(one, inboxes("a.test", 10))
    async with one.transaction() as tx:
        first = await store.claim(
            tx,
            now=T0,
            lease_until=T0 + LEASE,
            limit=2,
            per_host=4,
            held={},
            probe_after=HOST_FAILURES_BEFORE_PAUSE,
        )
        # The other process does not wait (that would hold up its other transactions): it
        # claims nothing this turn.
        assert await asyncio.wait_for(claim(other, per_host=4), 10) == []
    # Committed: the other claim sees the two rows leased, and takes two more, not four.
    assert len(first) == 2
    second = await claim(other, per_host=4)
    assert len(second) == 2
    assert not {c.id for c in first} & {c.id for c in second}


async def test_a_host_paused_by_one_process_is_left_alone_by_the_other(
    two: tuple[Database, Database],
) -> None:
    one, other = two
    await queue(one, inboxes("down.test", 10) + inboxes("up.test", 2))
    now = T0
    for _ in range(HOST_FAILURES_BEFORE_PAUSE):
        [probe] = [c for c in await claim(one, now, per_host=1) if c.host == "down.test"]
        async with one.transaction() as tx:
            await store.record(
                tx,
                [
                    Outcome(
                        probe.id,
                        "down.test",
                        probe.inbox,
                        "retry",
                        next_try=now,
                        error="timeout",
                        host_up=False,
                    )
                ],
                now,
                host_pause,
            )
    host = await store.get_host(other, "down.test")
    assert host is not None and host["paused_until"] > now
    claimed = await claim(other, now + LEASE, per_host=10)
    assert {c.host for c in claimed} == {"up.test"}
