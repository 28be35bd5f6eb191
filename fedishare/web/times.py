"""How pages show moments and ages, in the pages' language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from babel.dates import format_date, format_timedelta

from fedishare.core.activitystreams import parse_iso

LOCALE = "en"  # the pages' dates, until catalogs offer another language


def when(timestamp: float) -> str:
    """A unix timestamp (accounts, sessions, invites) as "2026-05-02 09:00 UTC"."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(dt: datetime) -> str:
    return format_date(dt.date(), "d MMM y", locale=LOCALE)


def moment(text: str) -> str:
    """A stored ISO time as people read it: "2 May 2026, 09:00 UTC"."""
    at = parse_iso(text)
    if at is None:
        return text
    return f"{day(at)}, {at:%H:%M} UTC"


def age(dt: datetime, now: datetime) -> str:
    """How long ago, e.g. "3 days ago"."""
    # A clock running ahead on another server must not make it "in 2 minutes".
    return format_timedelta(min(dt - now, timedelta(0)), add_direction=True, locale=LOCALE)
