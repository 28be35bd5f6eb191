"""Who is calling the client API: the token in `Authorization: Bearer`, its app, member and
scopes. Mastodon answers a missing or unknown token with 401 and a scope the token lacks
with 403; so does fedishare."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from fedishare.context import Instance
from fedishare.core.errors import Forbidden, Unauthenticated
from fedishare.oauth import scopes
from fedishare.storage import actors, tokens
from fedishare.storage.actors import LocalActor

# A token is marked as used at most this often (seconds), to spare the database a write.
_TOUCH_EVERY = 3600.0


@dataclass(frozen=True)
class Caller:
    token_id: int
    app_id: int | None
    member: LocalActor | None  # None for an app's own (client_credentials) token
    scopes: frozenset[str]


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _caller(request: Request, token: str) -> Caller:
    inst: Instance = request.state.instance
    found = await tokens.find(inst.db, token)
    if found is None:
        raise Unauthenticated("The access token is invalid")
    member = None
    if found.actor_id is not None:
        member = await actors.find_by_id(inst.db, found.actor_id)
        if member is None:
            raise Unauthenticated("The access token is invalid")
    now = inst.clock().timestamp()
    if found.last_used_at is None or now - found.last_used_at > _TOUCH_EVERY:
        async with inst.db.transaction() as tx:
            await tokens.touch(tx, found.id, now)
    return Caller(found.id, found.app_id, member, found.scope_set)


async def caller(request: Request, scope: str) -> Caller:
    """The caller, whose token must grant `scope`."""
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated("The access token is invalid")
    found = await _caller(request, token)
    if not scopes.allows(found.scopes, scope):
        raise Forbidden("This action is outside the authorized scopes")
    return found


async def require_member(request: Request, scope: str) -> LocalActor:
    """The member behind the token, which must grant `scope`; an app-only token is refused."""
    found = await caller(request, scope)
    if found.member is None:
        raise Unauthenticated("This method requires an authenticated user")
    return found.member


async def optional_member(request: Request, scope: str = "read") -> LocalActor | None:
    """The member for endpoints that anyone may read and that a token personalises; no token
    is nobody, a bad one is still 401 (as Mastodon does)."""
    token = bearer_token(request)
    if token is None:
        return None
    found = await _caller(request, token)
    if found.member is None or not scopes.allows(found.scopes, scope):
        return None
    return found.member
