"""Direct statuses outside listings as Mastodon conversations: a thread of direct replies,
known by the id of its first status (the root: up the `inReplyTo` chain while the parent is
a direct status we index), so that every party calls it by the same id and it keeps it
while it grows. Its accounts are the authors and the mentioned of the statuses the member
sees, the member left out; its last status the newest of those.

Status ids are snowflakes (milliseconds << 16), so a root's id is at or above `FLOOR` for
anything published after February 1970, while a listing conversation's id is a row number
far below it: the two kinds of conversation ids never meet (`is_thread_id`).

Like the listing conversations, only the member's latest direct statuses are looked at
(`MOST`): a thread quiet for longer than that is off the list until its next status.
"""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.paging import Page
from fedishare.federation.actor_document import actor_id
from fedishare.statuses import timelines
from fedishare.storage import conversations as listing_talk
from fedishare.storage import statuses as index
from fedishare.storage.actors import LocalActor
from fedishare.storage.statuses import StatusRow

FLOOR = 1 << 48
MOST = 400  # the member's latest direct statuses looked at
MAX_DEPTH = 200  # parents walked to find a root


def is_thread_id(conversation_id: int) -> bool:
    return conversation_id >= FLOOR


@dataclass(frozen=True)
class Thread:
    root: int
    statuses: tuple[StatusRow, ...]  # those the member sees, newest first
    others: tuple[str, ...]  # authors and mentioned, the member left out, first seen first

    @property
    def newest(self) -> StatusRow:
        return self.statuses[0]


async def _root(inst: Instance, row: StatusRow, known: dict[str, StatusRow]) -> int:
    current, seen = row, {row.uri}
    for _ in range(MAX_DEPTH):
        parent_uri = current.in_reply_to
        if parent_uri is None or parent_uri in seen:
            break
        parent = known.get(parent_uri) or await index.by_uri(inst.db, parent_uri)
        if parent is None or parent.visibility != "direct":
            break
        known[parent_uri] = parent
        seen.add(parent_uri)
        current = parent
    return current.id


async def threads(inst: Instance, member: LocalActor) -> list[Thread]:
    """The member's direct threads outside listings, the latest first."""
    rows = await timelines.direct(inst, member, Page(limit=MOST))
    private = await listing_talk.private_messages(inst.db, [r.uri for r in rows])
    rows = [r for r in rows if r.uri not in private]
    known = {r.uri: r for r in rows}
    grouped: dict[int, list[StatusRow]] = {}
    for row in rows:
        grouped.setdefault(await _root(inst, row, known), []).append(row)
    me = actor_id(inst.urls, member)
    found = []
    for root, members in grouped.items():
        others: dict[str, None] = {}
        for row in members:
            for uri in [row.author, *await index.mentions_of(inst.db, row.id)]:
                if uri != me:
                    others[uri] = None
        found.append(Thread(root, tuple(members), tuple(others)))
    return found


async def thread(inst: Instance, member: LocalActor, root: int) -> Thread:
    """One of the member's threads (NotFound for one they are not in)."""
    for found in await threads(inst, member):
        if found.root == root:
            return found
    raise NotFound("Record not found")
