"""The origin rule: an object is taken as sent only from its own author on its own host;
anything else is fetched from where its id points, and kept only if it is at home there.

What is fetched is limited too: an object id only when it is on the actor's own host (an
actor speaks of its own server's objects), except for an Announce, whose object is
another's by nature: that one is fetched from its own origin, and kept only if attributed
to an actor there. So an activity cannot make us fetch from a host of its choosing."""

from __future__ import annotations

from typing import Any

from fedishare.context import Instance
from fedishare.core.activitystreams import id_of, ids_of, same_host
from fedishare.core.types import JSON
from fedishare.federation.errors import FetchError
from fedishare.inbox.item import InboxItem
from fedishare.remote.fetch import signed_get


def author_of(doc: JSON) -> str | None:
    """The first actor of `attributedTo` (some servers list a person and a group)."""
    authors = ids_of(doc.get("attributedTo"))
    return authors[0] if authors else None


async def trusted_object(
    inst: Instance, item: InboxItem, value: Any, *, any_origin: bool = False
) -> JSON | None:
    """The object of `item` as its origin has it, or None if it cannot be had (or is on
    another host than the actor's, unless `any_origin`: an Announce's object)."""
    object_id = id_of(value)
    if object_id is None:
        return None
    if (
        isinstance(value, dict)
        and same_host(object_id, item.actor)
        and author_of(value) == item.actor
    ):
        return value
    if not any_origin and not same_host(object_id, item.actor):
        return None
    try:
        doc = await signed_get(inst, object_id)
    except FetchError:
        return None
    author = author_of(doc)
    if id_of(doc) != object_id or author is None or not same_host(author, object_id):
        return None
    return doc
