"""Building the activities our actors send. Pure: ids and times are passed in or made here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fedishare.core.activitystreams import AS_CONTEXT, iso, new_id
from fedishare.core.types import JSON


def follow(base: str, actor: str, target: str) -> JSON:
    return {
        "@context": AS_CONTEXT,
        "id": new_id(base),
        "type": "Follow",
        "actor": actor,
        "object": target,
    }


def block(base: str, actor: str, target: str) -> JSON:
    """A Block, addressed to the blocked actor alone (its server hides `actor` from them)."""
    return {
        "@context": AS_CONTEXT,
        "id": new_id(base),
        "type": "Block",
        "actor": actor,
        "object": target,
        "to": [target],
    }


def like(base: str, actor: str, object_id: str, author: str) -> JSON:
    """A Like (a favourite) of `object_id`, addressed to its author."""
    return {
        "@context": AS_CONTEXT,
        "id": new_id(base),
        "type": "Like",
        "actor": actor,
        "object": object_id,
        "to": [author],
    }


def announce(
    base: str,
    actor: str,
    object_id: str,
    published: datetime,
    *,
    to: Sequence[str],
    cc: Sequence[str],
) -> JSON:
    """An Announce (a boost) of `object_id`; whom it goes to says how visible the boost is."""
    return {
        "@context": AS_CONTEXT,
        "id": new_id(base),
        "type": "Announce",
        "actor": actor,
        "published": iso(published),
        "to": list(to),
        "cc": list(cc),
        "object": object_id,
    }


def embedded(activity: JSON) -> JSON:
    """The original activity as Accept/Reject/Undo embed it: Mastodon matches on these."""
    return {k: activity[k] for k in ("id", "type", "actor", "object") if k in activity}


def respond(base: str, kind: str, actor: str, original: JSON) -> JSON:
    """Accept or Reject of an activity addressed to us, signed by `actor`."""
    return {
        "@context": AS_CONTEXT,
        "id": new_id(base),
        "type": kind,
        "actor": actor,
        "object": embedded(original),
        "to": [original["actor"]],
    }


def undo(base: str, actor: str, original: JSON) -> JSON:
    return {
        "@context": AS_CONTEXT,
        "id": new_id(base),
        "type": "Undo",
        "actor": actor,
        "object": embedded(original),
    }


def create(actor: str, obj: JSON, published: datetime) -> JSON:
    return {
        "@context": AS_CONTEXT,
        "id": f"{obj['id']}/activity",
        "type": "Create",
        "actor": actor,
        "published": iso(published),
        "to": obj.get("to", []),
        "cc": obj.get("cc", []),
        "object": obj,
    }


def flag(base: str, actor: str, objects: Sequence[str], content: str) -> JSON:
    """A report of an account and some of its posts (`objects`: the account's id first), for
    the account's server. As Mastodon sends one: from the instance's actor, so the member who
    reported is not named, and addressed to no one (it goes to that server's inbox alone)."""
    return {
        "@context": AS_CONTEXT,
        "id": new_id(base),
        "type": "Flag",
        "actor": actor,
        "content": content,
        "object": list(objects),
    }
