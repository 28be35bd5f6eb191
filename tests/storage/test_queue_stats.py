"""The queue figures `/metrics` and `queue status` show, from the rows themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fedishare.federation.backoff import HOST_FAILURES_BEFORE_PAUSE, host_pause
from fedishare.storage import deliveries as store
from fedishare.storage import inbox_items
from fedishare.storage.database import Database, open_database
from fedishare.storage.deliveries import Outcome
from fedishare.storage.outbox import enqueue_deliveries, insert_activity
from fedishare.storage.queue_stats import (
    PausedHost,
    QueueStat,
    StrugglingHost,
    deliveries_by_state,
    paused_hosts,
    queue_stats,
    struggling_hosts,
)
from tests.databases import fresh_database

T0 = 1_000_000.0


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(fresh_database(tmp_path, "q")) as database:
        async with database.transaction() as tx:
            await tx.execute(
                "INSERT INTO local_actors (username, kind, private_key_pem, public_key_pem,"
                " created_at) VALUES ('alice', 'person', '-', '-', '2026-01-01T00:00:00')"
            )
        yield database


async def test_empty_queues_have_no_age(db: Database) -> None:
    assert await queue_stats(db, T0) == [
        QueueStat("inbox", 0, None),
        QueueStat("deliveries", 0, None),
    ]
    assert await paused_hosts(db, T0) == []


async def test_depth_age_and_paused_hosts(db: Database) -> None:
    await inbox_items.store_many(
        db, [inbox_items.NewItem("http://elm.test/a/1", "http://elm.test/u/bob", None, "{}")], T0
    )
    async with db.transaction() as tx:
        rowid = await insert_activity(
            tx,
            actor_id=1,
            activity={"id": "http://here.test/activities/1", "type": "Create"},
            public=True,
            now=T0 + 10,
        )
        inboxes = [f"http://down.test/users/u{i}/inbox" for i in range(HOST_FAILURES_BEFORE_PAUSE)]
        await enqueue_deliveries(tx, rowid, [*inboxes, "http://up.test/inbox"], T0 + 10)
    claims = await _claim_all(db)
    failures = [
        Outcome(c.id, c.host, c.inbox, "retry", next_try=T0 + 60, error="refused", host_up=False)
        for c in claims
        if c.host == "down.test"
    ]
    delivered = [
        Outcome(c.id, c.host, c.inbox, "delivered", status=202, host_up=True)
        for c in claims
        if c.host == "up.test"
    ]
    async with db.transaction() as tx:
        await store.record(tx, [*failures, *delivered], T0 + 20, host_pause)

    assert await queue_stats(db, T0 + 100) == [
        QueueStat("inbox", 1, 100.0),
        QueueStat("deliveries", HOST_FAILURES_BEFORE_PAUSE, 90.0),
    ]
    until = T0 + 20 + host_pause(HOST_FAILURES_BEFORE_PAUSE)
    assert await paused_hosts(db, T0 + 21) == [PausedHost("down.test", until, "refused")]
    assert await paused_hosts(db, until + 1) == []  # its pause over: probed, not paused
    assert await struggling_hosts(db, HOST_FAILURES_BEFORE_PAUSE) == [
        StrugglingHost("down.test", HOST_FAILURES_BEFORE_PAUSE, "refused")
    ]
    counts = await deliveries_by_state(db)
    assert counts == {"pending": HOST_FAILURES_BEFORE_PAUSE, "delivered": 1, "failed": 0, "gone": 0}


async def _claim_all(db: Database) -> list[store.Claim]:
    async with db.transaction() as tx:
        return await store.claim(
            tx,
            now=T0 + 10,
            lease_until=T0 + 20,
            limit=50,
            per_host=50,
            held={},
            probe_after=HOST_FAILURES_BEFORE_PAUSE,
        )
