"""Our own actors: the instance actor, the community group and members."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from fedishare.context import Instance
from fedishare.core.config import Config
from fedishare.core.types import Clock
from fedishare.federation.keys import generate_key_pair
from fedishare.storage import actors as store
from fedishare.storage import web_sessions
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Database, Transaction

USERNAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,28}[A-Za-z0-9_])?$")
# Names that would collide with our own routes or confuse people.
RESERVED = frozenset({"actor", "admin", "inbox", "instance", "root", "support", "users"})
APPLICATION_USERNAME = "instance.actor"


class AccountError(Exception):
    """A refusal about an account, worded for whoever asked."""


def check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise AccountError(
            f"{username!r} is not a valid name: use 1 to 30 letters, digits and _,"
            " with . or - only between them"
        )
    if username.lower() in RESERVED:
        raise AccountError(f"{username!r} is reserved")


async def ensure_system_actors(db: Database, config: Config, clock: Clock) -> None:
    """Create the instance actor and community group on first start; keep the group's
    profile in step with instance.toml. Keys are made once and never replaced."""
    com = config.community
    async with db.transaction() as tx:
        app_actor = await store.find_by_kind(tx, "application")
        group = await store.find_by_kind(tx, "group")
    if app_actor is None:
        keys = await asyncio.to_thread(generate_key_pair)
        async with db.transaction() as tx:
            await store.insert_local_actor(
                tx,
                username=APPLICATION_USERNAME,
                kind="application",
                display_name=config.instance.domain,
                summary="The fedishare instance itself; it signs server-to-server requests.",
                private_key_pem=keys.private_pem,
                public_key_pem=keys.public_pem,
                manually_approves_followers=True,
                now=clock(),
            )
    if group is None:
        existing = await store.find_by_username(db, com.handle)
        if existing is not None:
            raise AccountError(
                f"the community handle {com.handle!r} is already a member's name;"
                " choose another [community] handle"
            )
        keys = await asyncio.to_thread(generate_key_pair)
        async with db.transaction() as tx:
            await store.insert_local_actor(
                tx,
                username=com.handle,
                kind="group",
                display_name=com.name,
                summary=com.description,
                private_key_pem=keys.private_pem,
                public_key_pem=keys.public_pem,
                manually_approves_followers=False,
                now=clock(),
            )
    elif (group.display_name, group.summary) != (com.name, com.description):
        async with db.transaction() as tx:
            await store.update_profile(tx, group.id, display_name=com.name, summary=com.description)


# Whatever must happen with a member's creation or not at all (an invite spent, a request
# approved): run inside its transaction with the new actor's id; raising undoes both.
Claim = Callable[[Transaction, int], Awaitable[None]]


async def create_member(
    db: Database,
    clock: Clock,
    username: str,
    *,
    display_name: str = "",
    locked: bool = False,
    password_hash: str | None = None,
    role: str = "member",
    claim: Claim | None = None,
) -> LocalActor:
    check_username(username)
    if await store.find_by_username(db, username) is not None:
        raise AccountError(f"the name {username!r} is taken")
    keys = await asyncio.to_thread(generate_key_pair)
    async with db.transaction() as tx:
        if await store.find_by_username(tx, username) is not None:
            raise AccountError(f"the name {username!r} is taken")
        actor_id = await store.insert_local_actor(
            tx,
            username=username,
            kind="person",
            display_name=display_name or username,
            summary="",
            private_key_pem=keys.private_pem,
            public_key_pem=keys.public_pem,
            manually_approves_followers=locked,
            now=clock(),
            password_hash=password_hash,
            role=role,
        )
        if claim is not None:
            await claim(tx, actor_id)
        actor = await store.find_by_id(tx, actor_id)
    assert actor is not None
    return actor


async def set_member_disabled(db: Database, username: str, disabled: bool) -> None:
    """Disable a member (they cannot log in, their sessions end, their profile answers 410)
    or enable them again. An account its member deleted stays as it is."""
    async with db.transaction() as tx:
        actor = await store.find_by_username(tx, username)
        if actor is None or actor.kind != "person":
            raise AccountError(f"no member named {username!r}")
        if actor.is_deleted:
            raise AccountError(f"@{actor.username} deleted their account")
        await store.set_disabled(tx, actor.username, disabled)
        if disabled:
            await web_sessions.delete_for_actor(tx, actor.id)


async def local_actor_for(inst: Instance, url: str | None) -> LocalActor | None:
    """The local actor whose id `url` is (the instance actor included), if any."""
    if url is None:
        return None
    if url == inst.urls.instance_actor:
        return await store.find_by_kind(inst.db, "application")
    username = inst.urls.username_of(url)
    if username is None:
        return None
    actor = await store.find_by_username(inst.db, username)
    if actor is None or actor.kind == "application" or username != actor.username.lower():
        return None
    return actor
