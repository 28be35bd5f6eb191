"""`fedishare account ...`: members, their passwords and tokens, invites and reset links."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fedishare.accounts import registration
from fedishare.accounts.members import create_member, set_member_disabled
from fedishare.accounts.passwords import hash_password, new_password
from fedishare.commands.errors import CommandError
from fedishare.context import Instance
from fedishare.core.config import Config
from fedishare.core.errors import Refusal
from fedishare.lifecycle import open_instance
from fedishare.oauth import tokens as oauth_tokens
from fedishare.storage import actors as actor_store
from fedishare.storage import tokens as token_store

AccountAction = Callable[[Config, Instance, argparse.Namespace], Awaitable[int]]


async def with_instance(config: Config, action: AccountAction, args: argparse.Namespace) -> int:
    async with open_instance(config) as inst:
        try:
            return await action(config, inst, args)
        except Refusal as e:
            raise CommandError(e.reason) from None


async def _account_create(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    if config.registration == "closed":
        print("note: registration is closed; operators can still create members", file=sys.stderr)
    password = new_password()
    actor = await create_member(
        inst.db,
        inst.clock,
        args.name,
        display_name=args.display_name,
        locked=args.locked,
        password_hash=await hash_password(password),
        role="admin" if args.admin else "member",
    )
    token = await token_store.issue(inst.db, actor.id, inst.clock())
    print(f"created @{actor.username}@{config.instance.domain}{' (admin)' if args.admin else ''}")
    print(f"profile:  {inst.urls.actor(actor.username)}")
    print(f"outbox:   {inst.urls.actor(actor.username)}/outbox")
    print(f"password: {password}")
    print(f"token:    {token}")
    print(
        f"Log in at {inst.urls.base}/login with the password (shown only now; change it in"
        " Settings). Clients send the token as 'Authorization: Bearer TOKEN';"
        " `fedishare account token NAME` issues a new one."
    )
    return 0


async def _account_list(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    members = await actor_store.list_members(inst.db)
    for m in members:
        states = [
            "deleted" if m.is_deleted else "disabled" if m.disabled else "",
            "admin" if m.is_admin else "",
            "locked" if m.manually_approves_followers and not m.disabled else "",
        ]
        state = ",".join(s for s in states if s)
        print(
            f"@{m.username}@{config.instance.domain}\t{m.display_name}\t{m.created_at}\t{state}".rstrip()
        )
    if not members:
        print("no members yet: `fedishare account create NAME` makes one", file=sys.stderr)
    return 0


async def _account_disable(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    await set_member_disabled(inst.db, args.name, True)
    print(f"disabled @{args.name}@{config.instance.domain}")
    return 0


async def _account_enable(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    await set_member_disabled(inst.db, args.name, False)
    print(f"enabled @{args.name}@{config.instance.domain}")
    return 0


async def _account_token(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    actor = await actor_store.find_by_username(inst.db, args.name)
    if actor is None or actor.kind != "person" or actor.disabled:
        raise CommandError(f"no enabled member named {args.name!r}")
    print(await token_store.issue(inst.db, actor.id, inst.clock()))
    return 0


def _moment(timestamp: float | None) -> str:
    if timestamp is None:
        return "never"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _member(inst: Instance, name: str) -> actor_store.LocalActor:
    actor = await actor_store.find_by_username(inst.db, name)
    if actor is None or actor.kind != "person":
        raise CommandError(f"no member named {name!r}")
    return actor


async def _account_tokens(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    actor = await _member(inst, args.name)
    found = await oauth_tokens.of_member(inst, actor.id)
    for t in found:
        app = t.app_name or "command line"
        print(f"{t.id}\t{app}\t{t.scopes}\t{_moment(t.created_at)}\t{_moment(t.last_used_at)}")
    if not found:
        print(f"@{actor.username} has no access tokens", file=sys.stderr)
    return 0


async def _account_revoke(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    actor = await _member(inst, args.name)
    if not await oauth_tokens.revoke(inst, actor.id, args.token_id):
        raise CommandError(
            f"@{actor.username} has no token {args.token_id}; "
            f"`fedishare account tokens {actor.username}` lists them"
        )
    print(f"revoked token {args.token_id} of @{actor.username}@{config.instance.domain}")
    return 0


async def _instance_actor(inst: Instance) -> actor_store.LocalActor | None:
    return await actor_store.find_by_kind(inst.db, "application")


async def _account_invite(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    role = "admin" if args.admin else "member"
    # Made by the instance actor, so that it outlives the start-up invite's rule.
    code = await registration.make_invite(inst, await _instance_actor(inst), role)
    print(registration.invite_url(inst, code))
    print(
        f"Send this link to the person you invite: it makes one {role}, works once and"
        f" expires in {registration.INVITE_DAYS} days.",
        file=sys.stderr,
    )
    return 0


async def _account_reset_link(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    code = await registration.make_reset_link(inst, args.name)
    print(registration.reset_url(inst, code))
    print(
        f"Send this link to @{args.name}: it sets a new password once and expires in"
        f" {registration.RESET_HOURS} hours; an earlier link stops working.",
        file=sys.stderr,
    )
    return 0


ACCOUNT_ACTIONS: dict[str, AccountAction] = {
    "create": _account_create,
    "list": _account_list,
    "disable": _account_disable,
    "enable": _account_enable,
    "token": _account_token,
    "tokens": _account_tokens,
    "revoke": _account_revoke,
    "invite": _account_invite,
    "reset-link": _account_reset_link,
}
