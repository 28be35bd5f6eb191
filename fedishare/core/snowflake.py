"""Mastodon-style status ids: (unix milliseconds << 16) | 16 low bits.

Apps sort and compare status ids as numbers (Ivory assumes they are), so ids must grow with
time; the low bits tell apart statuses of the same millisecond (a counter or random bits,
chosen by whoever stores the row, who retries on the rare collision).
"""

from __future__ import annotations

from datetime import UTC, datetime

LOW_BITS = 16
LOW_MASK = (1 << LOW_BITS) - 1


def snowflake(at: datetime, low: int) -> int:
    """The id of a status published `at` (a naive time is taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    millis = int(at.timestamp() * 1000)
    return (millis << LOW_BITS) | (low & LOW_MASK)


def bounds(at: datetime) -> tuple[int, int]:
    """The first and last id of the millisecond `at`."""
    first = snowflake(at, 0)
    return first, first | LOW_MASK


def time_of(status_id: int) -> datetime:
    """When a status id was minted (to the millisecond)."""
    return datetime.fromtimestamp((status_id >> LOW_BITS) / 1000, tz=UTC)
