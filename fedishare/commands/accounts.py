"""`fedishare account ...`: members, their passwords and tokens, invites and reset links,
the sign-up queue, and deleting a member for good."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fedishare.accounts import registration
from fedishare.accounts.deletion import delete_account
from fedishare.accounts.members import create_member, set_member_disabled
from fedishare.accounts.passwords import account_failures, check_rules, hash_password, new_password
from fedishare.commands.errors import CommandError
from fedishare.commands.progress import progress
from fedishare.context import Instance
from fedishare.core.config import Config
from fedishare.core.errors import Refusal
from fedishare.federation.actor_document import actor_id
from fedishare.lifecycle import open_instance
from fedishare.listings.service import delete_listing
from fedishare.oauth import tokens as oauth_tokens
from fedishare.storage import actors as actor_store
from fedishare.storage import login_failures, member_listings, signups, web_sessions
from fedishare.storage import tokens as token_store
from fedishare.storage.signups import SignupRequest

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


def add_admin_parsers(
    acc: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """`account delete|password|signups|approve|reject`, beside the others in fedishare.cli."""
    delete = acc.add_parser(
        "delete",
        parents=[common],
        help="delete a member for good (their listings withdrawn everywhere)",
        description="Delete member NAME as if they left: each of their listings is deleted "
        "(its Delete goes to their followers and the community's), then the account itself "
        "(the actor's Delete goes to every server that knows them; sessions and tokens end). "
        "The name is never given out again. Asks to type NAME on a terminal; --yes otherwise. "
        "The running server sends the Deletes.",
    )
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    password = acc.add_parser(
        "password",
        parents=[common],
        help="set a member's password",
        description="Set a new password for NAME, asked twice (not shown) on a terminal, or "
        "read as one line from standard input (echo PASSWORD | fedishare account password "
        "NAME). The same rules as the board's apply. Their web sessions end; apps keep their "
        "tokens (`fedishare account tokens NAME`).",
    )
    password.add_argument("name")
    acc.add_parser(
        "signups",
        parents=[common],
        help="list sign-ups waiting for approval",
        description="Print the name, when and the reason of each sign-up request waiting "
        'for an admin ([registration] policy = "approval"), oldest first.',
    )
    approve = acc.add_parser(
        "approve",
        parents=[common],
        help="approve a waiting sign-up",
        description="Make the member NAME asked for, with the password they chose; they can "
        "log in at once. fedishare sends no mail: tell them yourself.",
    )
    approve.add_argument("name")
    reject = acc.add_parser(
        "reject",
        parents=[common],
        help="refuse a waiting sign-up",
        description="Refuse the sign-up request for NAME: it leaves the queue and the name is "
        "free again. Nothing is sent to them.",
    )
    reject.add_argument("name")


async def _account_delete(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    member = await _member(inst, args.name)
    if member.is_deleted:
        raise CommandError(f"@{member.username} — deleted already")
    handle = f"@{member.username}@{config.instance.domain}"
    listings = await member_listings.live_ids(inst.db, actor_id(inst.urls, member))
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError(f"{handle} not deleted — pass --yes (there is no terminal to ask)")
        typed = await asyncio.to_thread(
            input,
            f"Delete {handle} and their {len(listings)} listing(s) for good?"
            f" Type {member.username} to confirm: ",
        )
        if typed.strip() != member.username:
            raise CommandError(f"{handle} not deleted — what was typed is not {member.username!r}")
    with progress(f"deleting {handle}") as p:
        for n, listing_id in enumerate(listings, 1):
            await delete_listing(inst, member, listing_id)
            p.count(n, len(listings), "listings withdrawn")
        await delete_account(inst, member)
        p.finish(f"{len(listings)} listing(s) withdrawn, account deleted")
    print(
        f"deleted {handle}: {len(listings)} listing(s) withdrawn; the Deletes are queued and"
        " the running server sends them to every server that knows them"
    )
    return 0


def _read_password(name: str) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(f"New password for @{name}: ")
        if getpass.getpass("Again: ") != first:
            raise CommandError(f"@{name}: password not changed — the two did not match")
        return first
    line = sys.stdin.readline()
    if not line:
        raise CommandError(f"@{name}: password not changed — nothing on standard input")
    return line.removesuffix("\n").removesuffix("\r")


async def _account_password(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    member = await _member(inst, args.name)
    if member.is_deleted:
        raise CommandError(f"@{member.username} — deleted; nobody can log in as them")
    password = await asyncio.to_thread(_read_password, member.username)
    try:
        check_rules(password)
    except Refusal as e:
        raise CommandError(f"@{member.username}: password not changed — {e.reason}") from None
    hashed = await hash_password(password)
    async with inst.db.transaction() as tx:
        await actor_store.set_password_hash(tx, member.id, hashed)
        ended = await web_sessions.delete_for_actor(tx, member.id)
        await login_failures.clear(tx, account_failures(member.username))
    print(
        f"password set for @{member.username}@{config.instance.domain};"
        f" {ended} web session(s) ended (apps keep their tokens)"
    )
    return 0


async def _account_signups(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    waiting = await registration.pending_requests(inst)
    for r in waiting:
        print(f"{r.username}\t{_moment(r.created_at)}\t{' '.join(r.reason.split())}")
    if not waiting:
        print("no sign-ups waiting", file=sys.stderr)
    return 0


async def _waiting(inst: Instance, name: str) -> SignupRequest:
    request = await signups.find_by_username(inst.db, name.strip().removeprefix("@"))
    if request is None:
        raise CommandError(
            f"no sign-up named {name!r}; `fedishare account signups` lists those waiting"
        )
    if request.state != "pending":
        raise CommandError(f"{request.username} — the sign-up was {request.state} already")
    return request


async def _account_approve(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    request = await _waiting(inst, args.name)
    member = await registration.approve(inst, request.id)
    print(
        f"approved @{member.username}@{config.instance.domain}: they can log in at"
        f" {inst.urls.base}/login with the password they chose (fedishare sends no mail)"
    )
    return 0


async def _account_reject(config: Config, inst: Instance, args: argparse.Namespace) -> int:
    request = await _waiting(inst, args.name)
    await registration.refuse(inst, request.id)
    print(f"rejected the sign-up of {request.username!r}: nothing is sent; the name is free again")
    return 0


def _refused_with_1(action: AccountAction) -> AccountAction:
    """Refusals of the admin actions exit with status 1, as those of `domain`, `queue`,
    `backup` and `config check` do (the older account actions exit with 2, in fedishare.cli)."""

    async def run(config: Config, inst: Instance, args: argparse.Namespace) -> int:
        try:
            return await action(config, inst, args)
        except Refusal as e:
            print(f"fedishare: {e.reason}", file=sys.stderr)
        except CommandError as e:
            print(f"fedishare: {e}", file=sys.stderr)
        return 1

    return run


ACCOUNT_ACTIONS: dict[str, AccountAction] = {
    "delete": _refused_with_1(_account_delete),
    "password": _refused_with_1(_account_password),
    "signups": _refused_with_1(_account_signups),
    "approve": _refused_with_1(_account_approve),
    "reject": _refused_with_1(_account_reject),
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
