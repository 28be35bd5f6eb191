"""What a member's app posts to its outbox about listings (client-to-server, bearer token):
    {"type": "Create", "object": {"type": "Listing", "kind": "give", "title": ...}}
    {"type": "Update", "object": {"type": "Listing", "id": LISTING, ...the whole listing}}
    {"type": "Update", "object": {"id": LISTING, "listingStatus": "reserved",
                                  "reservedFor": ACTOR}}
        (listingStatus: open | reserved | taken | received | withdrawn)
    {"type": "Delete", "object": LISTING}
When a listing is taken, received or withdrawn, the others who responded hear that it has gone.
"""

from __future__ import annotations

from typing import Any

from fedishare.context import Instance
from fedishare.core.errors import Invalid
from fedishare.core.types import JSON
from fedishare.listings import service
from fedishare.listings.conversations import notify_gone
from fedishare.storage import listings as store
from fedishare.storage.actors import LocalActor

LISTING_TYPE = "Listing"
_STATUS_CHANGES = ("open", "reserved", "taken", "received", "withdrawn")


def is_listing_activity(inst: Instance, posted: JSON) -> bool:
    """Whether an outbox POST is about a listing (and so for `post_listing_activity`)."""
    kind = posted.get("type")
    obj = posted.get("object")
    if kind == LISTING_TYPE:
        return True
    if kind in ("Create", "Update") and isinstance(obj, dict):
        return obj.get("type") == LISTING_TYPE or _is_our_listing_id(inst, obj.get("id"))
    if kind == "Delete":
        target = obj.get("id") if isinstance(obj, dict) else obj
        return _is_our_listing_id(inst, target)
    return False


def _is_our_listing_id(inst: Instance, value: object) -> bool:
    return isinstance(value, str) and value.startswith(f"{inst.urls.base}/listings/")


async def post_listing_activity(inst: Instance, member: LocalActor, posted: JSON) -> JSON:
    """Carry out a member's listing activity; return the activity published for it."""
    kind = posted.get("type")
    obj: Any = posted if kind == LISTING_TYPE else posted.get("object")
    if kind in ("Create", LISTING_TYPE):
        change = await service.create_listing(inst, member, _draft(obj))
    elif kind == "Delete":
        target = obj.get("id") if isinstance(obj, dict) else obj
        change = await service.delete_listing(inst, member, str(target))
    else:  # Update
        listing_id = obj.get("id")
        if not _is_our_listing_id(inst, listing_id):
            raise Invalid("object.id: one of this instance's listings")
        if obj.get("type") == LISTING_TYPE:
            change = await service.edit_listing(inst, member, listing_id, _draft(obj))
        else:
            change = await _change_status(inst, member, listing_id, obj)
    return change.activity


def _draft(obj: Any) -> JSON:
    if not isinstance(obj, dict):
        raise Invalid("object: a Listing")
    return {k: v for k, v in obj.items() if k not in ("type", "id")}


async def _change_status(
    inst: Instance, member: LocalActor, listing_id: str, obj: JSON
) -> service.Change:
    status = obj.get("listingStatus")
    if status not in _STATUS_CHANGES:
        raise Invalid("listingStatus: one of " + ", ".join(_STATUS_CHANGES))
    who = obj.get("reservedFor")
    if who is not None and not isinstance(who, str):
        raise Invalid("reservedFor: an actor id (URL)")
    if status == "reserved":
        if who is None:
            raise Invalid("reservedFor: required to reserve a listing")
        return await service.reserve(inst, member, listing_id, who)
    if status == "open":
        return await service.release(inst, member, listing_id)
    if status == "withdrawn":
        change = await service.withdraw(inst, member, listing_id)
    else:
        listing = await store.get(inst.db, listing_id)
        if listing is not None and listing.done_status != status:
            raise Invalid(f"listingStatus: this listing is {listing.done_status} when done")
        change = await service.mark_done(inst, member, listing_id, recipient=who)
    # The others who responded hear that it has gone (once each; a later call catches up
    # with anyone whose server was unreachable).
    await notify_gone(inst, listing_id, except_responder=change.listing.reserved_for)
    return change
