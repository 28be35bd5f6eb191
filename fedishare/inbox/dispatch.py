"""Routing a stored, verified activity to the handlers for its type, in the order listed.

The inbox worker calls `dispatch` for each stored item. A handler raises `Rejected` for an
activity that can never succeed (it is marked failed and not retried, and the handlers after
it do not run); any other exception means "try again later". Handlers are idempotent: an
item may run again after a crash.
"""

from __future__ import annotations

from collections.abc import Mapping

from fedishare.context import Instance
from fedishare.inbox.handlers import (
    announces,
    blocks,
    changes,
    flag,
    follows,
    listing_changes,
    notifying,
    offers,
    reactions,
    replies,
    undo,
)
from fedishare.inbox.item import Handler, InboxItem

# Activity type -> its handlers, run in this order. Types not listed are stored and ignored.
# `notifying` comes last: it reads what the others stored.
HANDLERS: Mapping[str, tuple[Handler, ...]] = {
    "Follow": (follows.on_follow, notifying.on_follow),
    "Accept": (follows.on_answer,),
    "Reject": (follows.on_answer,),
    "Undo": (undo.on_undo,),
    # Posts that concern us first, then what the activity says of other servers' listings.
    "Create": (replies.on_create, listing_changes.on_create, notifying.on_create),
    "Update": (changes.on_update, listing_changes.on_update),
    "Delete": (changes.on_delete, listing_changes.on_delete),
    "Like": (reactions.on_reaction, notifying.on_reaction),
    "Announce": (announces.on_announce, notifying.on_reaction),
    "Offer": (offers.on_offer,),
    "Join": (offers.on_offer,),
    "Block": (blocks.on_block,),
    "Flag": (flag.on_flag,),
}


async def dispatch(inst: Instance, item: InboxItem) -> None:
    for handler in HANDLERS.get(str(item.activity.get("type")), ()):
        await handler(inst, item)
