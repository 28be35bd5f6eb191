"""The activities that publish a listing's life: Create, Update, Delete (with a Tombstone).

Each is addressed like the Note it carries, and uses the listing context so that the terms
of the embedded Note stay defined at the top level too.
"""

from __future__ import annotations

from datetime import datetime

from fedishare.core.activitystreams import iso, new_id
from fedishare.core.types import JSON
from fedishare.listings.vocabulary import LISTING_CONTEXT


def create(note: JSON, published: datetime) -> JSON:
    return {
        "@context": LISTING_CONTEXT,
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": note["attributedTo"],
        "published": iso(published),
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }


def update(base: str, note: JSON, updated: datetime) -> JSON:
    """An Update carrying the whole new Note; its `updated` must be newer than before."""
    return {
        "@context": LISTING_CONTEXT,
        "id": new_id(base),
        "type": "Update",
        "actor": note["attributedTo"],
        "published": iso(updated),
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }


def tombstone(listing_id: str, deleted: datetime) -> JSON:
    return {"id": listing_id, "type": "Tombstone", "formerType": "Note", "deleted": iso(deleted)}


def delete(base: str, note: JSON, deleted: datetime) -> JSON:
    """A Delete of the listing `note` was, addressed as it was."""
    return {
        "@context": LISTING_CONTEXT,
        "id": new_id(base),
        "type": "Delete",
        "actor": note["attributedTo"],
        "published": iso(deleted),
        "to": note["to"],
        "cc": note["cc"],
        "object": tombstone(note["id"], deleted),
    }
