"""Listings that other servers publish, read into our `Listing` where their fields allow.

Understood: our own Notes (`listingKind`...), FEP-0837 `Proposal`s and Notes with `purpose`
and `publishes` (Mitra, Epicyon), Bonfire's `ValueFlows:`-prefixed Proposals and Intents, and
Flohmarkt Notes carrying `flohmarkt:data`. Anything else gives None (it stays an ordinary
post). HTML is always cleaned with nh3 before its text is taken.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from fedishare.core.activitystreams import PUBLIC
from fedishare.core.listing import (
    FIXED_PURPOSE,
    KINDS,
    MAX_IMAGES,
    STATUSES,
    Image,
    Kind,
    Listing,
    Place,
    Purpose,
    Reciprocal,
    Status,
    Visibility,
    max_lifetime,
)
from fedishare.core.types import JSON
from fedishare.listings import fields
from fedishare.listings.sanitize import clean_html, html_to_text

_PUBLIC = (PUBLIC, "as:Public", "Public")


def listing_from_object(doc: Any, *, now: datetime | None = None) -> Listing | None:
    """The listing `doc` describes, or None when it is not one we can read. `now` stands in
    for a missing `published` (without either, the object is not read)."""
    if not isinstance(doc, dict):
        return None
    types = {fields.plain_type(t) for t in fields.as_list(doc.get("type")) if isinstance(t, str)}
    if "Note" in types and isinstance(doc.get("flohmarkt:data"), dict):
        return _flohmarkt(doc, now)
    if "Note" in types and doc.get("listingKind") in KINDS:
        return _ours(doc, now)
    if types & {"Note", "Proposal"} and doc.get("purpose") in ("offer", "request"):
        return _proposal(doc, now)
    if _is_bonfire(doc):
        return _bonfire(doc, now)
    return None


def clean_document(doc: JSON) -> JSON:
    """A copy of `doc` fit to store and serve again: its HTML cleaned."""
    out = dict(doc)
    for key in ("content", "summary"):
        if isinstance(out.get(key), str):
            out[key] = clean_html(out[key])
    if isinstance(out.get("contentMap"), dict):
        out["contentMap"] = {
            k: clean_html(v) for k, v in out["contentMap"].items() if isinstance(v, str)
        }
    return out


# --- the four shapes ----------------------------------------------------------------------


def _ours(doc: JSON, now: datetime | None) -> Listing | None:
    kind = cast(Kind, doc["listingKind"])
    purpose = FIXED_PURPOSE.get(kind) or fields.purpose(doc.get("purpose"))
    if purpose is None:
        return None
    intent = fields.first_dict(doc.get("publishes")) or {}
    hours = None
    if kind == "help":
        hours = fields.amount(fields.as_dict(intent.get("resourceQuantity")))
    description = doc.get("listingDescription")
    text = fields.plain(description) if isinstance(description, str) else None
    status = doc.get("listingStatus")
    return _listing(
        doc,
        now,
        kind=kind,
        purpose=purpose,
        status=cast(Status, status) if status in STATUSES else "open",
        description=text,
        hours=hours,
        capacity=fields.positive_int(doc.get("maximumAttendeeCapacity")),
        party_size=fields.positive_int(doc.get("numberOfTravellers")),
        flexible=doc.get("flexibleDates") is True,
        house_rules=fields.plain(doc.get("houseRules")),
        return_by=fields.time(doc.get("returnBy")),
        reserved_for=fields.ref(doc.get("reservedFor")),
    )


def _proposal(doc: JSON, now: datetime | None) -> Listing | None:
    """FEP-0837: `purpose`, a `publishes` Intent (`transfer` or `deliverService`)."""
    intent = _primary_intent(doc)
    if intent is None:
        return None
    return _from_intent(doc, now, cast(Purpose, doc["purpose"]), intent)


def _bonfire(doc: JSON, now: datetime | None) -> Listing | None:
    """Bonfire: `ValueFlows:Proposal` publishing `ValueFlows:ProposedIntent`s that wrap the
    Intents, or a bare `ValueFlows:Intent` (also typed `Offer` or `Need`). Whether it offers
    or asks comes from `purpose`, the type, or which of provider and receiver is set."""
    kind = fields.plain_type(doc.get("type"))
    intent = _primary_intent(doc) if kind == "Proposal" else doc
    if intent is None:
        return None
    purpose = (
        fields.purpose(doc.get("purpose"))
        or {"Offer": "offer", "Need": "request"}.get(kind)
        or _intent_purpose(intent)
    )
    if purpose is None:
        return None
    return _from_intent(doc, now, cast(Purpose, purpose), intent)


def _primary_intent(doc: JSON) -> JSON | None:
    """The primary Intent of a Proposal: `publishes` itself, or (Bonfire) the first
    non-reciprocal `ProposedIntent`'s `publishes`."""
    candidates = []
    for item in fields.as_list(doc.get("publishes")):
        if not isinstance(item, dict):
            continue
        if fields.plain_type(item.get("type")) == "ProposedIntent":
            inner = fields.as_dict(item.get("publishes"))
            if inner is not None:
                candidates.append((bool(item.get("reciprocal")), inner))
        else:
            candidates.append((False, item))
    primary = [intent for reciprocal, intent in candidates if not reciprocal]
    return next(iter(primary or [intent for _, intent in candidates]), None)


def _flohmarkt(doc: JSON, now: datetime | None) -> Listing | None:
    """Flohmarkt: a plain Note whose `flohmarkt:data` holds name, description, price and
    the instance's coordinates ({lat, lng}). Sold things are offers with a price asked."""
    data = cast(JSON, doc["flohmarkt:data"])
    price = fields.amount({"hasNumericalValue": data.get("price")})
    reciprocal = Reciprocal("one", price) if price else None
    coords = fields.as_dict(data.get("coordinates")) or {}
    place = _coordinates(str(data.get("location") or ""), coords.get("lat"), coords.get("lng"))
    return _listing(
        doc,
        now,
        kind="give",
        purpose="offer",
        status="open",
        title=fields.line(data.get("name")),
        description=fields.plain(data.get("description")) if "description" in data else None,
        place=place,
        reciprocal=reciprocal,
    )


def _from_intent(doc: JSON, now: datetime | None, purpose: Purpose, intent: JSON) -> Listing | None:
    quantity = fields.as_dict(intent.get("resourceQuantity")) or fields.as_dict(
        intent.get("availableQuantity")
    )
    unit = fields.unit(quantity)
    kind: Kind
    if intent.get("action") in ("deliverService", "work") or unit == "hour":
        kind = "help"
    else:
        kind = "give" if purpose == "offer" else "wanted"
    available = fields.as_dict(intent.get("availableQuantity"))
    done = (
        available is not None and fields.amount(available) == 0 and "hasNumericalValue" in available
    )
    return _listing(
        doc,
        now,
        kind=kind,
        purpose=purpose,
        status=("taken" if purpose == "offer" else "received") if done else "open",
        hours=fields.amount(quantity) if kind == "help" and unit == "hour" else None,
        title=fields.line(doc.get("name")) or fields.line(intent.get("name")),
        description=fields.text(doc.get("summary")) if "content" not in doc else None,
        place=_place(
            doc.get("location") or doc.get("eligibleLocation") or intent.get("atLocation")
        ),
        expires=fields.time(doc.get("endTime") or doc.get("hasEnd") or intent.get("due")),
    )


# --- the common part ----------------------------------------------------------------------


def _listing(
    doc: JSON,
    now: datetime | None,
    *,
    kind: Kind,
    purpose: Purpose,
    status: Status,
    title: str | None = None,
    description: str | None = None,
    place: Place | None = None,
    expires: datetime | None = None,
    reciprocal: Reciprocal | None = None,
    **extra: Any,
) -> Listing | None:
    object_id = doc.get("id")
    author = fields.ref(doc.get("attributedTo")) or fields.ref(doc.get("actor"))
    if not fields.is_url(object_id) or not fields.is_url(author):
        return None
    published = fields.time(doc.get("published")) or now
    if published is None:
        return None
    updated = max(fields.time(doc.get("updated")) or published, published)
    text = description
    if text is None:
        content = doc.get("content")
        text = html_to_text(content)[: fields.MAX_TEXT] if isinstance(content, str) else ""
    title = title or fields.line(doc.get("name")) or fields.line(text.split("\n", 1)[0])
    if not title:
        return None
    start = fields.time(doc.get("startTime")) if kind == "stay" else None
    stay_end = fields.time(doc.get("endTime")) if kind == "stay" else None
    stated = fields.time(doc.get("expires")) or expires
    if stated is None and kind != "stay":
        stated = fields.time(doc.get("endTime"))
    latest = updated + max_lifetime(kind)
    if stay_end is not None:
        latest = min(latest, stay_end)
    expiry = min(stated, latest) if stated is not None else latest
    return Listing(
        id=cast(str, object_id),
        author=cast(str, author),
        origin="remote",
        purpose=purpose,
        kind=kind,
        status=status,
        title=title,
        description=text,
        place=place or _place(doc.get("location")) or Place(""),
        published=published,
        updated=updated,
        expires=expiry,
        end=stay_end or expiry,
        start=start,
        reciprocal=reciprocal or _reciprocal(doc.get("reciprocal")),
        images=_images(doc.get("attachment")),
        visibility=_visibility(doc),
        audience=fields.ref(doc.get("audience")),
        **extra,
    )


def _visibility(doc: JSON) -> Visibility:
    if any(a in _PUBLIC for a in fields.as_list(doc.get("to"))):
        return "public"
    if any(a in _PUBLIC for a in fields.as_list(doc.get("cc"))):
        return "unlisted"
    return "followers"


def _place(value: Any) -> Place | None:
    place = fields.first_dict(value)
    if place is None:
        return None
    radius: Any = place.get("radius")
    km = _radius_km(float(radius), place.get("units")) if fields.is_number(radius) else None
    return _coordinates(
        fields.line(place.get("name")), place.get("latitude"), place.get("longitude"), km
    )


def _coordinates(name: str, lat: Any, lon: Any, radius_km: float | None = None) -> Place:
    lat_ok = fields.is_number(lat) and -90 <= lat <= 90
    lon_ok = fields.is_number(lon) and -180 <= lon <= 180
    if lat_ok and lon_ok:
        return Place(name[:80], float(lat), float(lon), radius_km or 1.0)
    return Place(name[:80], radius_km=radius_km or 1.0)


def _radius_km(radius: float, units: Any) -> float | None:
    factor = {
        "km": 1.0,
        "m": 0.001,
        "cm": 0.00001,
        "miles": 1.609344,
        "feet": 0.0003048,
        "inches": 0.0000254,
        None: 0.001,
    }.get(units)
    if factor is None or radius <= 0:
        return None
    return min(radius * factor, 50.0)


def _reciprocal(value: Any) -> Reciprocal | None:
    intent = fields.first_dict(value)
    if intent is None:
        return None
    quantity = fields.as_dict(intent.get("resourceQuantity"))
    resource = intent.get("resourceConformsTo")
    return Reciprocal(
        unit=fields.unit(quantity) or "one",
        amount=fields.amount(quantity),
        resource=resource if isinstance(resource, str) else None,
    )


def _images(value: Any) -> tuple[Image, ...]:
    images = []
    for item in fields.as_list(value):
        if not isinstance(item, dict) or item.get("type") not in ("Document", "Image"):
            continue
        media_type = item.get("mediaType")
        if isinstance(media_type, str) and not media_type.startswith("image/"):
            continue
        url = item.get("url")
        href = (
            url if isinstance(url, str) else fields.ref(fields.first_dict(url) or url, key="href")
        )
        if not fields.is_url(href):
            continue
        alt = item.get("name")
        width, height = fields.dimension(item.get("width")), fields.dimension(item.get("height"))
        if width is None or height is None:  # a size is both, or it lays nothing out
            width = height = None
        images.append(
            Image(
                cast(str, href),
                fields.plain(alt)[:1500],
                media_type if isinstance(media_type, str) else None,
                width=width,
                height=height,
                blurhash=fields.blurhash(item.get("blurhash")),
            )
        )
    return tuple(images[:MAX_IMAGES])


def _intent_purpose(intent: JSON) -> Purpose | None:
    if intent.get("provider") and not intent.get("receiver"):
        return "offer"
    if intent.get("receiver") and not intent.get("provider"):
        return "request"
    return None


def _is_bonfire(doc: JSON) -> bool:
    raw = doc.get("type")
    return (
        isinstance(raw, str)
        and raw.startswith(fields.VF_PREFIXES)
        and fields.plain_type(raw) in ("Proposal", "Intent", "Offer", "Need")
    )
