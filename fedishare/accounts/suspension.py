"""Admins suspending a member, and lifting it: a suspended member cannot sign in, their
sessions and app tokens end, and their profile answers 410 Gone (as a disabled member's);
the suspension keeps who decided it, when and why. Lifting it lets them sign in again.

Their listings are withdrawn across the network by `fedishare.listings.suspension` (above
this layer), as a member leaving has them deleted; lifting the suspension does not bring
them back.
"""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.errors import Invalid, NotFound
from fedishare.storage import account_moderation as store
from fedishare.storage import actors, tokens, web_sessions
from fedishare.storage.account_moderation import Suspension
from fedishare.storage.actors import LocalActor

MAX_REASON = 500


async def member(inst: Instance, username: str) -> LocalActor | None:
    """The member named `username`, if there is one."""
    found = await actors.find_by_username(inst.db, username.strip().removeprefix("@"))
    return found if found is not None and found.kind == "person" else None


async def suspend(
    inst: Instance, username: str, reason: str, by: LocalActor
) -> tuple[LocalActor, bool]:
    """Suspend the member and end their sessions and tokens; Invalid naming `username` if
    they cannot be (no such member, the admin themself, gone). Returns the member, and
    whether the suspension is new: suspending them again changes nothing here (the first
    suspension's reason stays) but lets the caller finish withdrawing their listings."""
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise Invalid(f"reason: at most {MAX_REASON} characters")
    target = await member(inst, username)
    if target is None:
        raise Invalid("username: no member has this name")
    if target.id == by.id:
        raise Invalid("username: you cannot suspend your own account")
    if target.is_deleted:
        raise Invalid("username: this member deleted their account")
    async with inst.db.transaction() as tx:
        entry = Suspension(target.id, reason, inst.clock().timestamp(), by.id)
        if not await store.insert_suspension(tx, entry):
            return target, False
        await actors.set_disabled(tx, target.username, True)
        await web_sessions.delete_for_actor(tx, target.id)
        await tokens.revoke_all(tx, target.id)
    return target, True


async def suspended_members(inst: Instance) -> list[LocalActor]:
    """Every suspended member."""
    return [actor for actor, _ in await suspensions(inst)]


async def unsuspend(inst: Instance, username: str) -> None:
    """Let the member sign in again; NotFound if they were not suspended."""
    target = await member(inst, username)
    if target is None:
        raise NotFound("username: no member has this name")
    async with inst.db.transaction() as tx:
        if not await store.delete_suspension(tx, target.id):
            raise NotFound("username: not suspended")
        await actors.set_disabled(tx, target.username, False)


async def suspensions(inst: Instance) -> list[tuple[LocalActor, Suspension]]:
    """The suspended members, the latest first, each with their suspension."""
    found = []
    for entry in await store.all_suspensions(inst.db):
        actor = await actors.find_by_id(inst.db, entry.actor_id)
        if actor is not None:
            found.append((actor, entry))
    return found
