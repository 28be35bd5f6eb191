"""Search parameters as apps, pages and the command line give them (text), checked and read
into a storage query; each refusal names the parameter."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any, cast

from fedishare.core.errors import Invalid
from fedishare.core.listing import KINDS, PURPOSES, STATUSES, Kind, Status
from fedishare.storage.listing_search import MAX_LIMIT, Order, Query, fts_query

ANY_DISTANCE = "any"  # radius=any: lat and lon give distances, and no limit
DEFAULT_RADIUS_KM = 10.0  # with lat and lon but no radius
_TAG = re.compile(r"\w{1,100}")


def parse_query(params: dict[str, str]) -> Query:
    """Query parameters of GET /api/listings (and of the board's pages), each checked with a
    clear refusal."""
    known = {
        "purpose", "kind", "status", "q", "lat", "lon", "radius", "from", "to", "party",
        "order", "origin", "limit", "offset", "tag",
    }  # fmt: skip
    for key in params:
        if key not in known:
            raise Invalid(f"{key}: unknown parameter (known: {', '.join(sorted(known))})")
    purpose = params.get("purpose")
    if purpose is not None and purpose not in PURPOSES:
        raise Invalid(f"purpose: one of {', '.join(PURPOSES)}")
    kinds = _choices(params, "kind", KINDS)
    statuses = _choices(params, "status", (*STATUSES, "any"))
    near = None
    within = None
    radius = params.get("radius")
    if "lat" in params or "lon" in params:
        lat = _number(params, "lat", -90, 90)
        lon = _number(params, "lon", -180, 180)
        near = (lat, lon)
        if radius != ANY_DISTANCE:
            within = _number(params, "radius", 0.1, 50) if radius is not None else DEFAULT_RADIUS_KM
    elif radius is not None and radius != ANY_DISTANCE:
        raise Invalid("radius: needs lat and lon")
    dates = None
    if "from" in params or "to" in params:
        start, end = _date(params, "from"), _date(params, "to")
        if end <= start:
            raise Invalid("to: must be after from")
        dates = (start, end)
    order = params.get("order")
    if order is not None and order not in ("newest", "nearest", "relevance"):
        raise Invalid("order: newest, nearest or relevance")
    if order == "nearest" and near is None:
        raise Invalid("order: nearest needs lat and lon")
    if order == "relevance" and not fts_query(params.get("q", "")):  # words, not just marks
        raise Invalid("order: relevance needs q")
    origin = params.get("origin")
    if origin is not None and origin not in ("local", "remote"):
        raise Invalid("origin: local or remote")
    tag = params.get("tag")
    if tag is not None:
        tag = tag.removeprefix("#")
        if not _TAG.fullmatch(tag):
            raise Invalid("tag: a hashtag of letters, digits and _ (at most 100)")
    return Query(
        purpose=purpose,
        kinds=cast(tuple[Kind, ...], kinds),
        statuses=() if "any" in statuses else cast(tuple[Status, ...], statuses or ("open",)),
        words=params.get("q", "")[:200],
        near=near,
        within_km=within,
        dates=dates,
        party_size=int(_number(params, "party", 1, 50)) if "party" in params else None,
        origin=cast(Any, origin),
        tag=tag,
        order=cast(Order | None, order),
        limit=int(_number(params, "limit", 1, MAX_LIMIT)) if "limit" in params else 20,
        offset=int(_number(params, "offset", 0, 100_000)) if "offset" in params else 0,
    )


def _choices(params: dict[str, str], key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if key not in params:
        return ()
    values = tuple(v.strip() for v in params[key].split(",") if v.strip())
    for v in values:
        if v not in allowed:
            raise Invalid(f"{key}: {v!r} is not one of {', '.join(allowed)}")
    return values


def _number(params: dict[str, str], key: str, low: float, high: float) -> float:
    try:
        value = float(params[key])
    except (KeyError, ValueError):
        raise Invalid(f"{key}: a number from {low:g} to {high:g}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Invalid(f"{key}: a number from {low:g} to {high:g}")
    return value


def _date(params: dict[str, str], key: str) -> datetime:
    text = params.get(key)
    if text is None:
        raise Invalid(f"{key}: required with {'to' if key == 'from' else 'from'}")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{key}: a date such as 2026-07-01") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
