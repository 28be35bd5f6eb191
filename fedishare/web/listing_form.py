"""The new-listing and edit forms as data: what the fields hold (as typed), the listing
JSON they make for the service, and where each refusal is shown.

The form checks nothing itself: what a person typed goes to the service as the app's JSON
would (a number that is not one is sent as the text, so that validation names the field),
and `fedishare.listings.validation` says what is wrong. Its reasons name the field before
the first colon (`returnBy: ...`, `images[1].alt: ...`); templates look errors up by those
names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from starlette.datastructures import FormData, UploadFile

from fedishare.core.activitystreams import iso
from fedishare.core.json_text import parse_json
from fedishare.core.listing import MAX_IMAGES, Image, Listing, Place
from fedishare.core.types import JSON
from fedishare.web.photos import photo_src

PagePurpose = Literal["offer", "request", "stay"]
PAGE_PURPOSES: tuple[PagePurpose, ...] = ("offer", "request", "stay")
# Which kinds each form offers.
KINDS: dict[PagePurpose, tuple[str, ...]] = {
    "offer": ("give", "lend", "help"),
    "request": ("wanted", "help"),
    "stay": ("stay",),
}
TEXT_FIELDS = (
    "kind", "purpose", "title", "description", "place_name", "place_latitude",
    "place_longitude", "place_radius", "start", "end", "expires", "return_by", "hours",
    "time_credits", "capacity", "party_size", "house_rules", "visibility",
)  # fmt: skip
# Form field -> the listing JSON's field, for dates (kept to the second when unchanged).
_DATES = {"start": "start", "end": "end", "expires": "expires", "return_by": "returnBy"}
PHOTOS = "photos"  # where refusals of the photos as a whole are shown
GENERAL = ""  # a refusal that names no field


@dataclass(frozen=True)
class Slot:
    """One of the form's places for a photo: a photo already attached (uploaded before, or
    the listing's), or a file input; with its alt text either way."""

    number: int  # 1 to MAX_IMAGES
    image: JSON | None  # an attached photo: url, mediaType, width, height, blurhash
    alt: str
    error: str | None = None

    @property
    def image_json(self) -> str:
        return json.dumps(self.image, separators=(",", ":")) if self.image else ""

    @property
    def src(self) -> str:
        assert self.image is not None
        return photo_src(Image(str(self.image.get("url", "")), self.alt), thumbnail=True)


def chosen_purpose(value: str | None) -> PagePurpose | None:
    """The form a `?purpose=` asks for, if it names one."""
    return next((p for p in PAGE_PURPOSES if p == value), None)


def page_purpose(listing: Listing) -> PagePurpose:
    return "stay" if listing.is_stay else listing.purpose


def blank_values(purpose: PagePurpose, place: Place | None) -> dict[str, str]:
    """A new listing's fields: the member's default place, the usual visibility."""
    values = dict.fromkeys(TEXT_FIELDS, "")
    values |= {"flexible": "", "visibility": "unlisted" if purpose == "stay" else "public"}
    values["kind"] = KINDS[purpose][0] if purpose == "stay" else ""
    values["purpose"] = "offer" if purpose == "stay" else purpose
    if place is not None:
        values["place_name"] = place.name
        values["place_latitude"] = _text(place.latitude)
        values["place_longitude"] = _text(place.longitude)
    return values


def listing_values(listing: Listing) -> dict[str, str]:
    """An existing listing's fields, as its form shows them."""
    place = listing.place
    credits = listing.time_credits
    return {
        "kind": listing.kind,
        "purpose": listing.purpose,
        "title": listing.title,
        "description": listing.description,
        "place_name": place.name,
        "place_latitude": _text(place.latitude),
        "place_longitude": _text(place.longitude),
        "place_radius": _text(place.radius_km),
        "start": _date(listing.start) if listing.is_stay else "",
        "end": _date(listing.end) if listing.is_stay else "",
        "expires": _date(listing.expires),
        "return_by": _date(listing.return_by),
        "hours": _text(listing.hours),
        "time_credits": _text(credits),
        "capacity": _text(listing.capacity),
        "party_size": _text(listing.party_size),
        "house_rules": listing.house_rules,
        "visibility": listing.visibility,
        "flexible": "on" if listing.flexible else "",
    }


def listing_slots(listing: Listing) -> list[Slot]:
    return fill_slots([Slot(0, image_facts(image), image.alt) for image in listing.images])


def fill_slots(attached: list[Slot]) -> list[Slot]:
    """The attached photos first, numbered in order (photo N is the listing's image N-1,
    as refusals count them), then a file input in every free place."""
    slots = [
        Slot(n, slot.image, slot.alt, slot.error) for n, slot in enumerate(attached[:MAX_IMAGES], 1)
    ]
    return slots + [Slot(n, None, "") for n in range(len(slots) + 1, MAX_IMAGES + 1)]


def image_facts(image: Image) -> JSON:
    """An image as the listing JSON gives it, but for its alt text."""
    facts = {
        "url": image.url,
        "mediaType": image.media_type,
        "width": image.width,
        "height": image.height,
        "blurhash": image.blurhash,
    }
    return {k: v for k, v in facts.items() if v is not None}


def posted_values(form: FormData) -> dict[str, str]:
    """What the person typed, field by field (absent fields empty)."""
    values = {name: _posted_text(form.get(name)) for name in TEXT_FIELDS}
    values["flexible"] = "on" if form.get("flexible") else ""
    return values


def posted_slot(form: FormData, number: int) -> tuple[JSON | None, UploadFile | None, str]:
    """Slot `number` as posted: (the photo attached to it unless removed, a file chosen
    in it, its alt text). An attached photo that cannot be read counts as removed."""
    alt = _posted_text(form.get(f"alt_{number}"))
    attached: JSON | None = None
    if not form.get(f"remove_{number}"):
        try:
            found = parse_json(_posted_text(form.get(f"photo_{number}")) or "null")
        except ValueError:
            found = None
        attached = found if isinstance(found, dict) else None
    upload = form.get(f"file_{number}")
    chosen = upload if isinstance(upload, UploadFile) and upload.filename else None
    return attached, chosen, alt


def draft(
    values: dict[str, str], purpose: PagePurpose, images: list[JSON], old: Listing | None
) -> JSON:
    """The listing JSON (as an app would send it) for what the form holds."""
    data: JSON = {
        "kind": "stay" if purpose == "stay" else values["kind"] or None,
        "purpose": values["purpose"] if purpose == "stay" else purpose,
        "title": values["title"],
        "description": values["description"],
        "place": _place(values),
        "hours": _number(values["hours"]),
        "timeCredits": _number(values["time_credits"]),
        "capacity": _number(values["capacity"]),
        "partySize": _number(values["party_size"]),
        "houseRules": values["house_rules"] or None,
        "flexible": True if values["flexible"] else None,
        "visibility": values["visibility"] or None,
        "images": images,
    }
    for field, key in _DATES.items():  # the form's names are the Listing's attributes
        data[key] = _when(values[field], getattr(old, field, None))
    return {k: v for k, v in data.items() if v is not None}


def field_error(reason: str) -> tuple[str, str]:
    """(where a refusal is shown, what it says): `images[1].alt: ...` beside photo 2,
    `photos: ...` beside the photos, `title: ...` beside the title."""
    field, colon, message = reason.partition(":")
    field = field.strip()
    if not colon or " " in field:
        return GENERAL, reason
    if field.startswith("images["):
        index = field[len("images[") :].split("]", 1)[0]
        if index.isdigit():
            return f"photo_{int(index) + 1}", message.strip()
    if field in ("images", PHOTOS):
        return PHOTOS, message.strip()
    if field == "place":
        return "place.name", message.strip()
    return field, message.strip()


def _when(typed: str, was: datetime | None) -> str | None:
    """A date as typed; an unchanged date keeps the time it had (a form shows days)."""
    if not typed:
        return None
    return iso(was) if was is not None and typed == _date(was) else typed


def _place(values: dict[str, str]) -> JSON | None:
    place: JSON = {
        "name": values["place_name"] or None,
        "latitude": _number(values["place_latitude"]),
        "longitude": _number(values["place_longitude"]),
        "radius": _number(values["place_radius"]),
    }
    kept = {k: v for k, v in place.items() if v is not None}
    return kept or None


def _number(text: str) -> int | float | str | None:
    """A typed number as a number; text that is none goes on as text (validation says
    what is wrong with it), nothing typed as nothing."""
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text.replace(",", "."))  # a decimal comma, as many neighbours type it
    except ValueError:
        return text


def _date(dt: datetime | None) -> str:
    return "" if dt is None else dt.date().isoformat()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _posted_text(value: str | UploadFile | None) -> str:
    return value if isinstance(value, str) else ""
