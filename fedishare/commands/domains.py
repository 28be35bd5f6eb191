"""`fedishare domain block|unblock|list|import|purge`: other servers' domains, for admins.

The same services as the admin pages (fedishare.moderation.domain_blocks), acting as the
instance actor. The database is changed at once: searches and the board leave a blocked or
silenced domain's listings out from then on, in every process. The inbox of a running server
asks a copy of the list in memory, which it reloads from the database every
`RELOAD_SECONDS`, at once on SIGHUP (`systemctl reload`), or when restarted: each command
that changes the list says so.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from fedishare.commands.errors import CommandError
from fedishare.commands.progress import progress
from fedishare.context import Instance
from fedishare.core.config import Config
from fedishare.core.errors import Refusal
from fedishare.lifecycle import open_instance
from fedishare.moderation import blocklist_import, domain_blocks, purge
from fedishare.storage import actors as actor_store
from fedishare.storage.actors import LocalActor

Action = Callable[[Instance, argparse.Namespace], Awaitable[int]]


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    domain = sub.add_parser(
        "domain",
        parents=[common],
        help="block, silence, list, import and purge other servers' domains",
        description="Moderate other servers by domain (a domain covers its subdomains). "
        "Changes apply at once to searches and the board; a running server's inbox takes "
        f"them within {domain_blocks.RELOAD_SECONDS:.0f} seconds, or at once on SIGHUP.",
    )
    actions = domain.add_subparsers(dest="action", required=True, metavar="ACTION")
    block = actions.add_parser(
        "block",
        parents=[common],
        help="block (or --silence) DOMAIN",
        description="Block DOMAIN: nothing is taken from it or sent to it, deliveries queued "
        "to it are dropped, follows with its actors end and its listings leave searches. "
        "With --silence it still federates, but its listings and posts stay out of searches, "
        "the board and public timelines. A silenced domain blocked again is blocked fully.",
    )
    block.add_argument("domain", metavar="DOMAIN", help="e.g. spam.example (or a pasted URL)")
    block.add_argument("--silence", action="store_true", help="silence instead of block")
    block.add_argument("--reason", default="", help="why, for the other admins (kept, not sent)")
    unblock = actions.add_parser(
        "unblock",
        parents=[common],
        help="let DOMAIN federate again",
        description="Lift a block or silence of DOMAIN made here or on the admin pages (one "
        "in instance.toml is lifted there). Follows ended by the block do not come back.",
    )
    unblock.add_argument("domain", metavar="DOMAIN")
    actions.add_parser(
        "list",
        parents=[common],
        help="list blocked and silenced domains",
        description="Print DOMAIN, severity (suspend or silence), when and why, one a line; "
        "the domains blocked in instance.toml are listed too, as 'instance.toml'.",
    )
    imported = actions.add_parser(
        "import",
        parents=[common],
        help="block the domains of a Mastodon blocklist export (CSV)",
        description="Read FILE.csv as Mastodon exports it (#domain,#severity,...,"
        "#public_comment,...): suspend rows are blocked, silence rows silenced, noop rows "
        "skipped, domains moderated already left alone. A bad row refuses the whole file.",
    )
    imported.add_argument("file", metavar="FILE.csv", type=Path)
    purged = actions.add_parser(
        "purge",
        parents=[common],
        help="remove everything stored from DOMAIN",
        description="Forget every actor of DOMAIN (and its subdomains) stored here: its "
        "follows both ways, listings, posts, reactions and cached profile and key, one "
        "actor at a time, with progress. It does not block DOMAIN: block it first to keep "
        "new posts out.",
    )
    purged.add_argument("domain", metavar="DOMAIN")


async def run(config: Config, args: argparse.Namespace) -> int:
    """Do the action; a refusal is one line on stderr, "fedishare: WHAT — WHY", and status 1."""
    async with open_instance(config) as inst:
        try:
            return await _ACTIONS[args.action](inst, args)
        except Refusal as e:
            what = getattr(args, "domain", None) or getattr(args, "file", None) or args.action
            print(f"fedishare: {what} — {_why(e.reason)}", file=sys.stderr)
        except CommandError as e:
            print(f"fedishare: {e}", file=sys.stderr)
    return 1


def _why(reason: str) -> str:
    """A service's reason without the form field it names ("domain: not blocked")."""
    field, colon, rest = reason.partition(": ")
    return rest if colon and field in ("domain", "file") else reason


def _takes_effect(inst: Instance) -> str:
    return (
        "in effect for searches and the board now, and in a running server's inbox within"
        f" {domain_blocks.RELOAD_SECONDS:.0f} s (at once if sent SIGHUP: systemctl reload)"
    )


async def _instance_actor(inst: Instance) -> LocalActor:
    actor = await actor_store.find_by_kind(inst.db, "application")
    if actor is None:  # made by open_instance: never missing
        raise CommandError("the instance actor is missing")
    return actor


async def _block(inst: Instance, args: argparse.Namespace) -> int:
    domain = domain_blocks.normal_domain(args.domain, inst)
    severity = "silence" if args.silence else "suspend"
    done = "silenced" if args.silence else "blocked"
    existing = {b.domain: b for b in await domain_blocks.blocks(inst)}.get(domain)
    if existing is not None:
        if existing.severity == severity:
            raise Refusal(f"already {done}; `fedishare domain list` shows why")
        await domain_blocks.change(inst, domain, severity, args.reason or existing.reason)
    else:
        await domain_blocks.block(inst, domain, args.reason, await _instance_actor(inst), severity)
    print(f"{done} {domain}: {_takes_effect(inst)}")
    return 0


async def _unblock(inst: Instance, args: argparse.Namespace) -> int:
    domain = domain_blocks.normal_domain(args.domain, inst)
    if inst.domains.configured_block(domain):
        raise Refusal("blocked in instance.toml ([federation] block): lift it there")
    await domain_blocks.unblock(inst, domain)
    print(f"unblocked {domain}: {_takes_effect(inst)}")
    return 0


def _moment(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _list(inst: Instance, args: argparse.Namespace) -> int:
    found = await domain_blocks.blocks(inst)
    for b in found:
        print(f"{b.domain}\t{b.severity}\t{_moment(b.created_at)}\t{b.reason}".rstrip())
    configured = sorted(inst.config.federation.block)
    for domain in configured:
        print(f"{domain}\tsuspend\tinstance.toml")
    if not found and not configured:
        print("no domains blocked: `fedishare domain block DOMAIN` blocks one", file=sys.stderr)
    return 0


async def _import(inst: Instance, args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as e:
        raise Refusal(e.strerror or "cannot be read") from None
    done = await blocklist_import.import_csv(inst, data, await _instance_actor(inst))
    print(
        f"imported {args.file.name}: {done.added} domain(s) blocked or silenced,"
        f" {done.present} moderated already, {done.skipped} noop row(s) skipped;"
        f" {_takes_effect(inst)}"
    )
    return 0


async def _purge(inst: Instance, args: argparse.Namespace) -> int:
    domain, actors = await purge.actors_on(inst, args.domain)
    with progress(f"purging {domain}") as p:
        done = await purge.purge(inst, actors, lambda n, _totals: p.count(n, len(actors), "actors"))
        p.finish(f"{done.actors} of {len(actors)} actors forgotten")
    print(
        f"purged {domain}: {done.actors} actor(s), {done.follows} follow(s),"
        f" {done.listings} listing(s), {done.posts} post(s) removed"
    )
    if inst.domains.permits(domain):
        print(
            f"note: {domain} is not blocked, so its servers may send new posts;"
            f" `fedishare domain block {domain}` keeps them out",
            file=sys.stderr,
        )
    return 0


_ACTIONS: dict[str, Action] = {
    "block": _block,
    "unblock": _unblock,
    "list": _list,
    "import": _import,
    "purge": _purge,
}
