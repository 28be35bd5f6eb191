"""Block: another server's actor blocks one of our members. As Mastodon does, the follows
between the two end both ways; nothing is sent back (a Block is not answered). An Undo of a
Block needs nothing: no block of theirs is kept, so they may follow again afterwards."""

from __future__ import annotations

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.core.activitystreams import id_of
from fedishare.federation.actor_document import actor_id
from fedishare.inbox.item import InboxItem
from fedishare.storage import follows


async def on_block(inst: Instance, item: InboxItem) -> None:
    local = await local_actor_for(inst, id_of(item.activity.get("object")))
    if local is None or local.kind == "application":
        return
    member = actor_id(inst.urls, local)
    async with inst.db.transaction() as tx:
        await follows.remove(tx, member, item.actor)
        await follows.remove(tx, item.actor, member)
