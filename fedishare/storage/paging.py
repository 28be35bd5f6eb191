"""The SQL of a page (`fedishare.core.paging.Page`) over an integer id column."""

from __future__ import annotations

from typing import Any

from fedishare.core.paging import Page


def window(column: str, page: Page) -> tuple[str, list[Any], str]:
    """(conditions joined by AND, or "1 = 1", their parameters, ORDER BY ... LIMIT ?) for `page`.
    With `min_id` the rows come oldest first: reverse them (`in_order`)."""
    where: list[str] = []
    params: list[Any] = []
    if page.max_id is not None:
        where.append(f"{column} < ?")
        params.append(page.max_id)
    lower = page.min_id if page.min_id is not None else page.since_id
    if lower is not None:
        where.append(f"{column} > ?")
        params.append(lower)
    direction = "ASC" if page.walks_up else "DESC"
    return (
        (" AND ".join(where) or "1 = 1"),
        params,
        f"ORDER BY {column} {direction} LIMIT {page.limit:d}",
    )


def in_order(page: Page, rows: list[Any]) -> list[Any]:
    """Rows newest first, whichever way they were taken."""
    return rows[::-1] if page.walks_up else rows
