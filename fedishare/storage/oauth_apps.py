"""Apps registered for OAuth (`POST /api/v1/apps`). The client secret is kept only as a hash,
as tokens are: a copy of the database does not let anyone act as an app."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row


@dataclass(frozen=True)
class OAuthApp:
    id: int
    client_id: str
    client_secret_hash: str
    name: str
    website: str | None
    redirect_uris: str  # one a line, as registered
    scopes: str  # space-separated
    created_at: float

    @property
    def redirect_uri_list(self) -> list[str]:
        return self.redirect_uris.split("\n")

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


async def insert(
    tx: Transaction,
    *,
    client_id: str,
    client_secret_hash: str,
    name: str,
    website: str | None,
    redirect_uris: Sequence[str],
    scopes: Iterable[str],
    now: float,
) -> OAuthApp:
    values = (
        client_id,
        client_secret_hash,
        name,
        website,
        "\n".join(redirect_uris),
        " ".join(dict.fromkeys(scopes)),
        now,
    )
    app_id = await tx.insert(
        "INSERT INTO oauth_apps (client_id, client_secret_hash, name, website, redirect_uris,"
        " scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    return OAuthApp(app_id, *values)


async def by_client_id(db: Database | Transaction, client_id: str) -> OAuthApp | None:
    row = await db.fetch_one("SELECT * FROM oauth_apps WHERE client_id = ?", (client_id,))
    return None if row is None else from_row(OAuthApp, row)


async def get(db: Database | Transaction, app_id: int) -> OAuthApp | None:
    row = await db.fetch_one("SELECT * FROM oauth_apps WHERE id = ?", (app_id,))
    return None if row is None else from_row(OAuthApp, row)
