"""Mastodon's Relationship: how one member stands with other accounts — follows either way
(accepted or still requested), and the member's blocks and mutes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from fedishare.client_api.entities.account import account_ids_of
from fedishare.client_api.entities.times import mastodon_time
from fedishare.context import Instance
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.storage import account_reads, account_relations
from fedishare.storage.actors import LocalActor


async def render_relationships(
    inst: Instance, viewer: LocalActor, uris: Sequence[str]
) -> list[JSON]:
    """One Relationship per URI, in order (duplicates once)."""
    wanted = list(dict.fromkeys(uris))
    if not wanted:
        return []
    me = actor_id(inst.urls, viewer)
    db = inst.db
    ids = await account_ids_of(inst, wanted)
    follows = await account_reads.follows_between(db, me, wanted)
    blocking = await account_relations.blocked(db, viewer.id, wanted)
    muting = await account_relations.muted(db, viewer.id, wanted, inst.clock().timestamp())
    blocked_by = await _blocked_by(inst, me, wanted)
    out: list[JSON] = []
    for uri in wanted:
        mute = muting.get(uri)
        following = follows.get("out:" + uri) == "accepted"
        out.append(
            {
                "id": ids[uri],
                "following": following,
                "showing_reblogs": following,
                "notifying": False,
                "followed_by": follows.get("in:" + uri) == "accepted",
                "blocking": uri in blocking,
                "blocked_by": uri in blocked_by,
                "muting": mute is not None,
                "muting_notifications": mute is not None and mute.notifications,
                "muting_expires_at": None
                if mute is None or mute.expires_at is None
                else mastodon_time(datetime.fromtimestamp(mute.expires_at, tz=UTC)),
                "requested": follows.get("out:" + uri) == "pending",
                "requested_by": follows.get("in:" + uri) == "pending",
                "domain_blocking": False,
                "endorsed": False,
                "note": "",
                "languages": None,
            }
        )
    return out


async def _blocked_by(inst: Instance, me: str, uris: Sequence[str]) -> set[str]:
    """Which of `uris` (our members: other servers do not tell) block the member `me`."""
    blockers = await account_relations.blockers(inst.db, me)
    if not blockers:
        return set()
    names = [name for uri in uris if (name := inst.urls.username_of(uri)) is not None]
    found = await account_reads.local_actors(inst.db, names)
    return {actor_id(inst.urls, row.actor) for row in found if row.actor.id in blockers} & set(uris)
