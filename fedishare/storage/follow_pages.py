"""Follows a page at a time for the client API, paged by the follow row's id (Mastodon
pages followers by its follow ids too), newest first."""

from __future__ import annotations

from fedishare.core.paging import Page
from fedishare.storage.database import Database
from fedishare.storage.paging import in_order, window


async def followers_page(
    db: Database, followee: str, page: Page, *, state: str = "accepted"
) -> list[tuple[int, str]]:
    """(follow id, follower) of `followee`'s follows in `state`."""
    where, params, order = window("id", page)
    rows = await db.fetch_all(
        f"SELECT id, follower FROM follows WHERE followee = ? AND state = ? AND {where} {order}",
        (followee, state, *params),
    )
    return [(int(r[0]), str(r[1])) for r in in_order(page, rows)]


async def following_page(db: Database, follower: str, page: Page) -> list[tuple[int, str]]:
    """(follow id, followee) of the accepted follows of `follower`."""
    where, params, order = window("id", page)
    rows = await db.fetch_all(
        "SELECT id, followee FROM follows WHERE follower = ? AND state = 'accepted'"
        f" AND {where} {order}",
        (follower, *params),
    )
    return [(int(r[0]), str(r[1])) for r in in_order(page, rows)]
