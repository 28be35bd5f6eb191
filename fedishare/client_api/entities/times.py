"""Times as Mastodon writes them: `2019-12-08T03:48:33.901Z` (milliseconds, UTC, `Z`), and
days as `2019-12-08` (`last_status_at`). Apps parse these strictly; Ivory fails on others."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: datetime | str) -> datetime:
    """A stored time (ISO 8601 text, `Z` or an offset; naive taken as UTC) as aware UTC."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def mastodon_time(value: datetime | str) -> str:
    dt = parse_time(value)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def mastodon_day(value: datetime | str) -> str:
    """Midnight of the day (Mastodon gives account creation times at day precision)."""
    return parse_time(value).strftime("%Y-%m-%dT00:00:00.000Z")


def mastodon_date(value: datetime | str) -> str:
    return parse_time(value).strftime("%Y-%m-%d")


def maybe_time(value: object) -> str | None:
    """A document's time field, if it holds one that parses."""
    if not isinstance(value, str):
        return None
    try:
        return mastodon_time(value)
    except ValueError:
        return None
