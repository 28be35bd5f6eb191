"""A member's private conversations as Mastodon's conversations (the direct messages list
of the apps): those about listings (`fedishare.listings.member_conversations`) and the
threads of direct statuses outside listings (`direct_threads`, ids apart from the
listings' ones), each with its other parties, its latest status and whether the member has
read it since someone else last wrote. Removing one hides it until the next message, as
Mastodon does.

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
from fedishare.statuses import direct_threads
from fedishare.statuses.direct_threads import Thread, is_thread_id
from fedishare.storage import conversation_marks, statuses
from fedishare.storage import conversations as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.conversation_marks import Mark
from fedishare.storage.statuses import StatusRow

MOST = 200  # the most recent conversations looked at for one page


@dataclass(frozen=True)
class Entry:
    id: int
    others: tuple[str, ...]  # the accounts, the member left out
    last_status: StatusRow | None
    unread: bool

    @property
    def position(self) -> int:
        """What pages go by: the latest status id, else the conversation's own id."""
        return self.last_status.id if self.last_status is not None else self.id


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
    return Entry(side.id, (side.other,), last, _unread(theirs, mark))


def _thread_shown(thread: Thread, mark: Mark | None) -> bool:
    hidden = None if mark is None else mark.hidden_status_id
    return hidden is None or thread.newest.id > hidden


def _thread_entry(member: LocalActor, thread: Thread, mark: Mark | None) -> Entry:
    """Unread when the newest status is someone else's and came after the last reading."""
    newest = thread.newest
    read = None if mark is None else mark.read_status_id
    unread = newest.local_actor_id != member.id and (read is None or newest.id > read)
    return Entry(thread.root, thread.others, newest, unread)


async def _thread_entries(inst: Instance, member: LocalActor) -> list[Entry]:
    found = await direct_threads.threads(inst, member)
    marks = await conversation_marks.of_conversations(inst.db, member.id, [t.root for t in found])
    return [
        _thread_entry(member, t, marks.get(t.root))
        for t in found
        if _thread_shown(t, marks.get(t.root))
    ]


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
    entries += await _thread_entries(inst, member)
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
    if is_thread_id(conversation_id):
        thread = await direct_threads.thread(inst, member, conversation_id)
        marks = await conversation_marks.of_conversations(inst.db, member.id, [thread.root])
        return _thread_entry(member, thread, marks.get(thread.root))
    side = await member_conversations.conversation(inst, member, conversation_id)
    marks = await conversation_marks.of_conversations(inst.db, member.id, [side.id])
    return await _entry(inst, side, marks.get(side.id))


async def mark_read(inst: Instance, member: LocalActor, conversation_id: int) -> Entry:
    if is_thread_id(conversation_id):
        thread = await direct_threads.thread(inst, member, conversation_id)
        async with inst.db.transaction() as tx:
            await conversation_marks.thread_read(tx, member.id, thread.root, thread.newest.id)
        return await one(inst, member, thread.root)
    side = await member_conversations.conversation(inst, member, conversation_id)
    async with inst.db.transaction() as tx:
        await conversation_marks.mark_read(tx, member.id, side.id, _now(inst))
    return await one(inst, member, side.id)


async def remove(inst: Instance, member: LocalActor, conversation_id: int) -> None:
    """Take it off the member's list (until the next message); the messages stay."""
    if is_thread_id(conversation_id):
        thread = await direct_threads.thread(inst, member, conversation_id)
        async with inst.db.transaction() as tx:
            await conversation_marks.thread_hidden(tx, member.id, thread.root, thread.newest.id)
        return
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
        for entry in await _thread_entries(inst, member):
            if entry.last_status is not None and entry.last_status.uri == uri:
                return entry
        return None
    try:
        return await one(inst, member, found[1])
    except NotFound:
        return None
