"""What account and relationship entities show, read for many actors at once: other
servers' actor documents, our actors by name, follow and status counts, and the follows
between one member and others. Each read is one query per 500 actors, never one per actor."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from fedishare.core.types import JSON
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Database
from fedishare.storage.remote_actors import RemoteActor
from fedishare.storage.rows import chunks, from_row, marks


async def remote_actors(db: Database, uris: Sequence[str]) -> dict[str, tuple[RemoteActor, JSON]]:
    """Each known remote actor of `uris` with its stored document."""
    found: dict[str, tuple[RemoteActor, JSON]] = {}
    for chunk in chunks(uris):
        rows = await db.fetch_all(
            f"SELECT * FROM remote_actors WHERE id IN ({marks(chunk)})", tuple(chunk)
        )
        for row in rows:
            found[row["id"]] = (from_row(RemoteActor, row), json.loads(row["document"]))
    return found


@dataclass(frozen=True)
class LocalAccount:
    actor: LocalActor
    fields: list[JSON]  # the profile fields, [{"name", "value"}]
    header_path: str | None  # the header photo's file, below the media directory


async def local_actors(db: Database, usernames: Sequence[str]) -> list[LocalAccount]:
    """Our actors of these names (matched as names are: without regard to case)."""
    found: list[LocalAccount] = []
    for chunk in chunks(usernames):
        rows = await db.fetch_all(
            "SELECT a.*, m.path AS header_path FROM local_actors a"
            " LEFT JOIN media m ON m.id = a.header_media_id AND m.path != ''"
            f" WHERE a.username IN ({marks(chunk)})",
            tuple(chunk),
        )
        found += [
            LocalAccount(from_row(LocalActor, row), _fields(row["fields"]), row["header_path"])
            for row in rows
        ]
    return found


def _fields(text: str) -> list[JSON]:
    found = json.loads(text)
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


async def follow_counts(db: Database, uris: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(followers, following) of each of `uris`, accepted follows only."""
    counts = {uri: (0, 0) for uri in uris}
    for chunk in chunks(uris):
        params = tuple(chunk) * 2
        rows = await db.fetch_all(
            "SELECT followee AS uri, count(*) AS n, 0 AS out FROM follows"
            f" WHERE followee IN ({marks(chunk)}) AND state = 'accepted' GROUP BY followee"
            " UNION ALL SELECT follower, count(*), 1 FROM follows"
            f" WHERE follower IN ({marks(chunk)}) AND state = 'accepted' GROUP BY follower",
            params,
        )
        for row in rows:
            followers, following = counts[row["uri"]]
            if row["out"]:
                following = int(row["n"])
            else:
                followers = int(row["n"])
            counts[row["uri"]] = (followers, following)
    return counts


async def status_counts(db: Database, uris: Sequence[str]) -> dict[str, tuple[int, str | None]]:
    """(how many live statuses, when the newest was published) of each author of `uris`."""
    counts: dict[str, tuple[int, str | None]] = {uri: (0, None) for uri in uris}
    for chunk in chunks(uris):
        rows = await db.fetch_all(
            "SELECT author, count(*) AS n, max(published) AS newest FROM statuses"
            f" WHERE author IN ({marks(chunk)}) AND deleted = 0 GROUP BY author",
            tuple(chunk),
        )
        counts |= {row["author"]: (int(row["n"]), row["newest"]) for row in rows}
    return counts


async def follow_requests_count(db: Database, followee: str) -> int:
    return int(
        await db.fetch_value(
            "SELECT count(*) FROM follows WHERE followee = ? AND state = 'pending'", (followee,)
        )
    )


async def follows_between(db: Database, actor: str, others: Sequence[str]) -> dict[str, str]:
    """The follows either way between `actor` and each of `others`, as
    {"out:" + other | "in:" + other: state}."""
    found: dict[str, str] = {}
    for chunk in chunks(others):
        rows = await db.fetch_all(
            "SELECT follower, followee, state FROM follows"
            f" WHERE (follower = ? AND followee IN ({marks(chunk)}))"
            f" OR (followee = ? AND follower IN ({marks(chunk)}))",
            (actor, *chunk, actor, *chunk),
        )
        for row in rows:
            if row["follower"] == actor:
                found["out:" + row["followee"]] = row["state"]
            else:
                found["in:" + row["follower"]] = row["state"]
    return found
