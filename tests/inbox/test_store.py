"""InboxWriter: group commits, answers after the commit, replays, bad rows, stopping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fedishare.core.types import utc_now
from fedishare.inbox.store import InboxWriter, StoreUnavailable, running_writer
from fedishare.storage.database import Database, open_database
from fedishare.storage.inbox_items import NewItem
from tests.databases import fresh_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with open_database(fresh_database(tmp_path, "db")) as database:
        yield database


def item(n: int, recipient: int | None = None) -> NewItem:
    return NewItem(f"http://peer.test/a/{n}", "http://peer.test/u", recipient, f'{{"n": {n}}}')


async def count(db: Database) -> int:
    return int(await db.fetch_value("SELECT count(*) FROM inbox_items"))


async def test_concurrent_requests_share_a_commit(db: Database) -> None:
    commits = 0

    def committed() -> None:
        nonlocal commits
        commits += 1

    async with running_writer(db, utc_now, committed) as writer:
        await asyncio.gather(*(writer.store(item(n)) for n in range(200)))
        assert await count(db) == 200  # every store returned after its commit
    assert 1 <= commits <= 3


async def test_a_lone_request_is_written_at_once(db: Database) -> None:
    async with running_writer(db, utc_now) as writer:
        await writer.store(item(1))
        assert await count(db) == 1


async def test_replays_in_and_across_batches_are_stored_once(db: Database) -> None:
    async with running_writer(db, utc_now) as writer:
        await asyncio.gather(writer.store(item(1)), writer.store(item(1)))
        await writer.store(item(1))
    assert await count(db) == 1


async def test_a_bad_row_fails_alone(db: Database) -> None:
    async with running_writer(db, utc_now) as writer:
        results = await asyncio.gather(
            writer.store(item(1)),
            writer.store(item(2, recipient=999)),
            writer.store(item(3)),
            return_exceptions=True,
        )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], StoreUnavailable)
    assert await count(db) == 2


async def test_a_stopped_writer_refuses(db: Database) -> None:
    writer = InboxWriter(db, utc_now)
    with pytest.raises(StoreUnavailable):
        await writer.store(item(1))
    writer.start()
    await writer.store(item(1))
    await writer.close()
    with pytest.raises(StoreUnavailable):
        await writer.store(item(2))
    assert await count(db) == 1


async def test_closing_writes_what_is_queued(db: Database) -> None:
    writer = InboxWriter(db, utc_now)
    writer.start()
    stores = [asyncio.create_task(writer.store(item(n))) for n in range(5)]
    await asyncio.sleep(0)
    await writer.close()
    await asyncio.gather(*stores)
    assert await count(db) == 5
