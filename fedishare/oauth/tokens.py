"""Access tokens: issued by the grants, listed and revoked by their member (settings page,
`fedishare account tokens`/`revoke`) or by their app (`/oauth/revoke`, RFC 7009)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedishare.context import Instance
from fedishare.oauth.errors import OAuthError
from fedishare.storage import tokens
from fedishare.storage.oauth_apps import OAuthApp
from fedishare.storage.tokens import StoredToken


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scopes: tuple[str, ...]
    created_at: float

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)


async def issue(
    inst: Instance, *, app_id: int | None, actor_id: int | None, scopes: Sequence[str]
) -> IssuedToken:
    now = inst.clock().timestamp()
    async with inst.db.transaction() as tx:
        text = await tokens.insert(tx, actor_id=actor_id, app_id=app_id, scopes=scopes, now=now)
    return IssuedToken(text, tuple(dict.fromkeys(scopes)), now)


async def lookup(inst: Instance, token: str) -> StoredToken | None:
    """A token that still works (its member, if it has one, enabled)."""
    return await tokens.find(inst.db, token)


async def of_member(inst: Instance, actor_id: int) -> list[StoredToken]:
    return await tokens.of_actor(inst.db, actor_id)


async def revoke(inst: Instance, actor_id: int, token_id: int) -> bool:
    """End one of a member's tokens; False if they have no token with this id."""
    async with inst.db.transaction() as tx:
        mine = {t.id for t in await tokens.of_actor(tx, actor_id)}
        if token_id not in mine:
            return False
        return await tokens.delete(tx, token_id)


async def revoke_for_app(inst: Instance, app: OAuthApp, token: str) -> None:
    """RFC 7009: an app ends a token it was given. An unknown token is no error (it is
    revoked either way); another app's token is refused, as Doorkeeper refuses it."""
    async with inst.db.transaction() as tx:
        found = await tokens.find(tx, token)
        if found is None:
            return
        if found.app_id != app.id:
            raise OAuthError("unauthorized_client", "You are not authorized to revoke this token.")
        await tokens.delete(tx, found.id)
