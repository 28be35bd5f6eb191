"""How pages name an actor: one of our members, or another server's actor as we last fetched
it (names are remote text: templates escape them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.storage import remote_actors


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    handle: str  # @user@host, or the id when we know nothing more
    url: str  # where a browser sees them: our profile page, or their own server
    local: bool


async def describe(inst: Instance, actor: str) -> Person:
    local = await local_actor_for(inst, actor)
    if local is not None:
        handle = f"@{local.username}@{inst.config.instance.domain}"
        return Person(actor, local.display_name or local.username, handle, actor, True)
    remote = await remote_actors.get(inst.db, actor)
    if remote is not None:
        return Person(actor, remote.name or remote.preferred_username, remote.handle, actor, False)
    return Person(actor, actor, actor, actor, False)


async def describe_all(inst: Instance, actors: Iterable[str]) -> dict[str, Person]:
    """Each distinct actor, described once."""
    return {actor: await describe(inst, actor) for actor in dict.fromkeys(actors)}
