"""The listings JSON API that apps and pages share.

Writing goes through a member's outbox (client-to-server, bearer token):
    {"type": "Create", "object": {"type": "Listing", "kind": "give", "title": ...}}
    {"type": "Update", "object": {"type": "Listing", "id": LISTING, ...the whole listing}}
    {"type": "Update", "object": {"id": LISTING, "listingStatus": "reserved",
                                  "reservedFor": ACTOR}}
        (listingStatus: open | reserved | taken | received | withdrawn)
    {"type": "Delete", "object": LISTING}
Reading is `GET /api/listings` (search across this instance and its peers) and
`GET /api/listings/one?id=LISTING`.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.context import Instance
from fedishare.core.listing import KINDS, PURPOSES, STATUSES, Kind, Listing, Status
from fedishare.core.types import JSON
from fedishare.federation.activities import iso
from fedishare.http.errors import NotFound, Refusal
from fedishare.listings import service
from fedishare.listings.conversations import notify_gone
from fedishare.storage import listings as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.listing_search import MAX_LIMIT, Order, Query, search

LISTING_TYPE = "Listing"
_STATUS_CHANGES = ("open", "reserved", "taken", "received", "withdrawn")


def is_listing_activity(inst: Instance, posted: JSON) -> bool:
    """Whether an outbox POST is about a listing (and so for `post_listing_activity`)."""
    kind = posted.get("type")
    obj = posted.get("object")
    if kind == LISTING_TYPE:
        return True
    if kind in ("Create", "Update") and isinstance(obj, dict):
        return obj.get("type") == LISTING_TYPE or _is_our_listing_id(inst, obj.get("id"))
    if kind == "Delete":
        target = obj.get("id") if isinstance(obj, dict) else obj
        return _is_our_listing_id(inst, target)
    return False


def _is_our_listing_id(inst: Instance, value: object) -> bool:
    return isinstance(value, str) and value.startswith(f"{inst.urls.base}/listings/")


async def post_listing_activity(inst: Instance, member: LocalActor, posted: JSON) -> JSON:
    """Carry out a member's listing activity; return the activity published for it."""
    kind = posted.get("type")
    obj: Any = posted if kind == LISTING_TYPE else posted.get("object")
    if kind in ("Create", LISTING_TYPE):
        change = await service.create_listing(inst, member, _draft(obj))
    elif kind == "Delete":
        target = obj.get("id") if isinstance(obj, dict) else obj
        change = await service.delete_listing(inst, member, str(target))
    else:  # Update
        listing_id = obj.get("id")
        if not _is_our_listing_id(inst, listing_id):
            raise Refusal("object.id: one of this instance's listings")
        if obj.get("type") == LISTING_TYPE:
            change = await service.edit_listing(inst, member, listing_id, _draft(obj))
        else:
            change = await _change_status(inst, member, listing_id, obj)
    return change.activity


def _draft(obj: Any) -> JSON:
    if not isinstance(obj, dict):
        raise Refusal("object: a Listing")
    return {k: v for k, v in obj.items() if k not in ("type", "id")}


async def _change_status(
    inst: Instance, member: LocalActor, listing_id: str, obj: JSON
) -> service.Change:
    status = obj.get("listingStatus")
    if status not in _STATUS_CHANGES:
        raise Refusal("listingStatus: one of " + ", ".join(_STATUS_CHANGES))
    who = obj.get("reservedFor")
    if who is not None and not isinstance(who, str):
        raise Refusal("reservedFor: an actor id (URL)")
    if status == "reserved":
        if who is None:
            raise Refusal("reservedFor: required to reserve a listing")
        return await service.reserve(inst, member, listing_id, who)
    if status == "open":
        return await service.release(inst, member, listing_id)
    if status == "withdrawn":
        change = await service.withdraw(inst, member, listing_id)
    else:
        listing = await store.get(inst.db, listing_id)
        if listing is not None and listing.done_status != status:
            raise Refusal(f"listingStatus: this listing is {listing.done_status} when done")
        change = await service.mark_done(inst, member, listing_id, recipient=who)
    # The others who responded hear that it has gone (once each; a later call catches up
    # with anyone whose server was unreachable).
    await notify_gone(inst, listing_id, except_responder=change.listing.reserved_for)
    return change


# --- reading ---------------------------------------------------------------------------


def listing_summary(listing: Listing, distance_km: float | None = None) -> JSON:
    """A listing as the read API shows it: plain fields, no HTML."""
    place: JSON = {"name": listing.place.name, "radiusKm": listing.place.radius_km}
    if listing.place.has_position:
        place["latitude"] = listing.place.latitude
        place["longitude"] = listing.place.longitude
    out: JSON = {
        "id": listing.id,
        "author": listing.author,
        "local": listing.is_local,
        "purpose": listing.purpose,
        "kind": listing.kind,
        "status": listing.status,
        "title": listing.title,
        "description": listing.description,
        "place": place,
        "published": iso(listing.published),
        "updated": iso(listing.updated),
        "expires": iso(listing.expires),
        "visibility": listing.visibility,
    }
    optional: dict[str, object] = {
        "start": iso(listing.start) if listing.start else None,
        "end": iso(listing.end) if listing.is_stay else None,
        "returnBy": iso(listing.return_by) if listing.return_by else None,
        "hours": listing.hours,
        "timeCredits": listing.time_credits,
        "capacity": listing.capacity,
        "partySize": listing.party_size,
        "flexible": listing.flexible if listing.is_stay else None,
        "houseRules": listing.house_rules or None,
        "reservedFor": listing.reserved_for,
        "images": [{"url": i.url, "alt": i.alt} for i in listing.images] or None,
        "distanceKm": round(distance_km, 2) if distance_km is not None else None,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def parse_query(params: dict[str, str]) -> Query:
    """Query parameters of GET /api/listings, each checked with a clear refusal."""
    known = {
        "purpose", "kind", "status", "q", "lat", "lon", "radius", "from", "to", "party",
        "order", "origin", "limit", "offset",
    }  # fmt: skip
    for key in params:
        if key not in known:
            raise Refusal(f"{key}: unknown parameter (known: {', '.join(sorted(known))})")
    purpose = params.get("purpose")
    if purpose is not None and purpose not in PURPOSES:
        raise Refusal(f"purpose: one of {', '.join(PURPOSES)}")
    kinds = _choices(params, "kind", KINDS)
    statuses = _choices(params, "status", (*STATUSES, "any"))
    near = None
    within = None
    if "lat" in params or "lon" in params:
        lat = _number(params, "lat", -90, 90)
        lon = _number(params, "lon", -180, 180)
        near = (lat, lon)
        within = _number(params, "radius", 0.1, 50) if "radius" in params else 10.0
    elif "radius" in params:
        raise Refusal("radius: needs lat and lon")
    dates = None
    if "from" in params or "to" in params:
        start, end = _date(params, "from"), _date(params, "to")
        if end <= start:
            raise Refusal("to: must be after from")
        dates = (start, end)
    order = params.get("order")
    if order is not None and order not in ("newest", "nearest", "relevance"):
        raise Refusal("order: newest, nearest or relevance")
    if order == "nearest" and near is None:
        raise Refusal("order: nearest needs lat and lon")
    if order == "relevance" and not params.get("q"):
        raise Refusal("order: relevance needs q")
    origin = params.get("origin")
    if origin is not None and origin not in ("local", "remote"):
        raise Refusal("origin: local or remote")
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
            raise Refusal(f"{key}: {v!r} is not one of {', '.join(allowed)}")
    return values


def _number(params: dict[str, str], key: str, low: float, high: float) -> float:
    try:
        value = float(params[key])
    except (KeyError, ValueError):
        raise Refusal(f"{key}: a number from {low:g} to {high:g}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Refusal(f"{key}: a number from {low:g} to {high:g}")
    return value


def _date(params: dict[str, str], key: str) -> datetime:
    text = params.get(key)
    if text is None:
        raise Refusal(f"{key}: required with {'to' if key == 'from' else 'from'}")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Refusal(f"{key}: a date such as 2026-07-01") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def search_listings(request: Request) -> Response:
    inst: Instance = request.state.instance
    params = dict(request.query_params)
    query = parse_query(params)
    hits = await search(inst.db, query)
    items = [listing_summary(h.listing, h.distance_km) for h in hits]
    body: JSON = {"items": items, "next": None}
    if len(hits) == query.limit:
        following = {**params, "offset": str(query.offset + query.limit)}
        body["next"] = str(request.url.include_query_params(**following))
    return JSONResponse(body)


async def one_listing(request: Request) -> Response:
    inst: Instance = request.state.instance
    listing_id = request.query_params.get("id", "")
    listing = await store.get(inst.db, listing_id)
    if listing is None or listing.visibility == "followers":
        raise NotFound("no such listing")
    return JSONResponse(listing_summary(listing))


routes = [
    Route("/api/listings", search_listings),
    Route("/api/listings/one", one_listing),
]
