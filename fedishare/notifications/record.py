"""Recording a notification for a member, inside the transaction of the event that causes
it, so that the event and its notification are stored together or not at all.

Types are Mastodon's: mention, status, reblog, follow, follow_request, favourite, update.
Nothing is recorded from an account the member blocks, or mutes with notifications (as
Mastodon drops those; a mute without notifications lets them through); the same event
arriving again records nothing more. Callers leave out a member's own doings (only they
know the member's actor URI).
"""

from __future__ import annotations

from datetime import datetime

from fedishare.storage import notifications
from fedishare.storage.account_relations import silenced_for_notifications
from fedishare.storage.database import Transaction

TYPES = frozenset(
    {"mention", "status", "reblog", "follow", "follow_request", "favourite", "update"}
)


async def record(
    tx: Transaction,
    *,
    recipient_id: int,
    type: str,
    from_actor: str,
    status_id: int | None,
    at: datetime,
) -> int | None:
    """Notify member `recipient_id`; the new notification's id, or None if nothing new was
    recorded."""
    if type not in TYPES:
        raise ValueError(f"not a notification type: {type}")
    if from_actor in await silenced_for_notifications(tx, recipient_id, at.timestamp()):
        return None
    return await notifications.insert(
        tx,
        recipient_id=recipient_id,
        type=type,
        from_actor=from_actor,
        status_id=status_id,
        at=at,
    )
