"""Browser sessions: started at log-in, found by their cookie, ended at log-out (or all of a
member's at once, when the password changes or the account goes). Only a hash of the cookie
is stored; each session has its own CSRF token for the forms it is shown."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from fedishare.context import Instance
from fedishare.storage import actors, web_sessions
from fedishare.storage.actors import LocalActor
from fedishare.storage.web_sessions import WebSession

IDLE_DAYS = 30  # a session unused this long is over
TOUCH_SECONDS = 600  # last_seen is written at most this often


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    member: LocalActor
    csrf_token: str
    id_hash: str


async def start(inst: Instance, member: LocalActor, user_agent: str = "") -> tuple[str, Session]:
    """A new session for `member`: the cookie value to hand the browser, and the session."""
    cookie = secrets.token_urlsafe(32)
    now = inst.clock().timestamp()
    row = WebSession(
        _hash(cookie), member.id, secrets.token_urlsafe(24), now, now, user_agent[:200]
    )
    async with inst.db.transaction() as tx:
        await web_sessions.insert(tx, row)
    return cookie, Session(member, row.csrf_token, row.id_hash)


async def find(inst: Instance, cookie: str) -> Session | None:
    """The live session of a cookie, if any (and its member still enabled)."""
    if not cookie:
        return None
    row = await web_sessions.get(inst.db, _hash(cookie))
    if row is None:
        return None
    now = inst.clock().timestamp()
    if now - row.last_seen_at > IDLE_DAYS * 86_400:
        async with inst.db.transaction() as tx:
            await web_sessions.delete(tx, row.id_hash)
        return None
    member = await actors.find_by_id(inst.db, row.actor_id)
    if member is None or member.disabled:
        return None
    if now - row.last_seen_at > TOUCH_SECONDS:
        async with inst.db.transaction() as tx:
            await web_sessions.touch(tx, row.id_hash, now)
    return Session(member, row.csrf_token, row.id_hash)


async def end(inst: Instance, session: Session) -> None:
    async with inst.db.transaction() as tx:
        await web_sessions.delete(tx, session.id_hash)


async def end_all(inst: Instance, member: LocalActor, *, but: Session | None = None) -> int:
    """End every session of `member` (but `but`, the one asking); how many ended."""
    async with inst.db.transaction() as tx:
        return await web_sessions.delete_for_actor(
            tx, member.id, keep=None if but is None else but.id_hash
        )


async def of_member(inst: Instance, member: LocalActor) -> list[WebSession]:
    """The member's signed-in browsers, the most recently used first."""
    return await web_sessions.for_actor(inst.db, member.id)


async def revoke(inst: Instance, member: LocalActor, id_hash: str) -> bool:
    """End one of the member's sessions (never another member's); whether it was theirs."""
    async with inst.db.transaction() as tx:
        return await web_sessions.delete_of_actor(tx, member.id, id_hash)
