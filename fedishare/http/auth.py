"""Who is calling: the token in `Authorization: Bearer`, its app, member and scopes.

Every endpoint that takes a token (the client API, the client-to-server outbox, the JSON
API) asks here, so that a token's scopes limit it everywhere alike: a read-only app's token
posts nowhere. A missing or unknown token is 401 and a scope the token lacks 403, with
Mastodon's reasons, as Mastodon answers them."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from fedishare.core.errors import Forbidden, Unauthenticated, Unprocessable
from fedishare.http.requests import instance_of
from fedishare.oauth import scopes
from fedishare.storage import actors, tokens
from fedishare.storage.actors import LocalActor

# A token is marked as used at most this often (seconds), to spare the database a write.
_TOUCH_EVERY = 3600.0
INVALID = "The access token is invalid"


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
    inst = instance_of(request)
    found = await tokens.find(inst.db, token)
    if found is None:
        raise Unauthenticated(INVALID)
    member = None
    if found.actor_id is not None:
        member = await actors.find_by_id(inst.db, found.actor_id)
        if member is None:
            raise Unauthenticated(INVALID)
    now = inst.clock().timestamp()
    if found.last_used_at is None or now - found.last_used_at > _TOUCH_EVERY:
        async with inst.db.transaction() as tx:
            await tokens.touch(tx, found.id, now)
    return Caller(found.id, found.app_id, member, found.scope_set)


async def authenticated(request: Request) -> Caller:
    """The caller of a working token, whatever its scopes (for an endpoint that knows the
    scope it needs only once it has read the body); 401 without one."""
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated(INVALID)
    return await _caller(request, token)


def granted(found: Caller, scope: str) -> Caller:
    """`found`, whose token must grant `scope`; 403 otherwise."""
    if not scopes.allows(found.scopes, scope):
        raise Forbidden("This action is outside the authorized scopes")
    return found


def member_of(found: Caller) -> LocalActor:
    """The member behind the token; an app's own token is refused with a 422, as Mastodon
    answers it (the token is good, the request is not one it can make)."""
    if found.member is None:
        raise Unprocessable("This method requires an authenticated user")
    return found.member


async def caller(request: Request, scope: str) -> Caller:
    """The caller, whose token must grant `scope`."""
    return granted(await authenticated(request), scope)


async def require_member(request: Request, scope: str) -> LocalActor:
    """The member behind the token, which must grant `scope`; an app-only token is refused."""
    return member_of(await caller(request, scope))


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
