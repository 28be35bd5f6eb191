"""Update and Delete: of the sending actor itself, or of one of its objects."""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.activitystreams import ACTOR_TYPES, id_of
from fedishare.inbox.handlers.actors import delete_actor, update_actor
from fedishare.inbox.handlers.objects import delete_object, update_object
from fedishare.inbox.item import InboxItem, Rejected


async def on_update(inst: Instance, item: InboxItem) -> None:
    value = item.activity.get("object")
    object_id = id_of(value)
    is_actor = isinstance(value, dict) and value.get("type") in ACTOR_TYPES
    if object_id == item.actor:
        await update_actor(inst, item)
    elif is_actor:
        raise Rejected(f"{item.actor} cannot update another actor")
    elif object_id is not None:
        await update_object(inst, item, value)


async def on_delete(inst: Instance, item: InboxItem) -> None:
    object_id = id_of(item.activity.get("object"))
    if object_id == item.actor:
        await delete_actor(inst, item)
    elif object_id is not None:
        await delete_object(inst, item, object_id)
