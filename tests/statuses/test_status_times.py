"""A status's id is the time it was published, as its writer's clock allows: a post dated
in the future is taken as written now (or it would stay atop every timeline), and the
time comes from the instance's clock, never the machine's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fedishare.core.activitystreams import PUBLIC, iso
from fedishare.core.snowflake import time_of
from fedishare.statuses.keeping import keep_post
from fedishare.storage import objects
from fedishare.storage import statuses as index
from tests.clock import FakeClock
from tests.harness import Node

BOB = "http://elm.test/users/bob"


def _note(n: int, published: object) -> dict[str, object]:
    return {
        "id": f"http://elm.test/notes/{n}",
        "type": "Note",
        "attributedTo": BOB,
        "content": "<p>hi</p>",
        "to": [PUBLIC],
        "published": published,
    }


async def test_a_post_from_the_future_is_taken_as_written_now(oak: Node, clock: FakeClock) -> None:
    inst = oak.instance
    future = clock() + timedelta(days=3650)
    await keep_post(inst, _note(1, iso(future)), BOB)
    await keep_post(inst, _note(2, iso(clock() - timedelta(hours=1))), BOB)
    await keep_post(inst, _note(3, "not a time"), BOB)
    rows = [await index.by_uri(inst.db, f"http://elm.test/notes/{n}") for n in (1, 2, 3)]
    assert all(r is not None for r in rows)
    times = [time_of(r.id) for r in rows if r is not None]
    # The instance's clock (not the machine's), and not ten years ahead.
    assert times[0] == clock() and times[2] == clock()
    assert times[1] == clock() - timedelta(hours=1)


async def test_without_a_clock_the_writer_must_name_the_time(oak: Node) -> None:
    async with oak.instance.db.transaction() as tx:
        with pytest.raises(ValueError, match="needs the time"):
            await objects.insert(tx, _note(4, "never"), attributed_to=BOB, published="never")
