"""Queries for our own actors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


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
) -> int:
    return await tx.insert(
        "INSERT INTO local_actors (username, kind, display_name, summary, private_key_pem,"
        " public_key_pem, manually_approves_followers, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            username,
            kind,
            display_name,
            summary,
            private_key_pem,
            public_key_pem,
            int(manually_approves_followers),
            now.isoformat(timespec="seconds"),
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
    changed = await tx.execute(
        "UPDATE local_actors SET disabled = ? WHERE username = ? AND kind = 'person'",
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
