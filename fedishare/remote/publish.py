"""Publishing: store an activity of ours and queue it for every inbox, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable

from fedishare.context import Instance
from fedishare.core.activitystreams import is_public
from fedishare.core.types import JSON
from fedishare.storage import outbox as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Transaction


async def queue_publication(
    tx: Transaction, inst: Instance, sender: LocalActor, activity: JSON, inboxes: Iterable[str]
) -> int:
    """Inside the caller's transaction: record `activity` as sent by `sender` and queue one
    delivery per distinct inbox. Call `inst.wake_delivery.set()` after the commit."""
    targets = sorted(set(inboxes) - {inst.urls.shared_inbox})
    now = inst.clock().timestamp()
    rowid = await store.insert_activity(
        tx, actor_id=sender.id, activity=activity, public=is_public(activity), now=now
    )
    return await store.enqueue_deliveries(tx, rowid, targets, now)


async def publish(
    inst: Instance, sender: LocalActor, activity: JSON, inboxes: Iterable[str]
) -> int:
    """Durably record and queue `activity`; the delivery worker takes it from there.
    Returns the number of deliveries queued."""
    async with inst.db.transaction() as tx:
        count = await queue_publication(tx, inst, sender, activity, inboxes)
    inst.wake_delivery.set()
    return count
