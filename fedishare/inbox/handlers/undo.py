"""Undo of a Follow, Like or Announce; only the actor who did it can undo it."""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.follows.followers import undo_follow
from fedishare.inbox.handlers.announces import forget_boost
from fedishare.inbox.handlers.reactions import undo_reaction
from fedishare.inbox.item import InboxItem


async def on_undo(inst: Instance, item: InboxItem) -> None:
    original = item.activity.get("object")
    kind = original.get("type") if isinstance(original, dict) else None
    if kind == "Follow":
        await undo_follow(inst, item.actor, original)
    elif kind in ("Like", "Announce"):
        await undo_reaction(inst, item, original)
        if kind == "Announce":
            await forget_boost(inst, item, original)
    elif kind is None and not await undo_follow(inst, item.actor, original):
        await undo_reaction(inst, item, original)  # a bare id: whichever it names
        await forget_boost(inst, item, original)
