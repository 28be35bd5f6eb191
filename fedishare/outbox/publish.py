"""Publishing: store an activity of ours and queue it for every inbox, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable

from fedishare.context import Instance
from fedishare.outbox.activities import is_public
from fedishare.storage import outbox as store
from fedishare.storage.actors import LocalActor
from fedishare.types import JSON


async def publish(
    inst: Instance, sender: LocalActor, activity: JSON, inboxes: Iterable[str]
) -> int:
    """Durably record `activity` as sent by `sender` and queue one delivery per distinct
    inbox; the delivery worker takes it from there. Returns the number of deliveries."""
    targets = sorted(set(inboxes) - {inst.urls.shared_inbox})
    async with inst.db.transaction() as tx:
        rowid = await store.insert_activity(
            tx, actor_id=sender.id, activity=activity, public=is_public(activity)
        )
        count = await store.enqueue_deliveries(tx, rowid, targets, inst.clock().timestamp())
    inst.wake_delivery.set()
    return count
