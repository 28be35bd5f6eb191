"""The `fedishare` command."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from fedishare import __version__
from fedishare.accounts import (
    AccountError,
    create_member,
    ensure_system_actors,
    set_member_disabled,
)
from fedishare.config import CONFIG_FILE, Config, ConfigError, default_config_text, load_config
from fedishare.context import Instance
from fedishare.listings import cli as listings_cli
from fedishare.storage import actors as actor_store
from fedishare.storage import tokens as token_store
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Database
from fedishare.types import utc_now
from fedishare.urls import Urls


class CommandError(Exception):
    """A refusal worded for the operator; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="PATH",
        help=f"the instance configuration (default: ./{CONFIG_FILE})",
    )
    parser = argparse.ArgumentParser(
        prog="fedishare",
        description="A federated server for neighbourhood sharing: offers, requests and stays.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"fedishare {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = sub.add_parser(
        "init",
        parents=[common],
        help="write instance.toml for a domain",
        description="Write a commented instance.toml for DOMAIN in the current directory "
        "(or at --config). Refuses to overwrite an existing file unless --force.",
    )
    init.add_argument("--domain", required=True, help="DOMAIN or DOMAIN:PORT people will use")
    init.add_argument(
        "--http",
        action="store_true",
        help="a local instance: plain http and loopback addresses allowed, listening on "
        "127.0.0.1 and the domain's port (e.g. --domain 127.0.0.1:8080 --http)",
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    serve = sub.add_parser(
        "serve",
        parents=[common],
        help="run the instance",
        description="Run the instance on the address in [instance] listen. With no "
        "instance.toml at the default path, a commented local one is written first. "
        "Stops cleanly on SIGTERM or Ctrl-C.",
    )
    serve.add_argument(
        "--listen", metavar="HOST:PORT", help="listen here instead of [instance] listen"
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (uvicorn's access log, at INFO); off by default, as it "
        "costs a large share of the CPU of each inbox POST",
    )

    account = sub.add_parser("account", parents=[common], help="manage members")
    acc = account.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = acc.add_parser(
        "create",
        parents=[common],
        help="make a member and print how they sign in",
        description="Make a member NAME (letters, digits, _, with . or - between them) "
        "and print their handle and an access token.",
    )
    create.add_argument("name")
    create.add_argument("--display-name", default="", help="the name shown on their profile")
    create.add_argument("--locked", action="store_true", help="approve each follower by hand")
    acc.add_parser("list", parents=[common], help="list members")
    disable = acc.add_parser(
        "disable", parents=[common], help="disable a member (their profile answers 410 Gone)"
    )
    disable.add_argument("name")
    enable = acc.add_parser("enable", parents=[common], help="enable a disabled member")
    enable.add_argument("name")
    token = acc.add_parser(
        "token",
        parents=[common],
        help="issue a new access token for a member",
        description="Print a new bearer token for NAME, for client-to-server posting "
        "(Authorization: Bearer TOKEN).",
    )
    token.add_argument("name")

    follow = sub.add_parser(
        "follow",
        parents=[common],
        help="follow a fediverse account",
        description="Follow ACCOUNT (@user@host or an actor URL) as the community actor, or "
        "as member NAME with --as. The Follow is queued and sent by the running server.",
    )
    follow.add_argument("account", metavar="ACCOUNT")
    follow.add_argument("--as", dest="as_name", metavar="NAME", help="follow as this member")
    unfollow = sub.add_parser(
        "unfollow", parents=[common], help="stop following a fediverse account"
    )
    unfollow.add_argument("account", metavar="ACCOUNT")
    unfollow.add_argument("--as", dest="as_name", metavar="NAME", help="as this member")
    following = sub.add_parser(
        "following",
        parents=[common],
        help="list who the community (or --as NAME) follows",
        description="List the accounts followed, with each follow's state "
        "(pending until they accept).",
    )
    following.add_argument("--as", dest="as_name", metavar="NAME", help="as this member")

    peer = sub.add_parser(
        "peer",
        parents=[common],
        help="manage peer neighbourhoods (whose listings this one takes in)",
        description="Peers are other fedishare instances (or any server with a community "
        "actor) whose members' listings show up in this instance's searches: the community "
        "follows the peer's community, which then announces its listings here.",
    )
    peer_actions = peer.add_subparsers(dest="action", required=True, metavar="ACTION")
    peer_add = peer_actions.add_parser(
        "add",
        parents=[common],
        help="take in DOMAIN's listings",
        description="Find DOMAIN's community (its NodeInfo metadata.community, else "
        "acct:community@DOMAIN) and follow it as this instance's community. The Follow is "
        "queued and sent by the running server; the peer is pending until it accepts.",
    )
    peer_add.add_argument("domain", metavar="DOMAIN", help="DOMAIN or DOMAIN:PORT")
    peer_actions.add_parser(
        "list",
        parents=[common],
        help="list peers with the state of each follow",
        description="Print DOMAIN, the peer's community actor and the follow's state "
        "(pending, accepted or rejected), one peer a line.",
    )
    peer_remove = peer_actions.add_parser(
        "remove",
        parents=[common],
        help="stop taking in DOMAIN's listings",
        description="Unfollow DOMAIN's community and drop its listings from this instance "
        "(except those of authors a member follows).",
    )
    peer_remove.add_argument("domain", metavar="DOMAIN", help="DOMAIN or DOMAIN:PORT")
    listings_cli.add_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    default_path = not hasattr(args, "config")
    config_path: Path = getattr(args, "config", Path(CONFIG_FILE))
    try:
        if args.command == "init":
            return cmd_init(config_path, args.domain, args.http, args.force)
        if args.command == "serve":
            if default_path and not config_path.exists():
                config_path.write_text(default_config_text(), encoding="utf-8")
                print(f"wrote a local {config_path} (edit it for production)", file=sys.stderr)
            return cmd_serve(load_config(config_path), args.listen, access_log=args.access_log)
        config = load_config(config_path)
        if args.command == "listings":
            return asyncio.run(listings_cli.run(config, args))
        if args.command in _FEDERATION_COMMANDS:
            return asyncio.run(_FEDERATION_COMMANDS[args.command](config, args))
        handler = _ACCOUNT_ACTIONS[args.action]
        return asyncio.run(_with_database(config, lambda db: handler(config, db, args)))
    except (ConfigError, CommandError, AccountError, listings_cli.ListingsCommandError) as e:
        print(f"fedishare: {e}", file=sys.stderr)
        return 2


def cmd_init(path: Path, domain: str, http: bool, force: bool) -> int:
    if path.exists() and not force:
        raise CommandError(f"{path} exists; pass --force to overwrite it")
    text = default_config_text(domain.strip().lower(), insecure=http)
    # Check before writing, so a bad --domain leaves nothing behind.
    import tomllib

    from fedishare.config import parse_config

    try:
        parse_config(tomllib.loads(text), path)
    except ConfigError as e:
        raise CommandError(f"--domain {domain!r}: {str(e).split(': ', 2)[-1]}") from None
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} for {domain}{' (local, plain http)' if http else ''}")
    return 0


def cmd_serve(config: Config, listen: str | None = None, *, access_log: bool = False) -> int:
    import uvicorn

    from fedishare.app import create_app

    host, port = config.instance.listen_host, config.instance.listen_port
    if listen is not None:
        host, _, port_text = listen.rpartition(":")
        if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise CommandError(f"--listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
        port = int(port_text)

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=host,
            port=port,
            lifespan="on",
            log_level="info",
            access_log=access_log,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=10,
        )
    )
    print(
        f"fedishare {__version__} serving {config.base_url} on "
        f"{config.instance.listen_host}:{config.instance.listen_port}",
        file=sys.stderr,
    )
    # uvicorn handles SIGTERM/SIGINT itself, then re-raises the signal to the handlers that
    # were in place before; with these no-ops a clean stop exits with status 0.
    # Every outgoing request at INFO would drown the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    _tune_gc()
    server.run()
    return 0 if server.started else 1


# Young-generation collections every 700 allocations ran hundreds of times a second under
# load; a request allocates a few hundred objects, nearly all freed by reference counting.
GC_GEN0_THRESHOLD = 20_000


def _tune_gc() -> None:
    """Collect less often, and move what start-up made (modules, the app) out of the
    collector's sight, so that full collections do not walk it again and again."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


async def _with_database(config: Config, work: Callable[[Database], Awaitable[int]]) -> int:
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


_ACCOUNT_ACTIONS: dict[str, Callable[[Config, Database, argparse.Namespace], Awaitable[int]]] = {
    "create": _account_create,
    "list": _account_list,
    "disable": _account_disable,
    "enable": _account_enable,
    "token": _account_token,
}


async def _acting_actor(inst: Instance, as_name: str | None) -> LocalActor:
    actor = (
        await actor_store.find_by_kind(inst.db, "group")
        if as_name is None
        else (await actor_store.find_by_username(inst.db, as_name))
    )
    if actor is None or actor.kind == "application" or (as_name and actor.kind != "person"):
        raise CommandError(f"no member named {as_name!r}")
    if actor.disabled:
        raise CommandError(f"@{actor.username} is disabled")
    return actor


async def _follow(config: Config, args: argparse.Namespace) -> int:
    from fedishare.lifecycle import open_instance
    from fedishare.outbox.client_posts import post_to_outbox
    from fedishare.web.errors import Refusal

    async with open_instance(config) as inst:
        actor = await _acting_actor(inst, args.as_name)
        try:
            follow = await post_to_outbox(inst, actor, {"type": "Follow", "object": args.account})
        except Refusal as e:
            raise CommandError(f"{args.account}: {e.reason}") from None
    print(
        f"@{actor.username} follows {follow['object']} (pending until they accept;"
        " the running server sends it)"
    )
    return 0


async def _unfollow(config: Config, args: argparse.Namespace) -> int:
    from fedishare.lifecycle import open_instance
    from fedishare.outbox.client_posts import post_to_outbox
    from fedishare.web.errors import Refusal

    async with open_instance(config) as inst:
        actor = await _acting_actor(inst, args.as_name)
        try:
            await post_to_outbox(
                inst,
                actor,
                {"type": "Undo", "object": {"type": "Follow", "object": args.account}},
            )
        except Refusal as e:
            raise CommandError(f"{args.account}: {e.reason}") from None
    print(f"@{actor.username} no longer follows {args.account}")
    return 0


async def _following(config: Config, args: argparse.Namespace) -> int:
    from fedishare.federation.actor_document import actor_id
    from fedishare.lifecycle import open_instance
    from fedishare.storage import follows

    async with open_instance(config) as inst:
        actor = await _acting_actor(inst, args.as_name)
        rows = await follows.following(
            inst.db, actor_id(inst.urls, actor), limit=10_000, state=None
        )
    for f in rows:
        print(f"{f.followee}\t{f.state}")
    if not rows:
        print(f"@{actor.username} follows nobody yet", file=sys.stderr)
    return 0


async def _peer(config: Config, args: argparse.Namespace) -> int:
    from fedishare.lifecycle import open_instance
    from fedishare.listings import peers

    async with open_instance(config) as inst:
        try:
            if args.action == "add":
                added = await peers.add_peer(inst, args.domain)
                print(
                    f"peer {added.domain}: the community follows {added.actor} ({added.state};"
                    f" the running server sends the Follow); {added.taken_in} listing(s) taken in"
                )
            elif args.action == "remove":
                for ended in await peers.remove_peer(inst, args.domain):
                    print(f"peer {ended.domain}: the community no longer follows {ended.actor}")
            else:
                found = await peers.list_peers(inst)
                for p in found:
                    print(f"{p.domain}\t{p.actor}\t{p.state}")
                if not found:
                    print("no peers yet: `fedishare peer add DOMAIN` adds one", file=sys.stderr)
        except peers.PeerError as e:
            raise CommandError(str(e)) from None
    return 0


_FEDERATION_COMMANDS: dict[
    str, Callable[[Config, argparse.Namespace], Coroutine[Any, Any, int]]
] = {
    "follow": _follow,
    "unfollow": _unfollow,
    "following": _following,
    "peer": _peer,
}
