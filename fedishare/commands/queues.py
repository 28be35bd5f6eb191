"""`fedishare queue status` and `fedishare queue retry HOST`: the work waiting in the
database's queues, and deliveries to a paused host sent again now."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from fedishare.commands.errors import CommandError
from fedishare.core.config import Config
from fedishare.lifecycle import open_instance
from fedishare.storage.queue_retry import known_host, known_hosts, retry_host
from fedishare.storage.queue_stats import paused_hosts, queue_stats


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    queue = sub.add_parser(
        "queue",
        parents=[common],
        help="see the inbox and delivery queues; retry a paused host",
        description="The queues the workers drain: activities received and not yet "
        "processed (inbox), activities not yet delivered (deliveries), and the hosts "
        "deliveries are paused for.",
    )
    actions = queue.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "status",
        parents=[common],
        help="depth and oldest item of each queue, and paused hosts",
        description="Print each queue's depth and the age of its oldest item, then each "
        "host deliveries are paused for: until when, and the last error that paused it.",
    )
    retry = actions.add_parser(
        "retry",
        parents=[common],
        help="lift HOST's pause and send its waiting deliveries now",
        description="Lift the pause on HOST (e.g. after it came back) and make its waiting "
        "deliveries due now; the running workers send them. If HOST still fails, it is "
        "paused again.",
    )
    retry.add_argument("host", metavar="HOST", help="a host from `fedishare queue status`")


async def run(config: Config, args: argparse.Namespace) -> int:
    try:
        if args.action == "status":
            return await _status(config)
        return await _retry(config, args.host)
    except CommandError as e:
        print(f"fedishare: {e}", file=sys.stderr)
        return 1


async def _status(config: Config) -> int:
    now = time.time()
    async with open_instance(config) as inst:
        stats = await queue_stats(inst.db, now)
        paused = await paused_hosts(inst.db, now)
    for stat in stats:
        oldest = (
            ""
            if stat.oldest_age_seconds is None
            else f", the oldest {_age(stat.oldest_age_seconds)} old"
        )
        print(f"{stat.name}: {stat.depth} waiting{oldest}")
    if not paused:
        print("paused hosts: none")
        return 0
    print(f"paused hosts: {len(paused)}")
    for host in paused:
        until = datetime.fromtimestamp(host.until, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        reason = host.reason or "(no error kept)"
        print(f"  {host.host}\tuntil {until} (in {_age(host.until - now)})\t{reason}")
    return 0


async def _retry(config: Config, host_text: str) -> int:
    host = host_text.strip().lower()
    async with open_instance(config) as inst:
        if not host or not await known_host(inst.db, host):
            hosts = await known_hosts(inst.db)
            known = f" (known: {', '.join(hosts)})" if hosts else " (none are known yet)"
            raise CommandError(f"queue retry {host_text!r} — no deliveries to that host{known}")
        done = await retry_host(inst.db, host, time.time())
    pause = "pause lifted" if done.was_paused else "was not paused"
    print(f"{done.host}: {pause}; {done.made_due} waiting deliveries due now")
    return 0


def _age(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} days"
