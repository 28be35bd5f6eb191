"""`fedishare listings`: the operator's view of what this instance and its peers list."""

from __future__ import annotations

import argparse
import sys

from fedishare.commands.errors import CommandError
from fedishare.core.config import Config
from fedishare.core.errors import Refusal
from fedishare.lifecycle import open_instance
from fedishare.listings.search import parse_query
from fedishare.storage.listing_search import search


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    listings = sub.add_parser(
        "listings",
        parents=[common],
        help="search the listings of this instance and its peers",
        description="Search listings as members do: by words, kind, status, place and "
        "stay dates. Prints one listing a line: status, kind, title, place, id.",
    )
    listings.add_argument("words", nargs="*", help="words to look for")
    listings.add_argument("--kind", help="give, lend, wanted, help or stay (comma-separated)")
    listings.add_argument("--purpose", help="offer or request")
    listings.add_argument("--status", help="open (default), reserved, taken, ... or any")
    listings.add_argument("--near", metavar="LAT,LON", help="around this point")
    listings.add_argument("--radius", metavar="KM", help="with --near (default 10)")
    listings.add_argument("--from", dest="start", metavar="DATE", help="stays from DATE")
    listings.add_argument("--to", dest="end", metavar="DATE", help="stays until DATE")
    listings.add_argument("--party", metavar="N", help="stays with room for N")
    listings.add_argument("--origin", help="local or remote")
    listings.add_argument("--limit", default="50", help="at most this many (default 50)")


def _params(args: argparse.Namespace) -> dict[str, str]:
    params = {
        "q": " ".join(args.words),
        "kind": args.kind,
        "purpose": args.purpose,
        "status": args.status,
        "radius": args.radius,
        "from": args.start,
        "to": args.end,
        "party": args.party,
        "origin": args.origin,
        "limit": args.limit,
    }
    if args.near:
        lat, _, lon = args.near.partition(",")
        params["lat"], params["lon"] = lat.strip(), lon.strip()
    return {k: v for k, v in params.items() if v}


async def run(config: Config, args: argparse.Namespace) -> int:
    try:
        query = parse_query(_params(args))
    except Refusal as e:
        raise CommandError(e.reason.replace("q:", "words:", 1)) from None
    async with open_instance(config) as inst:
        hits = await search(inst.db, query)
    for hit in hits:
        listing = hit.listing
        distance = f" ({hit.distance_km:.1f} km)" if hit.distance_km is not None else ""
        print(
            f"{listing.status}\t{listing.kind}\t{listing.title}\t"
            f"{listing.place.name}{distance}\t{listing.id}"
        )
    if not hits:
        print("no listings found", file=sys.stderr)
    return 0
