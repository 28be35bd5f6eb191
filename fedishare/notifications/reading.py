"""A member's notifications as apps read them: a filtered page, one by id, dismissing one,
clearing all, and how many are unread (newer than their notifications marker)."""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.paging import Page
from fedishare.notifications.markers import read_position
from fedishare.storage import notifications as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.notifications import EVERY, Filter, Notification


async def page_of(
    inst: Instance, member: LocalActor, page: Page, which: Filter = EVERY
) -> list[Notification]:
    """One page, newest first."""
    return await store.page_of(inst.db, member.id, page, which)


async def one(inst: Instance, member: LocalActor, notification_id: int) -> Notification:
    """One of the member's notifications, or NotFound (someone else's is not found either)."""
    found = await store.get(inst.db, member.id, notification_id)
    if found is None:
        raise NotFound("Record not found")
    return found


async def dismiss(inst: Instance, member: LocalActor, notification_id: int) -> None:
    async with inst.db.transaction() as tx:
        if not await store.dismiss(tx, member.id, notification_id):
            raise NotFound("Record not found")


async def clear(inst: Instance, member: LocalActor) -> int:
    """Dismiss them all; how many there were."""
    async with inst.db.transaction() as tx:
        return await store.clear(tx, member.id)


async def unread_count(
    inst: Instance, member: LocalActor, which: Filter = EVERY, *, most: int = 100
) -> int:
    """How many are newer than the member's notifications marker (all, without one)."""
    after = await read_position(inst, member, "notifications")
    return await store.count_after(inst.db, member.id, after, which, most=most)
