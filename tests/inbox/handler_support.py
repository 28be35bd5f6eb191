"""Helpers for the handler tests: two nodes, Mastodon fixtures moved onto them, and what a
node published (its outbox rows and the inboxes they are queued for)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fedishare.accounts.members import create_member
from fedishare.core.activitystreams import PUBLIC
from fedishare.core.types import JSON
from fedishare.inbox.dispatch import dispatch
from fedishare.inbox.item import InboxItem
from fedishare.storage import objects
from fedishare.storage.actors import LocalActor
from tests.harness import Network, Node

FIXTURES = Path(__file__).parent.parent / "fixtures" / "fediverse"
OAK = "http://oak.test"
ELM = "http://elm.test"


def fixture(name: str, replacements: dict[str, str]) -> JSON:
    """A captured payload with its URLs rewritten (longest first, so prefixes come last)."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for old in sorted(replacements, key=len, reverse=True):
        text = text.replace(old, replacements[old])
    document: JSON = json.loads(text)
    return document


async def pair(net: Network) -> tuple[Node, Node]:
    """oak.test (where the handlers run) and elm.test (where the senders live)."""
    return await net.add("oak.test"), await net.add("elm.test")


async def member(node: Node, name: str, *, locked: bool = False) -> LocalActor:
    return await create_member(node.instance.db, node.instance.clock, name, locked=locked)


async def receive(node: Node, activity: JSON, *, recipient: int | None = None) -> None:
    """What the inbox worker does with a verified item signed by `activity["actor"]`."""
    await dispatch(node.instance, InboxItem(activity, activity["actor"], recipient))


@dataclass(frozen=True)
class Published:
    activity: JSON
    actor_id: int
    inboxes: list[str]


async def published(node: Node, kind: str) -> list[Published]:
    db = node.instance.db
    found = []
    for row in await db.fetch_all(
        "SELECT * FROM outbox_activities WHERE type = ? ORDER BY id", (kind,)
    ):
        inboxes = await db.fetch_all(
            "SELECT inbox FROM deliveries WHERE activity_rowid = ? ORDER BY inbox", (row["id"],)
        )
        found.append(
            Published(json.loads(row["document"]), row["actor_id"], [r[0] for r in inboxes])
        )
    return found


async def local_note(node: Node, author: LocalActor, path: str = "objects/n1") -> str:
    """A public Note of `author`, stored as the outbox stores ours; returns its id."""
    aid = f"{node.base}/users/{author.username}"
    note: JSON = {
        "id": f"{node.base}/{path}",
        "type": "Note",
        "attributedTo": aid,
        "content": "<p>Ladder to lend</p>",
        "published": "2026-05-01T10:00:00Z",
        "to": [PUBLIC],
        "cc": [f"{aid}/followers"],
    }
    async with node.instance.db.transaction() as tx:
        await objects.insert(
            tx, note, attributed_to=aid, published=note["published"], local_actor_id=author.id
        )
    return str(note["id"])
