"""`fedishare follow|unfollow|following|peer`: this instance's place in the network."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from fedishare.commands.errors import CommandError
from fedishare.commands.progress import progress
from fedishare.context import Instance
from fedishare.core.config import Config
from fedishare.core.errors import Refusal
from fedishare.federation.actor_document import actor_id
from fedishare.lifecycle import open_instance
from fedishare.listings import peers
from fedishare.outbox.client_posts import post_to_outbox
from fedishare.storage import actors as actor_store
from fedishare.storage import follows
from fedishare.storage.actors import LocalActor


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

    async with open_instance(config) as inst:
        try:
            if args.action == "add":
                with progress(f"peer {args.domain}") as shown:

                    def fetched(done: int, of: int, stored: int) -> None:
                        # Each listing on a terminal; every 20th (and the last) in a log.
                        if shown.tty or done % 20 == 0 or done == of:
                            shown.step(f"fetched {done} of {of} listings ({stored} taken in)…")

                    added = await peers.add_peer(inst, args.domain, on_listing=fetched)
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


FEDERATION_COMMANDS: dict[str, Callable[[Config, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "follow": _follow,
    "unfollow": _unfollow,
    "following": _following,
    "peer": _peer,
}
