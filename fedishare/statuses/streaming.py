"""Live updates for the streaming API: one poller per instance reads what is new in the
status index and the notifications (other processes, such as `fedishare work`, write them
too, so an in-process signal would not do) and hands each subscriber what its streams show.

The poller starts with the first subscriber and stops when the last one leaves. Every
~half second it reads a signature of the recent statuses; only when that moves does it ask,
for each subscribed stream, for the statuses its timeline shows (the timelines of
`fedishare.statuses.timelines`, as the REST API reads them) above a floor (LOOKBACK before
now: status ids are times of publication, and another server's post may arrive a little
after it was written), leaving out those the subscriber has had. Statuses it had and that
are since deleted come as deletions. Notifications have ids that only grow, so a cursor
finds the new ones; so do edits (the index numbers each edit, `edit_seq`): an edited status
goes out as `status.update` on each stream that shows it (asked of the stream's own
timeline, narrowed to that one id, so the same visibility rules apply), however old.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

from fedishare.context import Instance
from fedishare.core.paging import Page
from fedishare.core.snowflake import snowflake
from fedishare.statuses import timelines
from fedishare.storage import notifications, status_feed, statuses
from fedishare.storage.actors import LocalActor
from fedishare.storage.notifications import Notification
from fedishare.storage.statuses import StatusRow

log = logging.getLogger(__name__)

EVERY = 0.5  # seconds between polls
LOOKBACK = timedelta(minutes=10)
BATCH = 40  # statuses asked of one stream at one poll
MEMBER_STREAMS = frozenset({"user", "user:notification", "direct"})
PUBLIC_STREAMS = frozenset({"public", "public:local", "public:remote"})
TAG_STREAMS = frozenset({"hashtag", "hashtag:local"})
STREAMS = MEMBER_STREAMS | PUBLIC_STREAMS | TAG_STREAMS


@dataclass(frozen=True)
class Stream:
    """A stream by Mastodon's name (`user`, `public:local`, `hashtag`...), with its tag."""

    name: str
    tag: str | None = None

    @property
    def label(self) -> list[str]:
        """How events name it (`["hashtag", "offer"]`)."""
        return [self.name] if self.tag is None else [self.name, self.tag]


@dataclass(frozen=True)
class Happening:
    """Something for one subscriber: a status (event `update`; `conversation` on the direct
    stream; `status.update` once edited), a notification, or the id of a status deleted."""

    event: str  # update | status.update | conversation | notification | delete
    stream: Stream
    status: StatusRow | None = None
    notification: Notification | None = None
    deleted_id: int | None = None


@dataclass(eq=False)
class Subscriber:
    member: LocalActor | None
    streams: set[Stream] = field(default_factory=set)
    queue: asyncio.Queue[Happening] = field(default_factory=asyncio.Queue)
    sent: dict[Stream, set[int]] = field(default_factory=dict)
    notification_floor: int = 0


class Hub:
    """The subscribers of one instance and the poller that feeds them."""

    def __init__(self, inst: Instance, *, every: float = EVERY) -> None:
        self.inst = inst
        self.every = every
        self.subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._signature: tuple[int, int, int] | None = None
        self._notifications = 0
        self._edits = 0

    @contextlib.asynccontextmanager
    async def subscription(self, member: LocalActor | None) -> AsyncIterator[Subscriber]:
        sub = Subscriber(member)
        sub.notification_floor = await notifications.newest_id(self.inst.db)
        self.subscribers.add(sub)
        if self._task is None:
            self._notifications = sub.notification_floor
            self._edits = await statuses.last_edit(self.inst.db)
            self._task = asyncio.create_task(self._run(), name="streaming poller")
        try:
            yield sub
        finally:
            self.subscribers.discard(sub)
            if not self.subscribers and self._task is not None:
                task, self._task = self._task, None
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def subscribe(self, sub: Subscriber, stream: Stream) -> None:
        """Add a stream; what it already shows counts as sent (only what comes next is)."""
        if stream in sub.streams:
            return
        shown = await self._rows(sub, stream, Page(limit=BATCH, since_id=self._floor()))
        sub.sent[stream] = {row.id for row in shown}
        sub.streams.add(stream)

    def unsubscribe(self, sub: Subscriber, stream: Stream) -> None:
        sub.streams.discard(stream)
        sub.sent.pop(stream, None)

    @property
    def running(self) -> bool:
        return self._task is not None

    def _floor(self) -> int:
        return snowflake(self.inst.clock() - LOOKBACK, 0)

    async def _run(self) -> None:
        while True:
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception:  # a busy database: the next turn tries again
                log.exception("streaming poll failed")
            await asyncio.sleep(self.every)

    async def poll(self) -> None:
        """One turn: hand out new notifications and edits, then new and deleted statuses."""
        await self._poll_notifications()
        await self._poll_edits()
        floor = self._floor()
        signature = await status_feed.signature(self.inst.db, floor)
        if signature == self._signature:
            return
        self._signature = signature
        for sub in list(self.subscribers):
            for stream in list(sub.streams):
                await self._poll_stream(sub, stream, floor)

    async def _poll_notifications(self) -> None:
        found = await notifications.newer_than(self.inst.db, self._notifications)
        if not found:
            return
        self._notifications = found[-1].id
        for sub in list(self.subscribers):
            if sub.member is None:
                continue
            wanted = [s for s in sub.streams if s.name in ("user", "user:notification")]
            for n in found:
                if wanted and n.recipient_id == sub.member.id and n.id > sub.notification_floor:
                    sub.queue.put_nowait(Happening("notification", wanted[0], notification=n))

    async def _poll_edits(self) -> None:
        edited = await statuses.edits_since(self.inst.db, self._edits)
        if not edited:
            return
        self._edits = edited[-1][0]
        for _, row in edited:
            if row.deleted:
                continue
            just_this = Page(limit=1, max_id=row.id + 1, since_id=row.id - 1)
            for sub in list(self.subscribers):
                for stream in list(sub.streams):
                    if stream.name in ("direct", "user:notification"):
                        continue  # conversations and notifications have no edit event
                    if await self._rows(sub, stream, just_this):
                        sub.queue.put_nowait(Happening("status.update", stream, status=row))

    async def _poll_stream(self, sub: Subscriber, stream: Stream, floor: int) -> None:
        sent = sub.sent.setdefault(stream, set())
        rows = await self._rows(sub, stream, Page(limit=BATCH, since_id=floor))
        event = "conversation" if stream.name == "direct" else "update"
        for row in reversed(rows):  # oldest first
            if row.id not in sent:
                sent.add(row.id)
                sub.queue.put_nowait(Happening(event, stream, status=row))
        if event == "update":
            shown = {row.id for row in rows}
            gone = await statuses.get_many(self.inst.db, [i for i in sent if i not in shown])
            for status_id, row in gone.items():
                if row.deleted:
                    sent.discard(status_id)
                    sub.queue.put_nowait(Happening("delete", stream, deleted_id=status_id))
        for old in [i for i in sent if i <= floor]:
            sent.discard(old)  # out of the window: never asked for again

    async def _rows(self, sub: Subscriber, stream: Stream, page: Page) -> list[StatusRow]:
        """What `stream` shows within `page` (newest first), for the subscriber: the
        stream's own timeline, so the same visibility and hiding rules apply."""
        inst, member = self.inst, sub.member
        if stream.name in ("user", "direct"):
            if member is None:
                return []
            rows = await timelines.home(inst, member, page)
            if stream.name == "direct":
                return [r for r in rows if r.visibility == "direct"]
            return rows
        local = {"public:local": True, "hashtag:local": True, "public:remote": False}.get(
            stream.name
        )
        if stream.name in PUBLIC_STREAMS:
            return await timelines.public(inst, page, local, viewer=member)
        if stream.name in TAG_STREAMS and stream.tag:
            return await timelines.tag(inst, stream.tag, page, local, viewer=member)
        return []
