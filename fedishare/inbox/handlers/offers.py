"""FEP-0837 `Offer`s and `Join`s that respond to our listings (see fedishare.listings.responses)."""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.inbox.item import InboxItem
from fedishare.listings.responses import take_offer


async def on_offer(inst: Instance, item: InboxItem) -> None:
    await take_offer(inst, item.activity, item.actor)
