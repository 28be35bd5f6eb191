"""A listing as a card on the board (and a marker on its map): where it links, how far it is,
how old, its first photo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

from fedishare.core.activitystreams import iso
from fedishare.core.listing import Listing
from fedishare.listings.content import EN_DASH, day
from fedishare.storage.listing_search import Hit
from fedishare.web.photos import photo_src
from fedishare.web.times import age

# The language of the pages' dates until the catalogs offer another.


@dataclass(frozen=True)
class Photo:
    src: str
    alt: str


@dataclass(frozen=True)
class Card:
    listing: Listing
    href: str | None  # our listing's page, or the other server's; None for a non-web id
    host: str  # whose server the listing lives on
    distance: str | None  # "2.4": kilometres from the board's place
    age: str  # "3 days ago"
    published: str  # ISO 8601, for <time datetime>
    dates: str | None  # a stay's first and last day
    photo: Photo | None
    # Other servers' listings are answered from here (ours, from their page).
    answer_href: str | None = None


def listing_href(listing: Listing) -> str | None:
    """Where a listing's title links: our page for ours (a path, so that it works under any
    address the site is reached at), the listing's own URL for other servers'. Not another
    server's followers-only listing: its page there is for signed server requests only, and
    a browser would be told it does not exist (the card shows its text instead)."""
    parts = urlsplit(listing.id)
    if parts.scheme not in ("http", "https"):
        return None
    if not listing.is_local and listing.visibility == "followers":
        return None
    return parts.path if listing.is_local else listing.id


def card(hit: Hit, now: datetime) -> Card:
    listing = hit.listing
    distance = None
    if hit.distance_km is not None:
        km = hit.distance_km
        distance = f"{km:.1f}" if km < 10 else f"{km:.0f}"
    dates = None
    if listing.is_stay and listing.start is not None:
        dates = f"{day(listing.start, now)} {EN_DASH} {day(listing.end, now)}"
    photo = None
    if listing.images:
        first = listing.images[0]
        photo = Photo(photo_src(first, thumbnail=True), first.alt)
    return Card(
        listing=listing,
        href=listing_href(listing),
        host=urlsplit(listing.id).netloc,
        distance=distance,
        age=age(listing.published, now),
        published=iso(listing.published),
        dates=dates,
        photo=photo,
        answer_href=None
        if listing.is_local
        else "/conversations/new?listing=" + quote(listing.id, safe=""),
    )


def marker(item: Card) -> dict[str, object] | None:
    """The map's marker for a card: its coarse position, title and link (None without a
    position)."""
    place = item.listing.place
    if place.latitude is None or place.longitude is None:
        return None
    return {
        "lat": place.latitude,
        "lon": place.longitude,
        "title": item.listing.title,
        "href": item.href,
    }
