"""A member's favourites as a list: their Likes (rows of `reactions`), paged by the row's
own number so that the list runs in the order they were given, newest first."""

from __future__ import annotations

from fedishare.core.paging import Page
from fedishare.storage.database import Database
from fedishare.storage.paging import in_order, window


async def page_of(db: Database, actor: str, page: Page) -> list[tuple[int, int]]:
    """(favourite id, status id) of one page of `actor`'s Likes of indexed statuses."""
    where, params, order = window("r.rowid", page)
    rows = await db.fetch_all(
        "SELECT r.rowid AS favourite_id, s.id AS status_id FROM reactions AS r"
        " JOIN statuses AS s ON s.uri = r.object_id"
        f" WHERE r.type = 'Like' AND r.actor = ? AND s.deleted = 0 AND {where} {order}",
        (actor, *params),
    )
    return [(int(r["favourite_id"]), int(r["status_id"])) for r in in_order(page, rows)]
