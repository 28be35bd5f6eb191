"""The `fedishare` command line: parsing, and handing each command to fedishare.commands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from fedishare import __version__
from fedishare.accounts.members import AccountError
from fedishare.commands import backup as backup_cli
from fedishare.commands import config_check
from fedishare.commands import domains as domains_cli
from fedishare.commands import listings as listings_cli
from fedishare.commands import migrate as migrate_cli
from fedishare.commands import queues as queues_cli
from fedishare.commands import transfer as transfer_cli
from fedishare.commands.accounts import ACCOUNT_ACTIONS, add_admin_parsers, with_instance
from fedishare.commands.errors import CommandError
from fedishare.commands.federation import FEDERATION_COMMANDS
from fedishare.commands.logging_setup import setup_logging
from fedishare.core.config import CONFIG_FILE, ConfigError, default_config_text, load_config
from fedishare.storage.database import SchemaOutOfDate


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
    serve.add_argument(
        "--no-workers",
        action="store_true",
        help="serve HTTP only, and leave delivery and inbox processing to `fedishare work` "
        "in another process (each then gets a core of its own)",
    )
    work = sub.add_parser(
        "work",
        parents=[common],
        help="run delivery, inbox processing, expiry and retention, without the web server",
        description="Run the background workers on their own, beside `fedishare serve "
        "--no-workers` on the same instance.toml. Stops cleanly on SIGTERM or Ctrl-C.",
    )
    work.add_argument(
        "--queues",
        metavar="NAMES",
        default="all",
        help="run only these queues' workers, comma-separated: delivery, inbox, expiry, "
        "retention (default: all). On PostgreSQL, processes on several machines may share "
        "the queues",
    )

    account = sub.add_parser(
        "account", parents=[common], help="manage members, invites and password resets"
    )
    acc = account.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = acc.add_parser(
        "create",
        parents=[common],
        help="make a member and print how they sign in",
        description="Make a member NAME (letters, digits, _, with . or - between them) "
        "and print their handle, a password to log in with (shown only once) and an access "
        "token.",
    )
    create.add_argument("name")
    create.add_argument("--display-name", default="", help="the name shown on their profile")
    create.add_argument("--locked", action="store_true", help="approve each follower by hand")
    create.add_argument(
        "--admin", action="store_true", help="make them an admin (the admin pages at /admin)"
    )
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
    token_list = acc.add_parser(
        "tokens",
        parents=[common],
        help="list a member's access tokens (apps signed in as them)",
        description="List the access tokens of NAME, one a line: its id, the app (or "
        "'command line'), its scopes, when it was made and when it was last used.",
    )
    token_list.add_argument("name")
    revoke = acc.add_parser(
        "revoke",
        parents=[common],
        help="revoke one of a member's access tokens",
        description="End the access token TOKEN_ID of NAME (an id from `fedishare account "
        "tokens NAME`): the app that holds it is refused from then on.",
    )
    revoke.add_argument("name")
    revoke.add_argument("token_id", metavar="TOKEN_ID", type=int)
    invite = acc.add_parser(
        "invite",
        parents=[common],
        help="print an invite link (lets one person sign up, whatever the policy)",
        description="Print a link BASE/invite/CODE that lets one person become a member "
        "(an admin with --admin), even when [registration] policy is closed. It works once "
        "and expires in 7 days.",
    )
    invite.add_argument("--admin", action="store_true", help="the invited person becomes an admin")
    reset_link = acc.add_parser(
        "reset-link",
        parents=[common],
        help="print a link that sets a new password for a member",
        description="Print a link BASE/reset/CODE for member NAME, who forgot their password: "
        "it sets a new one once and expires in 24 hours. Send it to them yourself (fedishare "
        "sends no mail).",
    )
    reset_link.add_argument("name")
    add_admin_parsers(acc, common)

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
    backup_cli.add_parser(sub, common)
    queues_cli.add_parser(sub, common)
    config_check.add_parser(sub, common)
    domains_cli.add_parser(sub, common)
    migrate_cli.add_parser(sub, common)
    transfer_cli.add_parsers(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    default_path = not hasattr(args, "config")
    config_path: Path = getattr(args, "config", Path(CONFIG_FILE))
    try:
        if args.command == "init":
            from fedishare.commands.serve import cmd_init  # the web app: only where needed

            return cmd_init(config_path, args.domain, args.http, args.force)
        if args.command == "serve":
            if default_path and not config_path.exists():
                config_path.write_text(default_config_text(), encoding="utf-8")
                print(f"wrote a local {config_path} (edit it for production)", file=sys.stderr)
            from fedishare.commands.serve import cmd_serve

            return cmd_serve(
                load_config(config_path),
                args.listen,
                access_log=args.access_log,
                workers=not args.no_workers,
            )
        if args.command == "config":
            return config_check.run(config_path)
        config = load_config(config_path)
        setup_logging(config.logging)
        if args.command == "work":
            from fedishare.commands.work import cmd_work

            return cmd_work(config, args.queues)
        if args.command in ("backup", "restore"):
            return backup_cli.run(config, args)
        if args.command == "migrate":
            return asyncio.run(migrate_cli.run(config))
        if args.command in ("export", "import"):
            return transfer_cli.run(config, args)
        if args.command == "queue":
            return asyncio.run(queues_cli.run(config, args))
        if args.command == "listings":
            return asyncio.run(listings_cli.run(config, args))
        if args.command == "domain":
            return asyncio.run(domains_cli.run(config, args))
        if args.command in FEDERATION_COMMANDS:
            return asyncio.run(FEDERATION_COMMANDS[args.command](config, args))
        return asyncio.run(with_instance(config, ACCOUNT_ACTIONS[args.action], args))
    except (ConfigError, CommandError, AccountError, SchemaOutOfDate) as e:
        # 1: the command was refused (argparse's own usage errors exit 2).
        print(f"fedishare: {e}", file=sys.stderr)
        return 1
