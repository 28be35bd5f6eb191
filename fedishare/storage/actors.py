"""Queries for our own actors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from fedishare.core.json_text import compact_json
from fedishare.core.types import JSON
from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row


@dataclass(frozen=True)
class LocalActor:
    id: int
    username: str
    kind: str  # 'application' | 'group' | 'person'
    display_name: str
    summary: str
    private_key_pem: str
    public_key_pem: str
    manually_approves_followers: bool
    discoverable: bool
    disabled: bool
    created_at: str
    role: str = "member"  # 'member' | 'admin'
    avatar_media_id: int | None = None
    default_place: JSON = field(default_factory=dict)  # {"name", "latitude", "longitude"}
    deleted_at: float | None = None  # the member deleted their account (disabled for good)
    header_media_id: int | None = None  # the profile's banner (Mastodon's header)
    preferences: JSON = field(default_factory=dict)  # keyed as /api/v1/preferences
    bot: bool = False  # an automated account: its actor is a Service

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


async def insert_local_actor(
    tx: Transaction,
    *,
    username: str,
    kind: str,
    display_name: str,
    summary: str,
    private_key_pem: str,
    public_key_pem: str,
    manually_approves_followers: bool,
    now: datetime,
    password_hash: str | None = None,
    role: str = "member",
) -> int:
    return await tx.insert(
        "INSERT INTO local_actors (username, kind, display_name, summary, private_key_pem,"
        " public_key_pem, manually_approves_followers, created_at, password_hash, role)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            username,
            kind,
            display_name,
            summary,
            private_key_pem,
            public_key_pem,
            int(manually_approves_followers),
            now.isoformat(timespec="seconds"),
            password_hash,
            role,
        ),
    )


async def update_profile(
    tx: Transaction, actor_id: int, *, display_name: str, summary: str
) -> None:
    await tx.execute(
        "UPDATE local_actors SET display_name = ?, summary = ? WHERE id = ?",
        (display_name, summary, actor_id),
    )


async def set_disabled(tx: Transaction, username: str, disabled: bool) -> bool:
    """Disable or enable a member; False if there is no such member, or they deleted their
    account (which stays disabled)."""
    changed = await tx.execute(
        "UPDATE local_actors SET disabled = ?"
        " WHERE username = ? AND kind = 'person' AND deleted_at IS NULL",
        (int(disabled), username),
    )
    return changed > 0


async def find_by_username(db: Database | Transaction, username: str) -> LocalActor | None:
    row = await db.fetch_one("SELECT * FROM local_actors WHERE username = ?", (username,))
    return None if row is None else from_row(LocalActor, row)


async def find_by_id(db: Database | Transaction, actor_id: int) -> LocalActor | None:
    row = await db.fetch_one("SELECT * FROM local_actors WHERE id = ?", (actor_id,))
    return None if row is None else from_row(LocalActor, row)


async def find_by_kind(db: Database | Transaction, kind: str) -> LocalActor | None:
    row = await db.fetch_one("SELECT * FROM local_actors WHERE kind = ? LIMIT 1", (kind,))
    return None if row is None else from_row(LocalActor, row)


async def list_members(db: Database) -> list[LocalActor]:
    rows = await db.fetch_all("SELECT * FROM local_actors WHERE kind = 'person' ORDER BY username")
    return [from_row(LocalActor, r) for r in rows]


async def set_password_hash(tx: Transaction, actor_id: int, password_hash: str) -> None:
    await tx.execute(
        "UPDATE local_actors SET password_hash = ? WHERE id = ?", (password_hash, actor_id)
    )


async def password_hash(db: Database | Transaction, actor_id: int) -> str | None:
    row = await db.fetch_one("SELECT password_hash FROM local_actors WHERE id = ?", (actor_id,))
    return None if row is None else row["password_hash"]


async def set_role(tx: Transaction, actor_id: int, role: str) -> None:
    await tx.execute("UPDATE local_actors SET role = ? WHERE id = ?", (role, actor_id))


async def count_admins(db: Database | Transaction) -> int:
    """Enabled admins."""
    row = await db.fetch_one(
        "SELECT count(*) FROM local_actors WHERE role = 'admin' AND disabled = 0"
    )
    return 0 if row is None else int(row[0])


async def set_default_place(tx: Transaction, actor_id: int, place: JSON) -> None:
    await tx.execute(
        "UPDATE local_actors SET default_place = ? WHERE id = ?",
        (compact_json(place), actor_id),
    )


async def set_avatar(tx: Transaction, actor_id: int, media_id: int | None) -> None:
    await tx.execute(
        "UPDATE local_actors SET avatar_media_id = ? WHERE id = ?", (media_id, actor_id)
    )


async def mark_deleted(tx: Transaction, actor_id: int, now: float) -> None:
    """What is left of a member who deleted their account: the row (so the name stays taken)
    and the keys (deliveries of their Delete are still being signed), nothing they wrote."""
    await tx.execute(
        "UPDATE local_actors SET disabled = 1, deleted_at = ?, password_hash = NULL,"
        " role = 'member', display_name = '', summary = '', avatar_media_id = NULL,"
        " default_place = '{}' WHERE id = ? AND kind = 'person'",
        (now, actor_id),
    )


async def inboxes_knowing(db: Database | Transaction, actor: str, group: str) -> list[str]:
    """The inboxes that know of our `actor`: its followers' and those it follows, and the
    servers its listings went to through the community `group` (the group's followers and
    the peers it follows); one per server where it offers a shared inbox."""
    rows = await db.fetch_all(
        "SELECT coalesce(r.shared_inbox, r.inbox) FROM follows f"
        " JOIN remote_actors r ON r.id = f.follower"
        " WHERE f.followee IN (?, ?) AND f.state = 'accepted'"
        " UNION SELECT coalesce(r.shared_inbox, r.inbox) FROM follows f"
        " JOIN remote_actors r ON r.id = f.followee"
        " WHERE f.follower IN (?, ?) AND f.state = 'accepted'",
        (actor, group, actor, group),
    )
    return [r[0] for r in rows]


async def profile_fields(db: Database | Transaction, actor_id: int) -> list[JSON]:
    """The member's profile fields, [{"name", "value"}] in order (a JSON list, which
    LocalActor's rows cannot read, hence its own query)."""
    row = await db.fetch_one("SELECT fields FROM local_actors WHERE id = ?", (actor_id,))
    found = [] if row is None else json.loads(row["fields"])
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


async def set_header(tx: Transaction, actor_id: int, media_id: int | None) -> None:
    await tx.execute(
        "UPDATE local_actors SET header_media_id = ? WHERE id = ?", (media_id, actor_id)
    )


async def set_account_settings(
    tx: Transaction,
    actor_id: int,
    *,
    header_media_id: int | None,
    fields: list[JSON],
    preferences: JSON,
    bot: bool,
    locked: bool,
    discoverable: bool,
) -> None:
    """What the client API's update_credentials sets beside the profile of the web board."""
    await tx.execute(
        "UPDATE local_actors SET header_media_id = ?, fields = ?, preferences = ?, bot = ?,"
        " manually_approves_followers = ?, discoverable = ? WHERE id = ?",
        (
            header_media_id,
            compact_json(fields),
            compact_json(preferences),
            int(bot),
            int(locked),
            int(discoverable),
            actor_id,
        ),
    )
