"""Likes and Announces (boosts) of our objects, counted once per actor; others' are ignored."""

from __future__ import annotations

from typing import Any

from fedishare.context import Instance
from fedishare.core.activitystreams import id_of
from fedishare.inbox.item import InboxItem
from fedishare.storage import objects, reactions


async def _is_local_object(inst: Instance, object_id: str) -> bool:
    stored = await objects.get(inst.db, object_id)
    if stored is None:
        return inst.urls.is_ours(object_id)  # ours, kept elsewhere (a listing, say)
    return stored.is_local and not stored.deleted


async def on_reaction(inst: Instance, item: InboxItem) -> None:
    activity_id = id_of(item.activity)
    target = id_of(item.activity.get("object"))
    if activity_id is None or target is None or not await _is_local_object(inst, target):
        return
    now = inst.clock().isoformat(timespec="seconds")
    async with inst.db.transaction() as tx:
        await reactions.add(tx, activity_id, item.activity["type"], item.actor, target, now)


async def undo_reaction(inst: Instance, item: InboxItem, original: Any) -> bool:
    """Undo(Like | Announce) by the actor who reacted; False if there is nothing of theirs."""
    ref = id_of(original)
    found = None if ref is None else await reactions.find_by_activity(inst.db, ref)
    if found is None and isinstance(original, dict):
        target = id_of(original.get("object"))
        if target is not None and original.get("type") in reactions.TYPES:
            found = await reactions.find(inst.db, original["type"], item.actor, target)
    if found is None or found.actor != item.actor:
        return False
    async with inst.db.transaction() as tx:
        await reactions.remove(tx, found)
    return True
