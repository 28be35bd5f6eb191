"""Building the activities our actors send. Pure: ids and times are passed in or made here."""

from __future__ import annotations

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
