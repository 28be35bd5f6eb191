"""Remote actors for tests against a real `fedishare serve`: known to the instance already
(their documents and keys written into its database, so that verifying their POSTs fetches
nothing), on a loopback port where nothing listens (what the instance sends them is refused
at once and retried later), signing their inbox POSTs as Mastodon does (tests.mastodon_peer).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from fedishare.core.activitystreams import PUBLIC
from fedishare.core.types import JSON
from fedishare.federation.keys import public_pem_of
from fedishare.storage import remote_actors
from fedishare.storage.database import open_database
from fedishare.storage.remote_actors import RemoteActor
from tests.mastodon_peer import MastodonPeer, rsa_key
from tests.processes import free_port


class SigningPeer:
    def __init__(self, names: list[str]) -> None:
        self.port = free_port()  # closed again: nothing listens there
        self.mastodon = MastodonPeer(f"127.0.0.1:{self.port}")
        for n, name in enumerate(names):
            self.mastodon.add(name, rsa_key(n))
        self.names = names

    def actor(self, name: str) -> str:
        return self.mastodon.actor_id(name)

    async def introduce(self, database: Path) -> None:
        """Store the actors in the instance's database, as if fetched just now."""
        async with open_database(database) as db, db.transaction() as tx:
            for name in self.names:
                document = self.mastodon.document(name)
                await remote_actors.upsert(
                    tx,
                    RemoteActor(
                        id=document["id"],
                        host=self.mastodon.host,
                        type="Person",
                        preferred_username=name,
                        name=name.title(),
                        inbox=document["inbox"],
                        shared_inbox=document["endpoints"]["sharedInbox"],
                        followers=document["followers"],
                        key_id=self.mastodon.key_id(name),
                        public_key_pem=public_pem_of(self.mastodon.keys[name].public_key()),
                        fetched_at=time.time(),
                    ),
                    document,
                )

    async def send(self, client: httpx.AsyncClient, inbox: str, activity: JSON) -> httpx.Response:
        """POST `activity`, signed by its actor, to `inbox` (an absolute URL)."""
        name = str(activity["actor"]).rsplit("/", 1)[1]
        body, headers = self.mastodon.signed_post(name, inbox, activity, now=datetime.now(UTC))
        return await client.post(inbox, content=body, headers=headers)

    def note(self, name: str, serial: str, to: str, *, content: str = "") -> JSON:
        """A public Create(Note) by `name` that mentions the member `to` (so it is kept)."""
        actor = self.actor(name)
        note: dict[str, Any] = {
            "id": f"{actor}/statuses/{serial}",
            "type": "Note",
            "attributedTo": actor,
            "content": content or f"<p>Anyone need a ladder? ({serial})</p>",
            "published": "2026-05-01T10:00:00Z",
            "to": [PUBLIC],
            "cc": [to],
            "tag": [{"type": "Mention", "href": to, "name": "@member"}],
        }
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}/statuses/{serial}/activity",
            "type": "Create",
            "actor": actor,
            "published": note["published"],
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }

    def activity(self, name: str, serial: str, kind: str, obj: Any) -> JSON:
        actor = self.actor(name)
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}#{kind.lower()}s/{serial}",
            "type": kind,
            "actor": actor,
            "object": obj,
        }
