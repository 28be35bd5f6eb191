"""Edits and deletions of objects we keep; only by the object's own author."""

from __future__ import annotations

from typing import Any

from fedishare.context import Instance
from fedishare.core.activitystreams import id_of, parse_iso
from fedishare.inbox.handlers._origin import author_of, trusted_object
from fedishare.inbox.item import InboxItem, Rejected
from fedishare.storage import objects


async def _own(inst: Instance, item: InboxItem, object_id: str) -> objects.StoredObject | None:
    stored = await objects.get(inst.db, object_id)
    if stored is None or stored.deleted:
        return None  # unknown to us, or already gone
    if stored.attributed_to != item.actor:
        raise Rejected(f"{item.actor} is not the author of {object_id}")
    return stored


async def update_object(inst: Instance, item: InboxItem, value: Any) -> bool:
    """Apply an edit if its `updated` is newer than what we have; False if not applied."""
    object_id = id_of(value)
    stored = None if object_id is None else await _own(inst, item, object_id)
    if stored is None:
        return False
    doc = await trusted_object(inst, item, value)
    if doc is None or author_of(doc) != stored.attributed_to:
        return False
    updated = parse_iso(doc.get("updated"))
    current = parse_iso(stored.updated) or parse_iso(stored.published)
    if updated is None or (current is not None and updated <= current):
        return False
    async with inst.db.transaction() as tx:
        return await objects.replace_document(tx, stored.id, doc, doc["updated"], now=inst.clock())


async def delete_object(inst: Instance, item: InboxItem, object_id: str) -> bool:
    """Leave a Tombstone in the object's place; False if there was nothing to delete."""
    if await _own(inst, item, object_id) is None:
        return False
    async with inst.db.transaction() as tx:
        return await objects.mark_deleted(tx, object_id, inst.clock().isoformat(timespec="seconds"))
