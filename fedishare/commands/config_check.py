"""`fedishare config check`: instance.toml read and checked as `serve` would, and nothing
started (no database opened, no port taken): safe beside a running instance, e.g. before a
restart or a SIGHUP."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fedishare.core.config import ConfigError, load_config
from fedishare.storage.database import shown


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    config = sub.add_parser(
        "config",
        parents=[common],
        help="check instance.toml",
        description="Check the instance configuration without starting anything.",
    )
    actions = config.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "check",
        parents=[common],
        help="load and check instance.toml without starting anything",
        description="Read instance.toml (or --config) and check every key as `fedishare "
        "serve` would, opening no database and no port. Prints 'instance.toml: ok' and a "
        "summary, or the key (or line) at fault and what was expected, with exit status 1.",
    )


def run(path: Path) -> int:
    try:
        config = load_config(path)
    except ConfigError as e:
        print(f"fedishare: config check — {e}", file=sys.stderr)
        return 1
    federation = config.federation
    print(f"{path.name}: ok")
    print(f"  domain: {config.instance.domain} ({config.base_url})")
    print(f"  listen: {config.instance.listen_host}:{config.instance.listen_port}")
    print(f"  database: {shown(config.database_url)}")
    print(f"  media: {config.instance.media}")
    print(f"  registration: {config.registration}")
    print(
        f"  federation: {len(federation.allow)} allowed, {len(federation.block)} blocked "
        "domains in this file"
    )
    if federation.reject_reports:
        print(f"  reports rejected from: {', '.join(federation.reject_reports)}")
    return 0
