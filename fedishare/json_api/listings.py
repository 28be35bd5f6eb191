"""The listings JSON API that apps and pages share: reading. Writing goes through a
member's outbox (`fedishare.listings.client_posts`). Reading is `GET /api/listings`
(search across this instance and its peers) and `GET /api/listings/one?id=LISTING`. Anyone
may read; a member's token (`Authorization: Bearer`) adds the followers-only listings they
may see (`fedishare.listings.audience`).
"""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.context import Instance
from fedishare.core.activitystreams import iso
from fedishare.core.errors import NotFound
from fedishare.core.listing import Listing
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.http.auth import optional_member
from fedishare.listings.audience import may_see
from fedishare.listings.search import parse_query
from fedishare.storage import listings as store
from fedishare.storage.listing_search import search


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


async def _viewer(request: Request) -> str | None:
    """Who reads: a member's token (any with `read`) shows them the followers-only listings
    they may see, as the board does for a signed-in member; without one, nobody."""
    member = await optional_member(request, "read")
    return None if member is None else actor_id(request.state.instance.urls, member)


async def search_listings(request: Request) -> Response:
    inst: Instance = request.state.instance
    params = dict(request.query_params)
    query = replace(parse_query(params), viewer=await _viewer(request))
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
    if listing is None or not await may_see(inst.db, await _viewer(request), listing):
        raise NotFound("no such listing")
    return JSONResponse(listing_summary(listing))


routes = [
    Route("/api/listings", search_listings),
    Route("/api/listings/one", one_listing),
]
