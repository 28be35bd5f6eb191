"""Listings from a status: what a member types in a Mastodon app, read as a listing.

    #offer Blue bike            -> an offer to give; title "Blue bike"
    Rides fine, a bit rusty.       the rest is the description
    #offer #lend Drill back by 2027-06-20     -> an offer to lend, to come back then
    #request Ladder             -> a request (wanted); #help asks for help instead
    #stay Spare room 2027-06-01 to 2027-06-20 for 2   -> a host's stay for two guests
    #request #stay Room 2027-06-01 to 2027-06-03 for 3 -> travellers looking for a host

The first word decides (#offer, #request or #stay); the tags right after it (#lend, #help,
#wanted, #stay) refine the kind. The place is the member's default neighbourhood, the
photos the status's media. What the listing rules refuse comes back as a 422 whose reason
says what to write.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from fedishare.accounts.profiles import default_place
from fedishare.context import Instance
from fedishare.core.errors import Unprocessable
from fedishare.core.listing import Listing
from fedishare.core.types import JSON
from fedishare.media.uploads import image_of
from fedishare.storage.actors import LocalActor
from fedishare.storage.media import Media

FIRST_WORDS = frozenset({"offer", "request", "stay"})
REFINING = frozenset({"lend", "help", "wanted", "stay"})
_LEADING_TAG = re.compile(r"#(\w+)\s*")
DATES = re.compile(r"\b(\d{4}-\d{2}-\d{2})\s*(?:to|until|\u2013|-)\s*(\d{4}-\d{2}-\d{2})\b")
GUESTS = re.compile(r"\bfor\s+(\d{1,3})\b", re.IGNORECASE)
BACK_BY = re.compile(r"\b(?:back|return(?:ed)?)\s+by\s+(\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)
# A status's visibility as a listing's; a direct message is never a listing.
VISIBILITY = {"public": "public", "unlisted": "unlisted", "private": "followers"}
STATUS_VISIBILITY = {v: k for k, v in VISIBILITY.items()}


def first_tag(text: str) -> str | None:
    m = _LEADING_TAG.match(text.lstrip())
    return m.group(1).lower() if m else None


def is_listing_text(text: str) -> bool:
    """Whether a status is a listing: its first word is #offer, #request or #stay."""
    return first_tag(text) in FIRST_WORDS


def _leading_tags(line: str) -> tuple[list[str], str]:
    """The listing tags a first line starts with, and the rest of it (the title)."""
    tags: list[str] = []
    rest = line.strip()
    while (m := _LEADING_TAG.match(rest)) and m.group(1).lower() in FIRST_WORDS | REFINING:
        tags.append(m.group(1).lower())
        rest = rest[m.end() :]
    return tags, rest.strip()


def _purpose_and_kind(tags: list[str]) -> tuple[str, str]:
    first, refining = tags[0], [t for t in tags[1:] if t in REFINING]
    purpose = "request" if first == "request" else "offer"
    if first == "stay":
        refining = ["stay", *refining]
        if "request" in tags[1:]:
            purpose = "request"
    kinds = list(dict.fromkeys(refining))
    if len(kinds) > 1:
        raise Unprocessable("a listing has one kind: use only one of #lend, #help, #wanted, #stay")
    kind = kinds[0] if kinds else ("give" if purpose == "offer" else "wanted")
    if kind == "lend" and purpose != "offer":
        raise Unprocessable("#lend is an offer: start with #offer #lend")
    if kind == "wanted" and purpose != "request":
        raise Unprocessable("#wanted is a request: start with #request")
    return purpose, kind


def listing_data(
    inst: Instance, member: LocalActor, text: str, media: Sequence[Media], visibility: str
) -> JSON:
    """The listing (as `fedishare.listings.service` takes it) that `text` describes; raise
    Unprocessable with a readable reason when something it needs is missing."""
    first, _, rest = text.strip().partition("\n")
    tags, title = _leading_tags(first)
    if not tags or tags[0] not in FIRST_WORDS:
        raise Unprocessable("a listing starts with #offer, #request or #stay")
    purpose, kind = _purpose_and_kind(tags)
    if not title:
        raise Unprocessable(f"a listing needs a title: write it after #{tags[0]}")
    if visibility not in VISIBILITY:
        raise Unprocessable("a listing cannot be a direct message: make it public or private")
    place = default_place(member)
    if place is None:
        raise Unprocessable(
            "set your neighbourhood first (your profile on the web board), "
            "so that your listings say where they are"
        )
    data: JSON = {
        "purpose": purpose,
        "kind": kind,
        "title": title,
        "description": rest.strip(),
        "place": {"name": place.name}
        | (
            {"latitude": place.latitude, "longitude": place.longitude} if place.has_position else {}
        ),
        "visibility": VISIBILITY[visibility],
        "images": [_image(inst, m, title) for m in media],
    }
    if kind == "stay":
        data |= _stay(text, purpose)
    if kind == "lend":
        back = BACK_BY.search(text)
        if back is None:
            raise Unprocessable("a #lend needs its return date, as back by 2027-06-20")
        data["returnBy"] = back.group(1)
    return data


def _stay(text: str, purpose: str) -> JSON:
    dates = DATES.search(text)
    if dates is None:
        raise Unprocessable("a #stay needs its dates, as 2027-06-01 to 2027-06-20")
    guests = GUESTS.search(text)
    if guests is None:
        what = "guests you can host" if purpose == "offer" else "of you travel"
        raise Unprocessable(f"a #stay needs how many {what}, as for 2")
    count = int(guests.group(1))
    return {
        "start": dates.group(1),
        "end": dates.group(2),
        "capacity" if purpose == "offer" else "partySize": count,
    }


def _image(inst: Instance, media: Media, title: str) -> JSON:
    # A listing's photo must be described; an app that sent none gets the title as alt text.
    image = image_of(inst, media, media.alt.strip() or f"Photo: {title}")
    return {
        "url": image.url,
        "alt": image.alt,
        "mediaType": image.media_type,
        "width": image.width,
        "height": image.height,
        "blurhash": image.blurhash,
    }


def _day(dt: datetime) -> str:
    return f"{dt:%Y-%m-%d}"


def source_text(listing: Listing) -> str:
    """The text that would make `listing` again (the status's source, for editing)."""
    if listing.kind == "stay":
        tags = "#stay" if listing.purpose == "offer" else "#request #stay"
    else:
        tags = f"#{listing.purpose}"
        if listing.kind in ("lend", "help") or (
            listing.kind == "wanted" and listing.purpose == "offer"
        ):
            tags += f" #{listing.kind}"
    lines = [f"{tags} {listing.title}"]
    if listing.description:
        lines.append(listing.description)
    text = "\n".join(lines)
    if listing.kind == "stay" and listing.start is not None and not DATES.search(text):
        count = listing.capacity or listing.party_size or 1
        text += f"\n{_day(listing.start)} to {_day(listing.end)} for {count}"
    if listing.return_by is not None and not BACK_BY.search(text):
        text += f"\nback by {_day(listing.return_by)}"
    return text
