"""A follow request answered (or withdrawn) is no longer news: its `follow_request`
notification goes, as Mastodon deletes it with the request. Approving adds no `follow`
notification either (Mastodon adds none: the member did it)."""

from __future__ import annotations

from fedishare.storage import notifications
from fedishare.storage.database import Transaction


async def request_settled(tx: Transaction, recipient_id: int, follower: str) -> None:
    """Called in the transaction that accepts, refuses or undoes the request of
    `follower` to follow member `recipient_id`."""
    await notifications.remove(tx, recipient_id, "follow_request", follower)
