"""Listings that other servers publish, read into our `Listing` where their fields allow.

Understood: our own Notes (`listingKind`...), FEP-0837 `Proposal`s and Notes with `purpose`
and `publishes` (Mitra, Epicyon), Bonfire's `ValueFlows:`-prefixed Proposals and Intents, and
Flohmarkt Notes carrying `flohmarkt:data`. Anything else gives None (it stays an ordinary
post). HTML is always cleaned with nh3 before its text is taken.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

from fedishare.listings.model import (
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
from fedishare.listings.sanitize import clean_html, html_to_text
from fedishare.listings.validation import parse_time
from fedishare.types import JSON
from fedishare.urls import PUBLIC

MAX_TITLE = 200
MAX_TEXT = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PUBLIC = (PUBLIC, "as:Public", "Public")
_VF_PREFIXES = ("ValueFlows:", "vf:", "https://w3id.org/valueflows/ont/vf#",
                "https://w3id.org/valueflows#")  # fmt: skip


def listing_from_object(doc: Any, *, now: datetime | None = None) -> Listing | None:
    """The listing `doc` describes, or None when it is not one we can read. `now` stands in
    for a missing `published` (without either, the object is not read)."""
    if not isinstance(doc, dict):
        return None
    types = {_plain_type(t) for t in _list(doc.get("type")) if isinstance(t, str)}
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
    purpose = FIXED_PURPOSE.get(kind) or _purpose(doc.get("purpose"))
    if purpose is None:
        return None
    intent = _first_dict(doc.get("publishes")) or {}
    hours = None
    if kind == "help":
        hours = _amount(_dict(intent.get("resourceQuantity")))
    description = doc.get("listingDescription")
    text = _plain(description) if isinstance(description, str) else None
    status = doc.get("listingStatus")
    return _listing(
        doc,
        now,
        kind=kind,
        purpose=purpose,
        status=cast(Status, status) if status in STATUSES else "open",
        description=text,
        hours=hours,
        capacity=_positive_int(doc.get("maximumAttendeeCapacity")),
        party_size=_positive_int(doc.get("numberOfTravellers")),
        flexible=doc.get("flexibleDates") is True,
        house_rules=_plain(doc.get("houseRules")),
        return_by=_time(doc.get("returnBy")),
        reserved_for=_ref(doc.get("reservedFor")),
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
    kind = _plain_type(doc.get("type"))
    intent = _primary_intent(doc) if kind == "Proposal" else doc
    if intent is None:
        return None
    purpose = (
        _purpose(doc.get("purpose"))
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
    for item in _list(doc.get("publishes")):
        if not isinstance(item, dict):
            continue
        if _plain_type(item.get("type")) == "ProposedIntent":
            inner = _dict(item.get("publishes"))
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
    price = _amount({"hasNumericalValue": data.get("price")})
    reciprocal = Reciprocal("one", price) if price else None
    coords = _dict(data.get("coordinates")) or {}
    place = _coordinates(str(data.get("location") or ""), coords.get("lat"), coords.get("lng"))
    return _listing(
        doc,
        now,
        kind="give",
        purpose="offer",
        status="open",
        title=_line(data.get("name")),
        description=_plain(data.get("description")) if "description" in data else None,
        place=place,
        reciprocal=reciprocal,
    )


def _from_intent(doc: JSON, now: datetime | None, purpose: Purpose, intent: JSON) -> Listing | None:
    quantity = _dict(intent.get("resourceQuantity")) or _dict(intent.get("availableQuantity"))
    unit = _unit(quantity)
    kind: Kind
    if intent.get("action") in ("deliverService", "work") or unit == "hour":
        kind = "help"
    else:
        kind = "give" if purpose == "offer" else "wanted"
    available = _dict(intent.get("availableQuantity"))
    done = available is not None and _amount(available) == 0 and "hasNumericalValue" in available
    return _listing(
        doc,
        now,
        kind=kind,
        purpose=purpose,
        status=("taken" if purpose == "offer" else "received") if done else "open",
        hours=_amount(quantity) if kind == "help" and unit == "hour" else None,
        title=_line(doc.get("name")) or _line(intent.get("name")),
        description=_text(doc.get("summary")) if "content" not in doc else None,
        place=_place(
            doc.get("location") or doc.get("eligibleLocation") or intent.get("atLocation")
        ),
        expires=_time(doc.get("endTime") or doc.get("hasEnd") or intent.get("due")),
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
    **fields: Any,
) -> Listing | None:
    object_id = doc.get("id")
    author = _ref(doc.get("attributedTo")) or _ref(doc.get("actor"))
    if not _is_url(object_id) or not _is_url(author):
        return None
    published = _time(doc.get("published")) or now
    if published is None:
        return None
    updated = max(_time(doc.get("updated")) or published, published)
    text = description
    if text is None:
        content = doc.get("content")
        text = html_to_text(content)[:MAX_TEXT] if isinstance(content, str) else ""
    title = title or _line(doc.get("name")) or _line(text.split("\n", 1)[0])
    if not title:
        return None
    start = _time(doc.get("startTime")) if kind == "stay" else None
    stay_end = _time(doc.get("endTime")) if kind == "stay" else None
    stated = _time(doc.get("expires")) or expires
    if stated is None and kind != "stay":
        stated = _time(doc.get("endTime"))
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
        audience=_ref(doc.get("audience")),
        **fields,
    )


def _visibility(doc: JSON) -> Visibility:
    if any(a in _PUBLIC for a in _list(doc.get("to"))):
        return "public"
    if any(a in _PUBLIC for a in _list(doc.get("cc"))):
        return "unlisted"
    return "followers"


def _place(value: Any) -> Place | None:
    place = _first_dict(value)
    if place is None:
        return None
    radius: Any = place.get("radius")
    km = _radius_km(float(radius), place.get("units")) if _is_number(radius) else None
    return _coordinates(_line(place.get("name")), place.get("latitude"),
                        place.get("longitude"), km)  # fmt: skip


def _coordinates(name: str, lat: Any, lon: Any, radius_km: float | None = None) -> Place:
    lat_ok = _is_number(lat) and -90 <= lat <= 90
    lon_ok = _is_number(lon) and -180 <= lon <= 180
    if lat_ok and lon_ok:
        return Place(name[:80], float(lat), float(lon), radius_km or 1.0)
    return Place(name[:80], radius_km=radius_km or 1.0)


def _radius_km(radius: float, units: Any) -> float | None:
    factor = {"km": 1.0, "m": 0.001, "cm": 0.00001, "miles": 1.609344, "feet": 0.0003048,
              "inches": 0.0000254, None: 0.001}.get(units)  # fmt: skip
    if factor is None or radius <= 0:
        return None
    return min(radius * factor, 50.0)


def _reciprocal(value: Any) -> Reciprocal | None:
    intent = _first_dict(value)
    if intent is None:
        return None
    quantity = _dict(intent.get("resourceQuantity"))
    resource = intent.get("resourceConformsTo")
    return Reciprocal(
        unit=_unit(quantity) or "one",
        amount=_amount(quantity),
        resource=resource if isinstance(resource, str) else None,
    )


def _images(value: Any) -> tuple[Image, ...]:
    images = []
    for item in _list(value):
        if not isinstance(item, dict) or item.get("type") not in ("Document", "Image"):
            continue
        media_type = item.get("mediaType")
        if isinstance(media_type, str) and not media_type.startswith("image/"):
            continue
        url = item.get("url")
        href = url if isinstance(url, str) else _ref(_first_dict(url) or url, key="href")
        if not _is_url(href):
            continue
        alt = item.get("name")
        images.append(
            Image(
                cast(str, href),
                _plain(alt)[:1500],
                media_type if isinstance(media_type, str) else None,
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
    return isinstance(raw, str) and raw.startswith(_VF_PREFIXES) and _plain_type(raw) in (
        "Proposal", "Intent", "Offer", "Need")  # fmt: skip


# --- small readers ------------------------------------------------------------------------


def _plain_type(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    for prefix in _VF_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _dict(value: Any) -> JSON | None:
    return value if isinstance(value, dict) else None


def _first_dict(value: Any) -> JSON | None:
    return next((v for v in _list(value) if isinstance(v, dict)), None)


def _ref(value: Any, key: str = "id") -> str | None:
    for item in _list(value):
        if isinstance(item, str):
            return item
        if isinstance(item, dict) and isinstance(item.get(key), str):
            return cast(str, item[key])
    return None


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _purpose(value: Any) -> Purpose | None:
    return cast(Purpose, value) if value in ("offer", "request") else None


def _time(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, str) else None


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return min(value, 1000)


def _unit(quantity: JSON | None) -> str | None:
    unit = quantity.get("hasUnit") if quantity else None
    if isinstance(unit, dict):  # Bonfire: {label, symbol}
        unit = unit.get("label") or unit.get("symbol")
    return unit if isinstance(unit, str) else None


def _amount(quantity: JSON | None) -> float | None:
    value: Any = quantity.get("hasNumericalValue") if quantity else None
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "."))
        except ValueError:
            return None
    if not _is_number(value) or not 0 <= value < float("inf"):
        return None
    return float(value)


def _text(value: Any) -> str:
    """Plain text from a field that may hold HTML (cleaned first) or plain text."""
    if not isinstance(value, str):
        return ""
    return html_to_text(value)[:MAX_TEXT] if "<" in value else _plain(value)


def _plain(value: Any) -> str:
    """A field that is plain text by definition: kept as text, never parsed as HTML."""
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value.replace("\r\n", "\n")).strip()[:MAX_TEXT]


def _line(value: Any) -> str:
    text = " ".join(_plain(value).split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"
