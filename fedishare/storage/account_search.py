"""Finding accounts and hashtags by what people type: a name's beginning, a handle."""

from __future__ import annotations

from fedishare.storage.database import Database


def _prefix(text: str) -> str:
    """`text` as a LIKE pattern matching what starts with it (its wildcards escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


async def local_accounts(db: Database, text: str, *, limit: int, offset: int = 0) -> list[str]:
    """Usernames of our members and the community whose username or display name starts
    with `text` (case-insensitive), exact usernames first."""
    pattern = _prefix(text)
    rows = await db.fetch_all(
        "SELECT username FROM local_actors WHERE kind IN ('person', 'group') AND disabled = 0"
        " AND discoverable = 1"
        " AND (username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\')"
        # username is a COLLATE NOCASE column (CITEXT on PostgreSQL): `=` ignores case.
        " ORDER BY username = ? DESC, username LIMIT ? OFFSET ?",
        (pattern, pattern, text, limit, offset),
    )
    return [str(r[0]) for r in rows]


# Accounts kept out of search: those hidden with severity 'suspend' (a blocked domain or an
# admin-blocked account). Silenced ones are still found, as Mastodon finds limited accounts.
_FINDABLE = "id NOT IN (SELECT author FROM hidden_authors WHERE severity = 'suspend')"


async def remote_accounts(db: Database, text: str, *, limit: int, offset: int = 0) -> list[str]:
    """Ids of other servers' actors we know whose name, or handle, starts with `text`, but
    for the blocked ones (`hidden_authors`, severity 'suspend')."""
    user, _, host = text.partition("@")
    if host:
        rows = await db.fetch_all(
            "SELECT id FROM remote_actors WHERE lower(preferred_username) = lower(?)"
            f" AND host LIKE ? ESCAPE '\\' AND {_FINDABLE} ORDER BY id LIMIT ? OFFSET ?",
            (user, _prefix(host.lower()), limit, offset),
        )
    else:
        pattern = _prefix(text)
        rows = await db.fetch_all(
            "SELECT id FROM remote_actors WHERE (preferred_username LIKE ? ESCAPE '\\'"
            f" OR name LIKE ? ESCAPE '\\') AND {_FINDABLE}"
            " ORDER BY preferred_username, id LIMIT ? OFFSET ?",
            (pattern, pattern, limit, offset),
        )
    return [str(r[0]) for r in rows]


async def remote_by_handle(db: Database, user: str, host: str) -> str | None:
    """The id of the actor we know as user@host, blocked or not (admins find blocked
    accounts by it too; searches check the domain policy)."""
    row = await db.fetch_one(
        "SELECT id FROM remote_actors WHERE lower(preferred_username) = lower(?) AND host = ?",
        (user, host.lower()),
    )
    return None if row is None else str(row[0])


async def hashtags(db: Database, text: str, *, limit: int, offset: int = 0) -> list[str]:
    """Hashtags used in statuses that start with `text`, the most used first."""
    rows = await db.fetch_all(
        "SELECT tag FROM status_tags WHERE tag LIKE ? ESCAPE '\\'"
        " GROUP BY tag ORDER BY count(*) DESC, tag LIMIT ? OFFSET ?",
        (_prefix(text.lower()), limit, offset),
    )
    return [str(r[0]) for r in rows]
