"""Timelines as walks of the status index (`fedishare.storage.statuses`), a page at a time.

The public timeline walks its partial index in id order and stops at the page's end; a
tag timeline walks `status_tags` the same way; the home timeline reads the followed
authors' statuses through `statuses_author` (see `home_sql`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from fedishare.core.paging import Page
from fedishare.storage.database import Database
from fedishare.storage.hidden_authors import STATUS_SHOWN
from fedishare.storage.paging import in_order, window
from fedishare.storage.statuses import COLUMNS, StatusRow, rows_of

_PUBLIC = "s.visibility = 'public' AND s.deleted = 0 AND s.reblog_of IS NULL"
_S_COLUMNS = ", ".join(f"s.{c.strip()}" for c in COLUMNS.split(","))


def _not_in(column: str, values: Collection[str]) -> tuple[str, list[Any]]:
    if not values:
        return "1 = 1", []  # a condition on both backends (PostgreSQL's AND wants a boolean)
    return f"{column} NOT IN ({', '.join('?' for _ in values)})", sorted(values)


def home_sql(member: str, page: Page, hidden: Collection[str] = ()) -> tuple[str, list[Any]]:
    """The SQL of a home timeline page (apart, so that tests and the benchmark can EXPLAIN).

    Statuses (and boosts) by the member and by the actors they follow (accepted), but not
    their direct ones, plus the direct statuses that mention the member. A boost of a
    status whose author is followed too is left out: the status itself is there (as
    Mastodon leaves out boosts of what a feed already holds). The followed
    authors' statuses are found through `statuses_author` (never a walk of the whole
    table), and only a page of them is kept while they are sorted. Measured against taking
    a page per author first (correlated subqueries, ~10x slower) and against walking the
    whole index by id (fast while followed authors are busy, a full scan when they are not)."""
    where, params, order = window("s.id", page)
    mention_where, mention_params, _ = window("m.status_id", page)
    unhidden, hidden_params = _not_in("s.author", hidden)
    sql = (
        "WITH authors(uri) AS (SELECT followee FROM follows WHERE follower = ?"
        " AND state = 'accepted' UNION SELECT ?)"
        f" SELECT {_S_COLUMNS} FROM statuses s WHERE s.author IN authors AND s.deleted = 0"
        f" AND (s.visibility != 'direct' OR s.author = ?) AND {where} AND {unhidden}"
        " AND (s.reblog_of IS NULL OR NOT EXISTS (SELECT 1 FROM statuses o"
        " WHERE o.id = s.reblog_of AND o.author IN authors))"
        f" UNION ALL SELECT {_S_COLUMNS} FROM statuses s WHERE s.id IN (SELECT m.status_id"
        f" FROM status_mentions m WHERE m.actor = ? AND {mention_where})"
        f" AND s.deleted = 0 AND s.visibility = 'direct' AND s.author != ? AND {unhidden}"
        f" {order.replace('s.id', 'id')}"
    )
    values = [
        member,
        member,
        member,
        *params,
        *hidden_params,
        member,
        *mention_params,
        member,
        *hidden_params,
    ]
    return sql, values


async def home(
    db: Database, member: str, page: Page, hidden: Collection[str] = ()
) -> list[StatusRow]:
    sql, params = home_sql(member, page, hidden)
    return in_order(page, rows_of(await db.fetch_all(sql, params)))


def direct_sql(member: str, page: Page, hidden: Collection[str] = ()) -> tuple[str, list[Any]]:
    """The SQL of a page of the member's direct statuses: those they wrote (through
    `statuses_author`, by id) and those that mention them (through `status_mentions`' key,
    by id, which is why that arm names its id `m.status_id`: so that it comes sorted); the
    two walks are merged, so a page reads about its own length of each index."""
    where, params, order = window("s.id", page)
    mention_where, mention_params, _ = window("m.status_id", page)
    unhidden, hidden_params = _not_in("s.author", hidden)
    sql = (
        f"SELECT {_S_COLUMNS} FROM statuses s WHERE s.author = ? AND {where}"
        " AND s.visibility = 'direct' AND s.deleted = 0"
        f" UNION ALL SELECT {_S_COLUMNS.replace('s.id', 'm.status_id', 1)}"
        " FROM status_mentions m JOIN statuses s"
        f" ON s.id = m.status_id WHERE m.actor = ? AND {mention_where}"
        f" AND s.visibility = 'direct' AND s.deleted = 0 AND s.author != ? AND {unhidden}"
        f" {order.replace('s.id', 'id')}"
    )
    return sql, [member, *params, member, *mention_params, member, *hidden_params]


async def direct(
    db: Database, member: str, page: Page, hidden: Collection[str] = ()
) -> list[StatusRow]:
    """The direct statuses the member wrote or is mentioned in, newest first."""
    sql, params = direct_sql(member, page, hidden)
    return in_order(page, rows_of(await db.fetch_all(sql, params)))


def _narrowed(
    local: bool | None, only_media: bool, hidden: Collection[str]
) -> tuple[list[str], list[Any]]:
    """The conditions (and their parameters) of the public and tag timelines' options:
    ours only or others' only, with media only, without the authors the viewer hides, nor
    those admins keep out (silenced ones too: their followers see them at home)."""
    conditions = [STATUS_SHOWN]
    if local is True:
        conditions.append("s.local_actor_id IS NOT NULL")
    elif local is False:
        conditions.append("s.local_actor_id IS NULL")
    if only_media:
        conditions.append("s.has_media = 1")
    unhidden, hidden_params = _not_in("s.author", hidden)
    return [*conditions, unhidden], hidden_params


def public_sql(
    page: Page, *, local: bool | None, only_media: bool, hidden: Collection[str] = ()
) -> tuple[str, list[Any]]:
    where, params, order = window("s.id", page)
    conditions = [_PUBLIC, where]
    narrowed, narrowed_params = _narrowed(local, only_media, hidden)
    conditions += narrowed
    sql = f"SELECT {_S_COLUMNS} FROM statuses s WHERE {' AND '.join(conditions)} {order}"
    return sql, [*params, *narrowed_params]


async def public(
    db: Database,
    page: Page,
    *,
    local: bool | None = None,
    only_media: bool = False,
    hidden: Collection[str] = (),
) -> list[StatusRow]:
    sql, params = public_sql(page, local=local, only_media=only_media, hidden=hidden)
    return in_order(page, rows_of(await db.fetch_all(sql, params)))


def tag_sql(
    page: Page,
    tags: Sequence[str],
    *,
    all_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
    local: bool | None = None,
    only_media: bool = False,
    hidden: Collection[str] = (),
) -> tuple[str, list[Any]]:
    """Public statuses carrying any of `tags`, all of `all_of` and none of `none_of`."""
    names = sorted({t.lower() for t in tags})
    where, params, order = window("t.status_id", page)
    conditions = [f"t.tag IN ({', '.join('?' for _ in names)})", where, _PUBLIC]
    values: list[Any] = [*names, *params]
    for name in sorted({t.lower() for t in all_of}):
        conditions.append(
            "EXISTS (SELECT 1 FROM status_tags a WHERE a.status_id = s.id AND a.tag = ?)"
        )
        values.append(name)
    excluded = sorted({t.lower() for t in none_of})
    if excluded:
        marks = ", ".join("?" for _ in excluded)
        conditions.append(
            "NOT EXISTS (SELECT 1 FROM status_tags n WHERE n.status_id = s.id"
            f" AND n.tag IN ({marks}))"
        )
        values += excluded
    narrowed, narrowed_params = _narrowed(local, only_media, hidden)
    conditions += narrowed
    values += narrowed_params
    # One tag walks its index newest first; several may meet one status twice. A DISTINCT
    # query orders by a column it selects (PostgreSQL requires it; SQLite's plan is the same).
    distinct = "DISTINCT " if len(names) > 1 else ""
    if distinct:
        order = order.replace("t.status_id", "s.id", 1)
    sql = (
        f"SELECT {distinct}{_S_COLUMNS} FROM status_tags t JOIN statuses s ON s.id = t.status_id"
        f" WHERE {' AND '.join(conditions)} {order}"
    )
    return sql, values


async def tagged(
    db: Database,
    page: Page,
    tags: Sequence[str],
    *,
    all_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
    local: bool | None = None,
    only_media: bool = False,
    hidden: Collection[str] = (),
) -> list[StatusRow]:
    if not tags:
        return []
    sql, params = tag_sql(
        page,
        tags,
        all_of=all_of,
        none_of=none_of,
        local=local,
        only_media=only_media,
        hidden=hidden,
    )
    return in_order(page, rows_of(await db.fetch_all(sql, params)))


async def by_author(
    db: Database,
    author: str,
    page: Page,
    *,
    visibilities: Sequence[str],
    mentioned: str | None = None,
    exclude_replies: bool = False,
    exclude_reblogs: bool = False,
    only_media: bool = False,
) -> list[StatusRow]:
    """An actor's statuses of the given visibilities (and the private and direct ones that
    mention `mentioned`, as Mastodon shows them to the mentioned), newest first."""
    where, params, order = window("s.id", page)
    shown = ", ".join("?" for _ in visibilities) or "NULL"
    seen = f"s.visibility IN ({shown})"
    values: list[Any] = [author, *visibilities]
    if mentioned is not None:
        seen = (
            f"({seen} OR (s.visibility IN ('private', 'direct') AND EXISTS (SELECT 1"
            " FROM status_mentions m"
            " WHERE m.status_id = s.id AND m.actor = ?)))"
        )
        values.append(mentioned)
    conditions = ["s.author = ?", "s.deleted = 0", seen, where]
    values += params
    if exclude_replies:
        # As Mastodon: replies to others are left out, a thread of one's own stays.
        conditions.append(
            "(s.in_reply_to IS NULL OR EXISTS (SELECT 1 FROM statuses p"
            " WHERE p.uri = s.in_reply_to AND p.author = s.author))"
        )
    if exclude_reblogs:
        conditions.append("s.reblog_of IS NULL")
    if only_media:
        conditions.append("s.has_media = 1")
    sql = f"SELECT {_S_COLUMNS} FROM statuses s WHERE {' AND '.join(conditions)} {order}"
    return in_order(page, rows_of(await db.fetch_all(sql, values)))


async def replies_to(db: Database, uris: Sequence[str]) -> list[StatusRow]:
    """The live statuses replying to any of `uris`, oldest first."""
    if not uris:
        return []
    marks = ", ".join("?" for _ in uris)
    rows = await db.fetch_all(
        f"SELECT {_S_COLUMNS} FROM statuses s WHERE s.in_reply_to IN ({marks})"
        " AND s.deleted = 0 ORDER BY s.id",
        list(uris),
    )
    return rows_of(rows)
