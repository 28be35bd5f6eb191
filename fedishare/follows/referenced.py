"""The follow an answer or an Undo refers to, whichever end of it we are."""

from __future__ import annotations

from typing import Any

from fedishare.context import Instance
from fedishare.core.activitystreams import id_of
from fedishare.storage import follows


def now_text(inst: Instance) -> str:
    """Now, as the follows table records times."""
    return inst.clock().isoformat(timespec="seconds")


async def referenced_follow(inst: Instance, original: Any) -> follows.Follow | None:
    """The follow an Accept/Reject/Undo refers to: by the Follow's id, else actor + object."""
    ref = id_of(original)
    found = None if ref is None else await follows.find_by_activity(inst.db, ref)
    if found is None and isinstance(original, dict) and original.get("type") == "Follow":
        follower, followee = id_of(original.get("actor")), id_of(original.get("object"))
        if follower is not None and followee is not None:
            found = await follows.find(inst.db, follower, followee)
    return found
