"""HTTP dates (IMF-fixdate) and the freshness window for signed requests."""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache

from fedishare.federation.errors import DateOutOfRange, MalformedSignature

# Mastodon's clock-skew margin: a signed date may be this far either side of now.
MAX_CLOCK_SKEW = timedelta(hours=1)

# Fixed English names: strftime's %a and %b follow the process locale.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name: number for number, name in enumerate(_MONTHS, start=1)}
# What every current server sends; matched directly as email.utils takes 3x as long.
_IMF_FIXDATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) ([A-Z][a-z]{2}) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT"
)


def http_date(dt: datetime) -> str:
    """Format an aware datetime as IMF-fixdate, e.g. ``Tue, 02 Jul 2024 10:00:00 GMT``."""
    if dt.utcoffset() is None:
        raise ValueError("http_date needs a timezone-aware datetime")
    u = dt.astimezone(UTC)
    return (
        f"{_DAYS[u.weekday()]}, {u.day:02d} {_MONTHS[u.month - 1]} {u.year:04d} "
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d} GMT"
    )


@lru_cache(maxsize=256)  # requests signed in the same second share their Date
def parse_http_date(value: str) -> datetime:
    """Parse an HTTP date (IMF-fixdate, RFC 850 or asctime) into an aware UTC datetime."""
    fixdate = _IMF_FIXDATE.fullmatch(value)
    if fixdate and fixdate[2] in _MONTH_NUMBER:
        day, month, year, hour, minute, second = fixdate.groups()
        try:
            return datetime(
                int(year),
                _MONTH_NUMBER[month],
                int(day),
                int(hour),
                int(minute),
                int(second),
                tzinfo=UTC,
            )
        except ValueError as exc:
            raise MalformedSignature(f"unreadable Date {value!r}") from exc
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise MalformedSignature(f"unreadable Date {value!r}") from exc
    if dt.tzinfo is None:
        # asctime and "-0000" carry no zone; HTTP dates are always GMT.
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def check_freshness(
    signed_at: datetime,
    now: datetime,
    *,
    expires: datetime | None = None,
    skew: timedelta = MAX_CLOCK_SKEW,
) -> None:
    """Raise DateOutOfRange unless ``signed_at`` is within ``skew`` of ``now`` and not expired."""
    if signed_at > now + skew:
        raise DateOutOfRange("signature date is in the future")
    if signed_at < now - skew:
        raise DateOutOfRange("signature date is too old")
    if expires is not None and now > expires + skew:
        raise DateOutOfRange("signature has expired")
