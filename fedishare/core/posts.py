"""What the document of a post (a Note, a listing) says about it as a status: who may see
it (Mastodon's reading of the addressing), its hashtags and mentions, whether it has media.
Pure functions of the document, shared by the status index and the client API's entities."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fedishare.core.activitystreams import PUBLIC_FORMS
from fedishare.core.listing import Listing
from fedishare.core.types import JSON

_ADDRESS_KEYS = ("to", "cc", "bto", "bcc")
_WORD = re.compile(r"\w+", re.UNICODE)
_TAG_NAME = re.compile(r"\w[\w\u00b7\u200c]*", re.UNICODE)


def is_hashtag(name: str) -> bool:
    return _TAG_NAME.fullmatch(name) is not None


def _entries(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _addresses(document: JSON, keys: Sequence[str]) -> list[str]:
    found: list[str] = []
    for key in keys:
        for entry in _entries(document.get(key)):
            address = entry.get("id") if isinstance(entry, dict) else entry
            if isinstance(address, str) and address:
                found.append(address)
    return found


def _is_followers(address: str, followers: str | None) -> bool:
    return address == followers or address.endswith("/followers")


def visibility_of(document: JSON, followers: str | None = None) -> str:
    """As Mastodon reads the addressing: Public in `to` is public, in `cc` unlisted; the
    author's followers collection makes it followers-only (private); else direct."""
    to, cc = _addresses(document, ("to",)), _addresses(document, ("cc",))
    if any(a in PUBLIC_FORMS for a in to):
        return "public"
    if any(a in PUBLIC_FORMS for a in cc):
        return "unlisted"
    if any(_is_followers(a, followers) for a in to + cc):
        return "private"
    return "direct"


BOOSTABLE = frozenset({"public", "unlisted"})


def may_boost(visibility: str, author: str, booster: str) -> bool:
    """As Mastodon: anyone may boost a public or unlisted status; a followers-only one only
    its author (the boost reaches the same followers); a direct one nobody. Here, below
    the status index, so that the index itself refuses what no boost may carry."""
    return visibility in BOOSTABLE or (visibility == "private" and author == booster)


def hashtag_names(document: JSON) -> list[str]:
    """The names of the document's Hashtag tags in order, once each, lowercased, without
    '#'; as Mastodon, a name that is no hashtag ("with white space") is left out."""
    tags: dict[str, None] = {}
    for tag in _entries(document.get("tag")):
        if isinstance(tag, dict) and tag.get("type") == "Hashtag":
            name = tag.get("name")
            text = name.strip().lstrip("#") if isinstance(name, str) else ""
            if is_hashtag(text):
                tags[text.lower()] = None
    return list(tags)


def hashtags_of(document: JSON) -> set[str]:
    return set(hashtag_names(document))


def mentions_in(document: JSON, followers: str | None = None) -> set[str]:
    """Actors a document mentions (its Mention tags) or addresses by name (not Public, not
    a followers collection): who may see it when it is direct."""
    found = {
        tag["href"]
        for tag in _entries(document.get("tag"))
        if isinstance(tag, dict)
        and tag.get("type") == "Mention"
        and isinstance(tag.get("href"), str)
    }
    for address in _addresses(document, _ADDRESS_KEYS):
        if address not in PUBLIC_FORMS and not _is_followers(address, followers):
            found.add(address)
    return found


def has_media(document: JSON) -> bool:
    return bool(_entries(document.get("attachment")))


def listing_tags(listing: Listing, document: JSON) -> set[str]:
    """A listing's hashtags as `fedishare.listings.content.hashtags` makes them (purpose,
    `stay`, the place's name run together), and any its document carries."""
    tags = {listing.purpose} | hashtags_of(document)
    if listing.is_stay:
        tags.add("stay")
    place = "".join(_WORD.findall(listing.place.name)).lower()
    if place:
        tags.add(place)
    return tags
