"""Actors of other servers that we have fetched: their inboxes and public keys."""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.core.json_text import compact_json
from fedishare.core.types import JSON
from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row


@dataclass(frozen=True)
class RemoteActor:
    id: str
    host: str
    type: str
    preferred_username: str
    name: str
    inbox: str
    shared_inbox: str | None
    followers: str | None
    key_id: str
    public_key_pem: str
    fetched_at: float

    @property
    def delivery_inbox(self) -> str:
        return self.shared_inbox or self.inbox

    @property
    def handle(self) -> str:
        return f"@{self.preferred_username}@{self.host}"


async def upsert(tx: Transaction, actor: RemoteActor, document: JSON) -> None:
    await tx.execute(
        "INSERT INTO remote_actors (id, host, type, preferred_username, name, inbox,"
        " shared_inbox, followers, key_id, public_key_pem, document, fetched_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET host = excluded.host, type = excluded.type,"
        " preferred_username = excluded.preferred_username, name = excluded.name,"
        " inbox = excluded.inbox, shared_inbox = excluded.shared_inbox,"
        " followers = excluded.followers, key_id = excluded.key_id,"
        " public_key_pem = excluded.public_key_pem, document = excluded.document,"
        " fetched_at = excluded.fetched_at",
        (
            actor.id,
            actor.host,
            actor.type,
            actor.preferred_username,
            actor.name,
            actor.inbox,
            actor.shared_inbox,
            actor.followers,
            actor.key_id,
            actor.public_key_pem,
            compact_json(document),
            actor.fetched_at,
        ),
    )


async def get(db: Database | Transaction, actor_id: str) -> RemoteActor | None:
    row = await db.fetch_one("SELECT * FROM remote_actors WHERE id = ?", (actor_id,))
    return None if row is None else from_row(RemoteActor, row)


async def get_by_key_id(db: Database | Transaction, key_id: str) -> RemoteActor | None:
    row = await db.fetch_one("SELECT * FROM remote_actors WHERE key_id = ?", (key_id,))
    return None if row is None else from_row(RemoteActor, row)


async def delete(tx: Transaction, actor_id: str) -> bool:
    return await tx.execute("DELETE FROM remote_actors WHERE id = ?", (actor_id,)) > 0
