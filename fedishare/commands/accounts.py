"""`fedishare account ...`: members, their keys and tokens."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable

from fedishare.accounts.members import (
    create_member,
    ensure_system_actors,
    set_member_disabled,
)
from fedishare.commands.errors import CommandError
from fedishare.core.config import Config
from fedishare.core.types import utc_now
from fedishare.core.urls import Urls
from fedishare.storage import actors as actor_store
from fedishare.storage import tokens as token_store
from fedishare.storage.database import Database


async def with_database(config: Config, work: Callable[[Database], Awaitable[int]]) -> int:
    db = Database(config.instance.database)
    await db.open()
    try:
        await ensure_system_actors(db, config, utc_now)
        return await work(db)
    finally:
        await db.close()


async def _account_create(config: Config, db: Database, args: argparse.Namespace) -> int:
    if config.registration == "closed":
        print("note: registration is closed; operators can still create members", file=sys.stderr)
    actor = await create_member(
        db, utc_now, args.name, display_name=args.display_name, locked=args.locked
    )
    token = await token_store.issue(db, actor.id, utc_now())
    urls = Urls(config.base_url)
    print(f"created @{actor.username}@{config.instance.domain}")
    print(f"profile:  {urls.actor(actor.username)}")
    print(f"outbox:   {urls.actor(actor.username)}/outbox")
    print(f"token:    {token}")
    print(
        "Sign in from a client with the token as 'Authorization: Bearer TOKEN';"
        " `fedishare account token NAME` issues a new one."
    )
    return 0


async def _account_list(config: Config, db: Database, args: argparse.Namespace) -> int:
    members = await actor_store.list_members(db)
    for m in members:
        state = "disabled" if m.disabled else ("locked" if m.manually_approves_followers else "")
        print(
            f"@{m.username}@{config.instance.domain}\t{m.display_name}\t{m.created_at}\t{state}".rstrip()
        )
    if not members:
        print("no members yet: `fedishare account create NAME` makes one", file=sys.stderr)
    return 0


async def _account_disable(config: Config, db: Database, args: argparse.Namespace) -> int:
    await set_member_disabled(db, args.name, True)
    print(f"disabled @{args.name}@{config.instance.domain}")
    return 0


async def _account_enable(config: Config, db: Database, args: argparse.Namespace) -> int:
    await set_member_disabled(db, args.name, False)
    print(f"enabled @{args.name}@{config.instance.domain}")
    return 0


async def _account_token(config: Config, db: Database, args: argparse.Namespace) -> int:
    actor = await actor_store.find_by_username(db, args.name)
    if actor is None or actor.kind != "person":
        raise CommandError(f"no member named {args.name!r}")
    print(await token_store.issue(db, actor.id, utc_now()))
    return 0


ACCOUNT_ACTIONS: dict[str, Callable[[Config, Database, argparse.Namespace], Awaitable[int]]] = {
    "create": _account_create,
    "list": _account_list,
    "disable": _account_disable,
    "enable": _account_enable,
    "token": _account_token,
}
