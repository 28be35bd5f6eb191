"""Keeping another server's post: stored once, indexed as a status, at the time it says it
was published, or now (written as all our times are) when it names no moment."""

from __future__ import annotations

from fedishare.core.types import JSON
from fedishare.statuses.keeping import keep_post
from fedishare.storage import objects, statuses
from tests.harness import Node

AUTHOR = "https://elm.test/users/bob"


def _note(n: int, **fields: object) -> JSON:
    return {"id": f"https://elm.test/notes/{n}", "type": "Note", "content": "hi"} | fields


async def test_a_post_is_kept_once_at_its_published_time(oak: Node) -> None:
    inst = oak.instance
    note = _note(1, published="2026-04-30T08:00:00Z", inReplyTo="https://oak.test/notes/9")
    assert await keep_post(inst, note, AUTHOR)
    assert not await keep_post(inst, note | {"content": "again"}, AUTHOR)
    stored = await objects.get(inst.db, note["id"])
    assert stored is not None and stored.document["content"] == "hi"
    assert (stored.published, stored.in_reply_to) == (note["published"], note["inReplyTo"])
    row = await statuses.by_uri(inst.db, note["id"])
    assert row is not None and row.author == AUTHOR and row.published == note["published"]


async def test_a_post_without_a_readable_time_is_published_now(oak: Node) -> None:
    inst = oak.instance
    for n, published in enumerate([None, "last tuesday", "2026-04-30T08:00:00"]):
        note = _note(n) if published is None else _note(n, published=published)
        assert await keep_post(inst, note, AUTHOR)
        stored = await objects.get(inst.db, note["id"])
        assert stored is not None and stored.published == "2026-05-01T10:00:00Z"
