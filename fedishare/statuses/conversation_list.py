"""A member's private listing conversations as Mastodon's conversations (the direct
messages list of the apps): each with its other party, its latest status and whether the
member has read it since the other party last wrote. Removing one hides it until the next
message, as Mastodon does.

Conversations are ordered and paged by their latest status id (Mastodon pages them by
`last_status_id` too), so `max_id`/`min_id` from a Link header walk them.
"""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.paging import Page
from fedishare.listings import member_conversations
from fedishare.listings.member_conversations import Side
from fedishare.listings.outgoing import now_iso
from fedishare.storage import conversation_marks, statuses
from fedishare.storage import conversations as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.conversation_marks import Mark
from fedishare.storage.statuses import StatusRow

MOST = 200  # the most recent conversations looked at for one page


@dataclass(frozen=True)
class Entry:
    side: Side
    last_status: StatusRow | None
    unread: bool

    @property
    def position(self) -> int:
        """What pages go by: the latest status id, else the conversation's own id."""
        return self.last_status.id if self.last_status is not None else self.side.id


async def _last_status(inst: Instance, side: Side) -> tuple[StatusRow | None, str | None]:
    """The latest message that is a status (a note, not an Offer), and when the other party
    last wrote."""
    found: StatusRow | None = None
    theirs: str | None = None
    incoming = "in" if side.role == "author" else "out"
    for message in reversed(await store.messages(inst.db, side.id)):
        if theirs is None and message.direction == incoming:
            theirs = message.published
        if found is None:
            row = await statuses.by_uri(inst.db, message.object_id)
            if row is not None and not row.deleted:
                found = row
        if found is not None and theirs is not None:
            break
    return found, theirs


def _shown(side: Side, mark: Mark | None) -> bool:
    return mark is None or mark.hidden_at is None or mark.hidden_at < side.about.last_at


def _unread(theirs: str | None, mark: Mark | None) -> bool:
    if theirs is None:
        return False
    return mark is None or mark.read_at is None or mark.read_at < theirs


async def _entry(inst: Instance, side: Side, mark: Mark | None) -> Entry:
    last, theirs = await _last_status(inst, side)
    return Entry(side, last, _unread(theirs, mark))


async def page_of(inst: Instance, member: LocalActor, page: Page) -> list[Entry]:
    """One page of the member's conversations, the latest first."""
    sides: list[Side] = []
    for number in range(MOST // member_conversations.PAGE):
        found = await member_conversations.inbox(inst, member, page=number)
        sides += found
        if len(found) < member_conversations.PAGE:
            break
    marks = await conversation_marks.of_conversations(inst.db, member.id, [s.id for s in sides])
    entries = [
        await _entry(inst, side, marks.get(side.id))
        for side in sides
        if _shown(side, marks.get(side.id))
    ]
    entries.sort(key=lambda e: e.position, reverse=True)
    if page.max_id is not None:
        entries = [e for e in entries if e.position < page.max_id]
    lower = page.min_id if page.min_id is not None else page.since_id
    if lower is not None:
        entries = [e for e in entries if e.position > lower]
    if page.walks_up:
        return entries[-page.limit :]
    return entries[: page.limit]


async def one(inst: Instance, member: LocalActor, conversation_id: int) -> Entry:
    """One of the member's conversations (NotFound for anyone else's)."""
    side = await member_conversations.conversation(inst, member, conversation_id)
    marks = await conversation_marks.of_conversations(inst.db, member.id, [side.id])
    return await _entry(inst, side, marks.get(side.id))


async def mark_read(inst: Instance, member: LocalActor, conversation_id: int) -> Entry:
    side = await member_conversations.conversation(inst, member, conversation_id)
    async with inst.db.transaction() as tx:
        await conversation_marks.mark_read(tx, member.id, side.id, _now(inst))
    return await one(inst, member, side.id)


async def remove(inst: Instance, member: LocalActor, conversation_id: int) -> None:
    """Take it off the member's list (until the next message); the messages stay."""
    side = await member_conversations.conversation(inst, member, conversation_id)
    async with inst.db.transaction() as tx:
        await conversation_marks.hide(tx, member.id, side.id, _now(inst))


def _now(inst: Instance) -> str:
    """Written as the conversations' own times are (`outgoing.now_iso`), so they compare."""
    return now_iso(inst)


async def of_status(inst: Instance, member: LocalActor, uri: str) -> Entry | None:
    """The member's conversation a status (by its URI) is a message of, if any."""
    found = await store.find_message(inst.db, uri)
    if found is None:
        return None
    try:
        return await one(inst, member, found[1])
    except NotFound:
        return None
