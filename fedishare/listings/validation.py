"""A member's listing as their app sends it, checked field by field.

Every refusal names the field (`place.latitude: ...`, `images[1].alt: ...`) so that an app
can point at it. The JSON uses the same camelCase names as the listing on the wire:

    {"kind": "give", "title": "Blue bike", "description": "...",
     "place": {"name": "Oakfield", "latitude": 51.501, "longitude": -0.124, "radius": 1},
     "expires": "2026-06-01", "images": [{"url": "https://...", "alt": "..."}]}

Stays add `start`, `end` and `capacity` (a host's offer) or `partySize` and `flexible`
(a traveller's request); lending adds `returnBy`; help adds `hours` and `timeCredits`.
An image may also say its `mediaType`, `width` and `height` and `blurhash` (our uploads do).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from fedishare.core.errors import Invalid
from fedishare.core.listing import (
    FIXED_PURPOSE,
    KINDS,
    MAX_IMAGES,
    PURPOSES,
    VISIBILITIES,
    Image,
    Kind,
    Place,
    Purpose,
    Visibility,
    max_lifetime,
    whole_seconds,
)
from fedishare.core.types import JSON

MAX_TITLE = 120
MAX_PLACE_NAME = 80
MAX_ALT = 1_500  # Mastodon's limit for a media description
MAX_RADIUS_KM = 50.0
MAX_GUESTS = 50
MAX_HOURS = 100.0
MAX_SIDE = 100_000  # pixels along one side of a photo
MAX_BLURHASH = 166  # 9x9 components, the most a blurhash has: 6 + 2 * 80 characters
# The furthest ahead a stay or a return date may be: plans beyond it are more likely a typo
# (2062 for 2026) than a promise a neighbour can keep.
MAX_AHEAD_YEARS = 5
MAX_AHEAD = timedelta(days=365 * MAX_AHEAD_YEARS + 1)

_FIELDS = frozenset(
    {
        "kind", "purpose", "title", "description", "place", "start", "end", "expires",
        "returnBy", "hours", "timeCredits", "capacity", "partySize", "flexible", "houseRules",
        "images", "visibility",
    }
)  # fmt: skip
_PLACE_FIELDS = frozenset({"name", "latitude", "longitude", "radius"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MEDIA_TYPE = re.compile(r"image/[a-z0-9][a-z0-9.+-]{0,60}")
_BASE83 = re.compile(r"[0-9A-Za-z#$%*+,\-.:;=?@\[\]^_{|}~]+")
# A house number next to a street word: "12 High Street", "Hauptstr. 5", "rue de la Paix 3".
_STREET = re.compile(
    r"(\d+\s*[a-z]?\s+\w*\s*(street|st|road|rd|avenue|ave|lane|ln|way|drive|dr|close|"
    r"straße|strasse|str|weg|gasse|platz|rue|via|calle)\b)|"
    r"((street|road|avenue|lane|straße|strasse|str|weg|gasse|rue|via|calle)\.?\s+\d+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Draft:
    """What a member chose for a listing; the service adds id, author and times."""

    purpose: Purpose
    kind: Kind
    title: str
    description: str
    place: Place
    expires: datetime
    end: datetime  # the stay's end, or the expiry
    start: datetime | None
    return_by: datetime | None
    hours: float | None
    time_credits: float | None
    capacity: int | None
    party_size: int | None
    flexible: bool
    house_rules: str
    images: tuple[Image, ...]
    visibility: Visibility


def parse_draft(
    data: Any, *, max_chars: int, now: datetime, published: datetime | None = None
) -> Draft:
    """Check a client's listing JSON; raise `Invalid` naming the first bad field.

    `published` is the listing's first publication when editing (its expiry is counted from
    there, so an edit never makes a listing last longer); `now` for a new one."""
    if not isinstance(data, dict):
        raise Invalid("a listing is a JSON object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise Invalid(f"{unknown[0]}: unknown field")
    now = whole_seconds(now)
    kind = _kind(data.get("kind"))
    purpose = _purpose(data.get("purpose"), kind)
    _only(data, kind == "stay", "start", "end", reason="only stays have dates; use expires")
    _only(data, kind == "lend", "returnBy", reason="only lending has a return date")
    _only(data, kind == "help", "hours", "timeCredits", reason="only help is counted in hours")
    host = kind == "stay" and purpose == "offer"
    traveller = kind == "stay" and purpose == "request"
    _only(data, host, "capacity", "houseRules", reason="only a stay offer has this")
    _only(data, traveller, "partySize", "flexible", reason="only a stay request has this")

    start = end = None
    if kind == "stay":
        start = _when(data, "start", required="required for a stay")
        end = _when(data, "end", required="required for a stay")
        assert start is not None and end is not None
        if end <= start:
            raise Invalid("end: before start")
        if end <= now:
            raise Invalid("end: in the past")
    expires = _expiry(data, kind, end, now=now, published=whole_seconds(published or now))
    return_by = _when(data, "returnBy", required="required to lend" if kind == "lend" else None)
    if return_by is not None and return_by <= now:
        raise Invalid("returnBy: in the past")
    for field, when in (("start", start), ("end", end), ("returnBy", return_by)):
        if when is not None and when > now + MAX_AHEAD:
            raise Invalid(f"{field}: more than {MAX_AHEAD_YEARS} years ahead")

    return Draft(
        purpose=purpose,
        kind=kind,
        title=_title(data.get("title")),
        description=_text(data.get("description"), "description", max_chars),
        place=_place(data.get("place")),
        expires=expires,
        end=end if end is not None else expires,
        start=start,
        return_by=return_by,
        hours=_number(data, "hours", low=0.0, high=MAX_HOURS, open_low=True),
        time_credits=_number(data, "timeCredits", low=0.0, high=MAX_HOURS),
        capacity=_count(data, "capacity", required=host),
        party_size=_count(data, "partySize", required=traveller),
        flexible=_flag(data, "flexible"),
        house_rules=_text(data.get("houseRules"), "houseRules", max_chars),
        images=_images(data.get("images")),
        visibility=_visibility(data.get("visibility"), kind),
    )


def _kind(value: Any) -> Kind:
    if value is None:
        raise Invalid(f"kind: required ({', '.join(KINDS)})")
    if value not in KINDS:
        raise Invalid(f"kind: unknown kind {value!r} ({', '.join(KINDS)})")
    return cast(Kind, value)


def _purpose(value: Any, kind: Kind) -> Purpose:
    fixed = FIXED_PURPOSE.get(kind)
    if value is None:
        if fixed is None:
            raise Invalid(f"purpose: required for {kind} (offer or request)")
        return fixed
    if value not in PURPOSES:
        raise Invalid(f"purpose: unknown purpose {value!r} (offer or request)")
    if fixed is not None and value != fixed:
        raise Invalid(f"purpose: a {kind} listing is always an {fixed}")
    return cast(Purpose, value)


def _only(data: JSON, allowed: bool, *fields: str, reason: str) -> None:
    for field in fields:
        if field in data and data[field] is not None and not allowed:
            raise Invalid(f"{field}: {reason}")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _title(value: Any) -> str:
    if value is None:
        raise Invalid("title: required")
    if not isinstance(value, str):
        raise Invalid("title: must be text")
    title = " ".join(_clean(value).split())
    if not title:
        raise Invalid("title: required")
    if len(title) > MAX_TITLE:
        raise Invalid(f"title: longer than {MAX_TITLE} characters")
    return title


def _text(value: Any, field: str, max_chars: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{field}: must be text")
    text = _clean(value)
    if len(text) > max_chars:
        raise Invalid(f"{field}: longer than {max_chars} characters")
    return text


def _place(value: Any) -> Place:
    if value is None:
        raise Invalid("place: required (a neighbourhood name, optionally with coordinates)")
    if not isinstance(value, dict):
        raise Invalid("place: must be an object with a name")
    unknown = sorted(set(value) - _PLACE_FIELDS)
    if unknown:
        raise Invalid(f"place.{unknown[0]}: unknown field")
    name = value.get("name")
    if not isinstance(name, str) or not " ".join(name.split()):
        raise Invalid("place.name: required (the neighbourhood)")
    name = " ".join(_clean(name).split())
    if len(name) > MAX_PLACE_NAME:
        raise Invalid(f"place.name: longer than {MAX_PLACE_NAME} characters")
    if _STREET.search(name):
        raise Invalid("place.name: give the neighbourhood, never a street address")
    lat = _number(value, "latitude", low=-90.0, high=90.0, prefix="place.")
    lon = _number(value, "longitude", low=-180.0, high=180.0, prefix="place.")
    if (lat is None) != (lon is None):
        missing = "longitude" if lon is None else "latitude"
        raise Invalid(f"place.{missing}: required with the other coordinate")
    radius = _number(value, "radius", low=0.0, high=MAX_RADIUS_KM, open_low=True, prefix="place.")
    return Place(name, lat, lon, 1.0 if radius is None else radius)


def _number(
    data: JSON,
    field: str,
    *,
    low: float,
    high: float,
    open_low: bool = False,
    prefix: str = "",
) -> float | None:
    value = data.get(field)
    if value is None:
        return None
    name = prefix + field
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise Invalid(f"{name}: must be a number")
    if value < low or (open_low and value == low) or value > high:
        span = f"above {low:g} and at most" if open_low else f"from {low:g} to"
        raise Invalid(f"{name}: must be {span} {high:g}")
    return float(value)


def _count(data: JSON, field: str, *, required: bool) -> int | None:
    value = data.get(field)
    if value is None:
        if required:
            raise Invalid(f"{field}: required (how many guests, 1 to {MAX_GUESTS})")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{field}: must be a whole number")
    if not 1 <= value <= MAX_GUESTS:
        raise Invalid(f"{field}: must be from 1 to {MAX_GUESTS}")
    return value


def _flag(data: JSON, field: str) -> bool:
    value = data.get(field, False)
    if not isinstance(value, bool):
        raise Invalid(f"{field}: must be true or false")
    return value


def parse_time(value: str) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime (a date is its midnight, UTC;
    a time without an offset is taken as UTC); None when it is not one."""
    try:
        dt = datetime.fromisoformat(value.strip())
        dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (ValueError, OverflowError):  # overflow: an offset past year 1 or 9999
        return None
    return whole_seconds(dt)


def _when(data: JSON, field: str, *, required: str | None = None) -> datetime | None:
    value = data.get(field)
    if value is None:
        if required:
            raise Invalid(f"{field}: {required}")
        return None
    dt = parse_time(value) if isinstance(value, str) else None
    if dt is None:
        raise Invalid(f"{field}: must be a date (2026-06-01) or date-time (2026-06-01T10:00Z)")
    return dt


def _expiry(
    data: JSON, kind: Kind, stay_end: datetime | None, *, now: datetime, published: datetime
) -> datetime:
    """The default is the longest allowed: 90 days (14 for help) from publication, and a stay
    comes down when it ends. A member may choose sooner, never later."""
    latest = published + max_lifetime(kind)
    if stay_end is not None:
        latest = min(latest, stay_end)
    if latest <= now:
        raise Invalid("expires: the listing has reached its longest lifetime; post a new one")
    chosen = _when(data, "expires")
    if chosen is None:
        return latest
    if chosen <= now:
        raise Invalid("expires: in the past")
    if chosen > latest:
        days = max_lifetime(kind).days
        by_end = stay_end is not None and latest == stay_end
        why = "the stay's end" if by_end else f"{days} days after publication"
        raise Invalid(f"expires: at most {why} ({latest:%Y-%m-%d})")
    return chosen


def _images(value: Any) -> tuple[Image, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Invalid("images: must be a list")
    if len(value) > MAX_IMAGES:
        raise Invalid(f"images: at most {MAX_IMAGES}")
    images = []
    for i, item in enumerate(value):
        where = f"images[{i}]"
        if not isinstance(item, dict):
            raise Invalid(f"{where}: must be an object with url and alt")
        url = item.get("url")
        if not isinstance(url, str) or not _is_web_url(url):
            raise Invalid(f"{where}.url: must be an http(s) URL")
        alt = item.get("alt")
        if not isinstance(alt, str) or not alt.strip():
            raise Invalid(f"{where}.alt: describe the image for people who cannot see it")
        if len(alt) > MAX_ALT:
            raise Invalid(f"{where}.alt: longer than {MAX_ALT} characters")
        images.append(Image(url.strip(), _clean(alt), **_image_facts(item, where)))
    return tuple(images)


def _image_facts(item: JSON, where: str) -> dict[str, Any]:
    """What an image may say of itself: `mediaType`, `width` and `height` (both or
    neither), `blurhash`. Our uploads fill them in; an app may too."""
    media_type = item.get("mediaType")
    if media_type is not None and (
        not isinstance(media_type, str) or not _MEDIA_TYPE.fullmatch(media_type)
    ):
        raise Invalid(f"{where}.mediaType: an image type such as image/jpeg")
    size = []
    for side in ("width", "height"):
        value = item.get(side)
        if value is not None and not is_side(value):
            raise Invalid(f"{where}.{side}: a whole number of pixels, 1 to {MAX_SIDE}")
        size.append(value)
    if (size[0] is None) != (size[1] is None):
        missing = "height" if size[1] is None else "width"
        raise Invalid(f"{where}.{missing}: required with the other side")
    blurhash = item.get("blurhash")
    if blurhash is not None and not is_blurhash(blurhash):
        raise Invalid(f"{where}.blurhash: not a blurhash (https://blurha.sh)")
    return {"media_type": media_type, "width": size[0], "height": size[1], "blurhash": blurhash}


def is_side(value: Any) -> bool:
    """Whether `value` is a photo's width or height in pixels."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SIDE


def is_blurhash(value: Any) -> bool:
    """Whether `value` is blurhash text: base 83, from 6 characters (1x1) to 9x9's."""
    return (
        isinstance(value, str)
        and 6 <= len(value) <= MAX_BLURHASH
        and _BASE83.fullmatch(value) is not None
    )


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def _visibility(value: Any, kind: Kind) -> Visibility:
    if value is None:
        return "unlisted" if kind == "stay" else "public"
    if value not in VISIBILITIES:
        raise Invalid(f"visibility: unknown visibility {value!r} ({', '.join(VISIBILITIES)})")
    return cast(Visibility, value)
