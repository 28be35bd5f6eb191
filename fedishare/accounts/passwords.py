"""Passwords: argon2id hashes, the rules a new password follows, and logging in with a
throttle on failures per account and per address."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fedishare.context import Instance
from fedishare.core.errors import Invalid, RateLimited, Unauthenticated
from fedishare.storage import actors, login_failures, web_sessions
from fedishare.storage.actors import LocalActor

MIN_LENGTH = 8
MAX_LENGTH = 200
# Failed log-ins allowed in a window, per account and per address.
WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, with argon2-cffi's recommended costs


def check_rules(password: str, field: str = "password") -> None:
    """Refuse a new password that is too short or too long, naming the field."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"{field}: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"{field}: at most {MAX_LENGTH} characters")


def new_password() -> str:
    """A password to print once (for `fedishare account create`)."""
    return secrets.token_urlsafe(12)


async def hash_password(password: str) -> str:
    # Hashing takes tens of milliseconds on purpose: off the event loop.
    return await asyncio.to_thread(_hasher().hash, password)


async def matches(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False

    def verify() -> bool:
        try:
            return _hasher().verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


async def set_password(inst: Instance, actor: LocalActor, password: str) -> None:
    check_rules(password)
    hashed = await hash_password(password)
    async with inst.db.transaction() as tx:
        await actors.set_password_hash(tx, actor.id, hashed)


@dataclass(frozen=True)
class _Limits:
    key: str
    most: int


def account_failures(name: str) -> str:
    """The key failed log-ins to an account are counted under."""
    return f"account:{name.lower()}"


def _account_limit(name: str) -> _Limits:
    return _Limits(account_failures(name), MAX_FAILURES_PER_ACCOUNT)


async def _check_limits(inst: Instance, limits: tuple[_Limits, ...], now: float) -> None:
    for limit in limits:
        failures, first = await login_failures.count(inst.db, limit.key, now - WINDOW_SECONDS)
        if failures >= limit.most:
            raise RateLimited(
                "too many failed log-ins; try again later", first + WINDOW_SECONDS - now
            )


async def _record_failure(inst: Instance, limits: tuple[_Limits, ...], now: float) -> None:
    async with inst.db.transaction() as tx:
        for limit in limits:
            await login_failures.record(tx, limit.key, now, now - WINDOW_SECONDS)


async def log_in(inst: Instance, username: str, password: str, address: str) -> LocalActor:
    """The member with this name (or `@name`) and password; Unauthenticated if there is
    none, RateLimited after too many failures for the account or the address."""
    name = username.strip().removeprefix("@").split("@")[0]
    now = inst.clock().timestamp()
    keys = (_account_limit(name), _Limits(f"address:{address}", MAX_FAILURES_PER_ADDRESS))
    await _check_limits(inst, keys, now)
    actor = await actors.find_by_username(inst.db, name) if name else None
    stored = None if actor is None else await actors.password_hash(inst.db, actor.id)
    ok = await matches(stored, password)
    if actor is None or not ok or actor.kind != "person" or actor.disabled:
        await _record_failure(inst, keys, now)
        if ok and actor is not None and actor.disabled:
            raise Unauthenticated("this account is disabled")
        raise Unauthenticated("wrong name or password")
    async with inst.db.transaction() as tx:
        await login_failures.clear(tx, keys[0].key)
    return actor


async def confirm(inst: Instance, member: LocalActor, password: str, field: str) -> None:
    """Refuse, naming the form's field, unless `password` is the signed-in member's own.
    Failures count against the account as failed log-ins do, so that a browser left signed
    in cannot be used to guess the password."""
    now = inst.clock().timestamp()
    limits = (_account_limit(member.username),)
    await _check_limits(inst, limits, now)
    if not await matches(await actors.password_hash(inst.db, member.id), password):
        await _record_failure(inst, limits, now)
        raise Invalid(f"{field}: that is not your password")


async def change_password(
    inst: Instance, member: LocalActor, current: str, new: str, *, keep_session: str
) -> None:
    """A member's new password, the current one given; every other session of theirs ends
    (`keep_session` is the asking session's id)."""
    await confirm(inst, member, current, "current_password")
    check_rules(new, "new_password")
    hashed = await hash_password(new)
    async with inst.db.transaction() as tx:
        await actors.set_password_hash(tx, member.id, hashed)
        await web_sessions.delete_for_actor(tx, member.id, keep=keep_session)
