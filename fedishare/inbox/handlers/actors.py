"""Remote actors changing their profile and keys (Update) or leaving (Delete)."""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.inbox.item import InboxItem
from fedishare.remote.actors import forget_key, get_remote_actor
from fedishare.storage import follows, objects, reactions, remote_actors


async def update_actor(inst: Instance, item: InboxItem) -> None:
    """Take the new profile and key from the actor's own server, not from the message."""
    await forget_key(inst, item.actor)
    await get_remote_actor(inst, item.actor, refresh=True)


async def delete_actor(inst: Instance, item: InboxItem) -> None:
    """Forget the actor: its follows both ways, its reactions, its objects (as Tombstones,
    so their ids stay taken) and its cached document and key."""
    now = inst.clock().isoformat(timespec="seconds")
    async with inst.db.transaction() as tx:
        await follows.remove_actor(tx, item.actor)
        await reactions.remove_actor(tx, item.actor)
        await objects.mark_author_deleted(tx, item.actor, now)
        await remote_actors.delete(tx, item.actor)
    await forget_key(inst, item.actor)
