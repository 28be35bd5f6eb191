"""Waiting for follows and listings to cross between instances, for the moderation tests."""

from __future__ import annotations

from fedishare.follows.following import follow_actor
from fedishare.storage import follows
from fedishare.storage import listings as listing_store
from fedishare.storage.actors import LocalActor
from tests.harness import Node
from tests.waiting import eventually


async def following(node: Node, who: LocalActor, whom: str) -> None:
    await follow_actor(node.instance, who, whom)

    async def accepted() -> bool:
        found = await follows.find(node.instance.db, f"{node.base}/users/{who.username}", whom)
        return found is not None and found.state == "accepted"

    await eventually(accepted)


async def arrives(node: Node, listing_id: str) -> None:
    async def kept() -> bool:
        return await listing_store.get(node.instance.db, listing_id) is not None

    await eventually(kept)
