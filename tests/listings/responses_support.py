"""Two running instances for the response tests: alice's listings on oak.test, members of
elm.test answering through their client outbox, and a Mastodon-like peer that signs its
POSTs as Mastodon does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fedishare.accounts.members import create_member
from fedishare.core.activitystreams import PUBLIC
from fedishare.core.types import JSON
from fedishare.listings import service
from fedishare.storage import conversations as store
from fedishare.storage import objects, tokens
from fedishare.storage.actors import LocalActor
from tests.harness import Network, Node
from tests.listings.factory import draft
from tests.mastodon_peer import MastodonPeer, rsa_key
from tests.waiting import eventually

AS = "application/activity+json"
ALICE = "http://oak.test/users/alice"
MASTODON = "http://mastodon.test"
MASTODON_TERMS = {
    "ostatus": "http://ostatus.org#",
    "atomUri": "ostatus:atomUri",
    "conversation": "ostatus:conversation",
    "sensitive": "as:sensitive",
    "toot": "http://joinmastodon.org/ns#",
}


@dataclass
class World:
    net: Network
    oak: Node
    elm: Node
    alice: LocalActor
    tokens: dict[str, str]  # elm members' bearer tokens
    peer: MastodonPeer

    async def member(self, name: str) -> str:
        """A member of elm.test who can post; returns their actor id."""
        inst = self.elm.instance
        actor = await create_member(inst.db, inst.clock, name)
        self.tokens[name] = await tokens.issue(inst.db, actor.id, inst.clock())
        return f"http://elm.test/users/{name}"

    async def listing(self, **fields: Any) -> str:
        change = await service.create_listing(self.oak.instance, self.alice, draft(**fields))
        return change.listing.id

    async def post(self, name: str, body: JSON) -> JSON:
        """`name` of elm.test posts `body` to their outbox; returns the Create."""
        r = await self.elm.client.post(
            f"http://elm.test/users/{name}/outbox",
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[name]}", "Content-Type": AS},
        )
        assert r.status_code == 201, r.text
        created: JSON = r.json()
        return created

    async def reply(self, name: str, in_reply_to: str, text: str, *, public: bool = False) -> str:
        """A reply by an elm.test member to alice; direct unless `public`. Returns its id.
        A public reply keeps alice in `cc`, as Mastodon does for the replied-to author."""
        body: JSON = {
            "type": "Note",
            "content": f"<p>{text}</p>",
            "inReplyTo": in_reply_to,
            "to": [PUBLIC] if public else [ALICE],
            "tag": [{"type": "Mention", "href": ALICE, "name": "@alice@oak.test"}],
        }
        if public:
            body["cc"] = [ALICE]
        return str((await self.post(name, body))["object"]["id"])

    async def signed(self, name: str, activity: JSON, path: str = "/inbox") -> None:
        """The Mastodon peer's `name` POSTs `activity` to oak.test, signed as Mastodon signs."""
        url = f"http://oak.test{path}"
        body, headers = self.peer.signed_post(name, url, activity, now=self.oak.instance.clock())
        async with self.net.client() as client:
            r = await client.post(url, content=body, headers=headers)
        assert r.status_code == 202, r.text

    def posted_to(self, url_prefix: str) -> list[JSON]:
        """The bodies POSTed through the network to URLs starting with `url_prefix`."""
        return [
            json.loads(r.content)
            for r in self.net.router.requests
            if r.method == "POST" and str(r.url).startswith(url_prefix)
        ]


async def world(net: Network) -> World:
    oak, elm = await net.add("oak.test"), await net.add("elm.test")
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    peer = MastodonPeer.on(net, "mastodon.test")
    peer.add("john", rsa_key(0))
    return World(net, oak, elm, alice, {}, peer)


def mastodon_reply(status: int, in_reply_to: str, *, direct: bool = True) -> JSON:
    """A Create(Note) as Mastodon 4 sends a reply by john to alice."""
    john = f"{MASTODON}/users/john"
    note_id = f"{john}/statuses/{status}"
    to, cc = ([ALICE], []) if direct else ([PUBLIC], [f"{john}/followers", ALICE])
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", MASTODON_TERMS],
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": john,
        "published": "2026-05-02T09:00:00Z",
        "to": to,
        "cc": cc,
        "object": {
            "id": note_id,
            "type": "Note",
            "summary": None,
            "inReplyTo": in_reply_to,
            "published": "2026-05-02T09:00:00Z",
            "url": f"{MASTODON}/@john/{status}",
            "attributedTo": john,
            "to": to,
            "cc": cc,
            "sensitive": False,
            "atomUri": note_id,
            "conversation": f"tag:mastodon.test,2026-05-02:objectId={status}",
            "content": '<p><span class="h-card" translate="no"><a href="http://oak.test/@alice"'
            ' class="u-url mention">@<span>alice</span></a></span> Is it still there?</p>',
            "attachment": [],
            "tag": [{"type": "Mention", "href": ALICE, "name": "@alice@oak.test"}],
        },
    }


async def conversation(node: Node, listing: str, responder: str) -> store.Conversation:
    async def found() -> store.Conversation | None:
        return await store.find_conversation(node.instance.db, listing, responder)

    return await eventually(found)


async def objects_to(node: Node, recipient: str, attributed_to: str = ALICE) -> list[JSON]:
    """The notes `node` keeps from `attributed_to` addressed to `recipient`, oldest first."""
    rows = await node.instance.db.fetch_all(
        "SELECT document FROM objects WHERE attributed_to = ? ORDER BY rowid",
        (attributed_to,),
    )
    docs = [json.loads(r["document"]) for r in rows]
    return [d for d in docs if d.get("to") == [recipient]]


async def kept(node: Node, object_id: str) -> objects.StoredObject:
    async def found() -> objects.StoredObject | None:
        return await objects.get(node.instance.db, object_id)

    return await eventually(found)


async def sent(node: Node, kind: str) -> list[tuple[JSON, list[str]]]:
    """Activities of type `kind` that `node` published, with the inboxes queued for them;
    the publication of listings left out."""
    db = node.instance.db
    found = []
    for row in await db.fetch_all(
        "SELECT * FROM outbox_activities WHERE type = ?"
        " AND coalesce(object_id, '') NOT LIKE ? ORDER BY id",
        (kind, f"{node.base}/listings/%"),
    ):
        inboxes = await db.fetch_all(
            "SELECT inbox FROM deliveries WHERE activity_rowid = ? ORDER BY inbox", (row["id"],)
        )
        found.append((json.loads(row["document"]), [r[0] for r in inboxes]))
    return found
