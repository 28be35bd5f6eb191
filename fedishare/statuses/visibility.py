"""Who may see a status, and who may boost it: the one place the client API asks.

As Mastodon: public and unlisted statuses are anyone's; a private (followers-only) one is
its author's, their accepted followers' and the mentioned accounts'; a direct one only its
author's and the mentioned. A boost is seen when both it and the status it boosts are. A
deleted status is nobody's. Every endpoint that shows a status, lists statuses or acts on
one passes here; a status the caller may not see is answered as if it did not exist.

`visible_rows` decides for a whole list with one mentions read and one follows read, so a
thread or a timeline page costs the same few queries whatever its length.
"""

from __future__ import annotations

from collections.abc import Sequence

from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.posts import BOOSTABLE, may_boost
from fedishare.federation.actor_document import actor_id
from fedishare.storage import follows
from fedishare.storage import statuses as index
from fedishare.storage.actors import LocalActor
from fedishare.storage.statuses import StatusRow

__all__ = ["BOOSTABLE", "can_boost", "can_see", "visible", "visible_rows"]

OPEN = frozenset({"public", "unlisted"})


async def visible_rows(
    inst: Instance, viewer: LocalActor | None, rows: Sequence[StatusRow]
) -> list[StatusRow]:
    """The rows `viewer` may see, in their order."""
    live = [r for r in rows if not r.deleted]
    wanted = [r.reblog_of for r in live if r.reblog_of is not None]
    originals = await index.get_many(inst.db, wanted) if wanted else {}
    every = live + list(originals.values())
    closed = [r for r in every if r.visibility not in OPEN]
    if closed and viewer is None:
        allowed = {r.id for r in every if r.visibility in OPEN}
    else:
        me = "" if viewer is None else actor_id(inst.urls, viewer)
        others = [r for r in closed if r.author != me]
        mentioned = await index.mentioning(inst.db, me, [r.id for r in others]) if others else set()
        authors = {r.author for r in others if r.visibility == "private" and r.id not in mentioned}
        followed = await follows.followed_among(inst.db, me, authors) if authors else set()
        allowed = {
            r.id
            for r in every
            if r.visibility in OPEN
            or r.author == me
            or r.id in mentioned
            or (r.visibility == "private" and r.author in followed)
        }

    def seen(row: StatusRow) -> bool:
        if row.id not in allowed:
            return False
        if row.reblog_of is None:
            return True
        original = originals.get(row.reblog_of)
        return original is not None and not original.deleted and original.id in allowed

    return [r for r in live if seen(r)]


async def can_see(inst: Instance, viewer: LocalActor | None, row: StatusRow) -> bool:
    return bool(await visible_rows(inst, viewer, [row]))


async def visible(inst: Instance, viewer: LocalActor | None, status_id: int) -> StatusRow:
    """The status if `viewer` may see it; NotFound otherwise (as if it did not exist)."""
    row = await index.get(inst.db, status_id)
    if row is None or not await can_see(inst, viewer, row):
        raise NotFound("Record not found")
    return row


def can_boost(inst: Instance, member: LocalActor, row: StatusRow) -> bool:
    """Whether `member`, who can see `row`, may boost it (their own private ones too)."""
    return may_boost(row.visibility, row.author, actor_id(inst.urls, member))
