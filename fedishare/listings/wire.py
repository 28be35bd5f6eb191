"""A listing as the ActivityStreams Note we publish (see design/listings.md), and back.

A `Note`, so that Mastodon shows it; FEP-0837 terms at the top level, so that marketplace
software reads it; our own terms (`listingKind`, `listingStatus`...) so that peers can filter
without parsing HTML. No `summary`: Mastodon would hide the listing behind a content warning.
`updated` appears only once the listing has changed: Mastodon marks a post carrying it as
edited, and applies an `Update` only when it is newer.

Reading other servers' objects lives in `fedishare.listings.reading`; `listing_from_object`
is re-exported here.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import urlsplit

from fedishare.core.activitystreams import PUBLIC, iso
from fedishare.core.listing import Image, Listing, Reciprocal
from fedishare.core.types import JSON
from fedishare.listings.content import hashtags, render_content, tag_url
from fedishare.listings.reading import listing_from_object
from fedishare.listings.vocabulary import LISTING_CONTEXT

__all__ = ["addressing", "listing_from_object", "to_note"]


def addressing(listing: Listing) -> tuple[list[str], list[str]]:
    """(to, cc): public → Public in `to`; unlisted → Public only in `cc`; followers → no
    Public at all. The author's followers and the community Group are always addressed."""
    followers = f"{listing.author}/followers"
    group = [listing.audience] if listing.audience else []
    if listing.visibility == "public":
        return [PUBLIC], [followers, *group]
    if listing.visibility == "unlisted":
        return [followers, *group], [PUBLIC]
    return [followers, *group], []


def to_note(listing: Listing, base: str) -> JSON:
    """The Note for one of our listings; `base` is our scheme://domain (for tag links)."""
    to, cc = addressing(listing)
    note: JSON = {
        "@context": LISTING_CONTEXT,
        "type": "Note",
        "id": listing.id,
        "url": listing.id,
        "attributedTo": listing.author,
    }
    if listing.audience:
        note["audience"] = listing.audience
    note |= {"to": to, "cc": cc, "published": iso(listing.published)}
    if listing.updated > listing.published:
        note["updated"] = iso(listing.updated)
    if listing.start is not None:
        note["startTime"] = iso(listing.start)
    note |= {
        "endTime": iso(listing.end),
        "expires": iso(listing.expires),
        "name": listing.title,
        "purpose": listing.purpose,
        "listingKind": listing.kind,
        "listingStatus": listing.status,
        "content": render_content(listing, base),
        "listingDescription": listing.description,
        "tag": [
            {"type": "Hashtag", "name": f"#{t}", "href": tag_url(base, t)}
            for t in hashtags(listing)
        ],
        "location": _place(listing),
        "publishes": _primary(listing),
    }
    if listing.reciprocal is not None:
        note["reciprocal"] = _reciprocal(listing.id, listing.reciprocal)
    optional = {
        "maximumAttendeeCapacity": listing.capacity,
        "numberOfTravellers": listing.party_size,
        "flexibleDates": True if listing.flexible else None,
        "houseRules": listing.house_rules or None,
        "returnBy": iso(listing.return_by) if listing.return_by else None,
        "reservedFor": listing.reserved_for,
    }
    note |= {k: v for k, v in optional.items() if v is not None}
    if listing.images:
        note["attachment"] = [_document(image) for image in listing.images[:4]]
    return note


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _quantity_text(x: float) -> str:
    return f"{x:g}"


def _place(listing: Listing) -> JSON:
    place = listing.place
    doc: JSON = {"type": "Place", "name": place.name}
    if place.latitude is not None and place.longitude is not None:
        doc |= {"latitude": place.latitude, "longitude": place.longitude}
    return doc | {"radius": _number(place.radius_km), "units": "km"}


def _primary(listing: Listing) -> JSON:
    """The `publishes` Intent: a thing changes hands (`transfer`), or help or a stay is
    given (`deliverService`, help counted in hours). `availableQuantity` drops to 0 once
    the listing is no longer open."""
    service = listing.kind in ("help", "stay")
    unit = "hour" if listing.kind == "help" else "one"
    amount = listing.hours if listing.kind == "help" else 1.0
    quantity: JSON = {"hasUnit": unit}
    if amount is not None:
        quantity["hasNumericalValue"] = _quantity_text(amount)
    available: JSON = {"hasUnit": unit}
    if listing.status != "open":
        available["hasNumericalValue"] = "0"
    elif amount is not None:
        available["hasNumericalValue"] = _quantity_text(amount)
    return {
        "type": "Intent",
        "id": f"{listing.id}#primary",
        "action": "deliverService" if service else "transfer",
        "resourceQuantity": quantity,
        "availableQuantity": available,
    }


def _reciprocal(listing_id: str, reciprocal: Reciprocal) -> JSON:
    quantity: JSON = {"hasUnit": reciprocal.unit}
    if reciprocal.amount is not None:
        quantity["hasNumericalValue"] = _quantity_text(reciprocal.amount)
    doc: JSON = {"type": "Intent", "id": f"{listing_id}#reciprocal", "action": "transfer"}
    if reciprocal.resource:
        doc["resourceConformsTo"] = reciprocal.resource
    return doc | {"resourceQuantity": quantity}


def _document(image: Image) -> JSON:
    """A photo as Mastodon attaches one: a Document with its alt text as `name`, and the
    size and blurhash that let a reader lay out and preview it before it loads."""
    media_type = image.media_type or mimetypes.guess_type(urlsplit(image.url).path)[0]
    doc: JSON = {"type": "Document"}
    if media_type and media_type.startswith("image/"):
        doc["mediaType"] = media_type
    doc |= {"url": image.url, "name": image.alt}
    optional = {"width": image.width, "height": image.height, "blurhash": image.blurhash}
    return doc | {k: v for k, v in optional.items() if v is not None}
