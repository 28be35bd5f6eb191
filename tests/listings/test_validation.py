"""A member's listing JSON, refused field by field, and the defaults it gets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fedishare.core.errors import Refusal
from fedishare.core.listing import Place
from fedishare.http.errors import status_of
from fedishare.listings.validation import Draft, parse_draft
from tests.listings.factory import START, draft, stay_draft


def parse(data: Any, max_chars: int = 5000, **kw: Any) -> Draft:
    return parse_draft(data, max_chars=max_chars, now=START, **kw)


def refused(data: Any, **kw: Any) -> str:
    with pytest.raises(Refusal) as e:
        parse(data, **kw)
    assert status_of(e.value) == 400
    return e.value.reason


def test_a_gift_gets_its_defaults() -> None:
    d = parse(draft())
    assert (d.purpose, d.kind, d.visibility) == ("offer", "give", "public")
    assert d.title == "Blue one-speed bike"
    # Rounded to two decimals: a neighbourhood, not a doorstep.
    assert d.place == Place("Oakfield", 51.5, -0.12, 1.0)
    assert d.expires == START + timedelta(days=90) == d.end
    assert d.start is None and d.images == ()


def test_help_expires_after_14_days_and_a_member_may_choose_sooner() -> None:
    d = parse(draft(kind="help", purpose="request", title="Help moving a sofa", hours=2))
    assert d.expires == START + timedelta(days=14)
    assert d.hours == 2.0
    d = parse(draft(expires="2026-05-08"))
    assert d.expires.isoformat() == "2026-05-08T00:00:00+00:00"


def test_a_stay_is_unlisted_and_expires_when_it_ends() -> None:
    d = parse(stay_draft(houseRules="No smoking.\r\nQuiet after 22:00."))
    assert d.visibility == "unlisted"
    assert d.start is not None and d.start.isoformat() == "2026-06-01T00:00:00+00:00"
    assert d.end == d.expires and d.end.isoformat() == "2026-06-10T00:00:00+00:00"
    assert d.capacity == 2 and d.house_rules == "No smoking.\nQuiet after 22:00."


def test_a_stay_far_ahead_still_expires_within_90_days() -> None:
    d = parse(stay_draft(start="2026-09-01", end="2026-09-30"))
    assert d.expires == START + timedelta(days=90)
    assert d.end.isoformat() == "2026-09-30T00:00:00+00:00"


def test_a_traveller_gives_a_party_size() -> None:
    d = parse(stay_draft(purpose="request", capacity=None, partySize=3, flexible=True))
    assert (d.purpose, d.party_size, d.flexible, d.capacity) == ("request", 3, True, None)


def test_lending_needs_a_return_date() -> None:
    assert refused(draft(kind="lend")) == "returnBy: required to lend"
    d = parse(draft(kind="lend", returnBy="2026-05-20T18:00:00+02:00"))
    assert d.return_by is not None and d.return_by.isoformat() == "2026-05-20T16:00:00+00:00"


def test_time_credits_are_asked_for_help_only() -> None:
    d = parse(draft(kind="help", purpose="offer", timeCredits=1.5))
    assert d.time_credits == 1.5
    assert refused(draft(timeCredits=1)) == "timeCredits: only help is counted in hours"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([], "a listing is a JSON object"),
        (draft(colour="blue"), "colour: unknown field"),
        (draft(kind=None), "kind: required (give, lend, wanted, help, stay)"),
        (draft(kind="swap"), "kind: unknown kind 'swap' (give, lend, wanted, help, stay)"),
        (draft(kind="help"), "purpose: required for help (offer or request)"),
        (draft(purpose="request"), "purpose: a give listing is always an offer"),
        (draft(kind="help", purpose="sell"), "purpose: unknown purpose 'sell' (offer or request)"),
        (draft(title=None), "title: required"),
        (draft(title="   "), "title: required"),
        (draft(title=7), "title: must be text"),
        (draft(title="x" * 121), "title: longer than 120 characters"),
        (draft(description=["a"]), "description: must be text"),
        (draft(place=None), "place: required (a neighbourhood name, optionally with coordinates)"),
        (draft(place="Oakfield"), "place: must be an object with a name"),
        (
            draft(place={"latitude": 51.5, "longitude": 0}),
            "place.name: required (the neighbourhood)",
        ),
        (draft(place={"name": "Oakfield", "street": "x"}), "place.street: unknown field"),
        (
            draft(place={"name": "12 High Street"}),
            "place.name: give the neighbourhood, never a street address",
        ),
        (
            draft(place={"name": "Hauptstraße 5"}),
            "place.name: give the neighbourhood, never a street address",
        ),
        (
            draft(place={"name": "Oakfield", "latitude": 91, "longitude": 0}),
            "place.latitude: must be from -90 to 90",
        ),
        (
            draft(place={"name": "Oakfield", "latitude": 51, "longitude": -181}),
            "place.longitude: must be from -180 to 180",
        ),
        (
            draft(place={"name": "Oakfield", "latitude": "51", "longitude": 0}),
            "place.latitude: must be a number",
        ),
        (
            draft(place={"name": "Oakfield", "latitude": 51.5}),
            "place.longitude: required with the other coordinate",
        ),
        (
            draft(place={"name": "Oakfield", "radius": 0}),
            "place.radius: must be above 0 and at most 50",
        ),
        (draft(start="2026-06-01"), "start: only stays have dates; use expires"),
        (draft(returnBy="2026-06-01"), "returnBy: only lending has a return date"),
        (draft(capacity=2), "capacity: only a stay offer has this"),
        (
            draft(expires="soon"),
            "expires: must be a date (2026-06-01) or date-time (2026-06-01T10:00Z)",
        ),
        (draft(expires="2026-04-30"), "expires: in the past"),
        (draft(expires="2026-08-01"), "expires: at most 90 days after publication (2026-07-30)"),
        (
            draft(kind="help", purpose="offer", expires="2026-05-20"),
            "expires: at most 14 days after publication (2026-05-15)",
        ),
        (draft(kind="help", purpose="offer", hours=0), "hours: must be above 0 and at most 100"),
        (draft(kind="help", purpose="offer", hours=True), "hours: must be a number"),
        (draft(kind="lend", returnBy="2026-04-01"), "returnBy: in the past"),
        (
            draft(visibility="secret"),
            "visibility: unknown visibility 'secret' (public, unlisted, followers)",
        ),
        (draft(images="cat.jpg"), "images: must be a list"),
        (draft(images=[{"url": "https://x.test/a.jpg", "alt": "a"}] * 5), "images: at most 4"),
        (draft(images=["https://x.test/a.jpg"]), "images[0]: must be an object with url and alt"),
        (
            draft(images=[{"url": "javascript:alert(1)", "alt": "a"}]),
            "images[0].url: must be an http(s) URL",
        ),
        (
            draft(
                images=[
                    {"url": "https://x.test/a.jpg", "alt": "a"},
                    {"url": "https://x.test/b.jpg"},
                ]
            ),
            "images[1].alt: describe the image for people who cannot see it",
        ),
        (
            draft(images=[{"url": "https://x.test/a.jpg", "alt": "a", "width": 10}]),
            "images[0].height: required with the other side",
        ),
        (
            draft(images=[{"url": "https://x.test/a.jpg", "alt": "a", "width": 0, "height": 1}]),
            "images[0].width: a whole number of pixels, 1 to 100000",
        ),
        (
            draft(images=[{"url": "https://x.test/a.jpg", "alt": "a", "mediaType": "text/html"}]),
            "images[0].mediaType: an image type such as image/jpeg",
        ),
        (
            draft(images=[{"url": "https://x.test/a.jpg", "alt": "a", "blurhash": "<b>hi</b>"}]),
            "images[0].blurhash: not a blurhash (https://blurha.sh)",
        ),
    ],
)
def test_refusals_name_the_field(data: Any, reason: str) -> None:
    assert refused(data) == reason


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"start": None}, "start: required for a stay"),
        ({"end": None}, "end: required for a stay"),
        ({"end": "2026-05-30"}, "end: before start"),
        ({"end": "2026-06-01"}, "end: before start"),
        ({"start": "2026-04-01", "end": "2026-04-10"}, "end: in the past"),
        ({"capacity": None}, "capacity: required (how many guests, 1 to 50)"),
        ({"capacity": 0}, "capacity: must be from 1 to 50"),
        ({"capacity": 2.5}, "capacity: must be a whole number"),
        ({"purpose": None}, "purpose: required for stay (offer or request)"),
        ({"partySize": 2}, "partySize: only a stay request has this"),
        ({"expires": "2026-06-20"}, "expires: at most the stay's end (2026-06-10)"),
        (
            {"start": "2026-02-30"},
            "start: must be a date (2026-06-01) or date-time (2026-06-01T10:00Z)",
        ),
        (
            {"end": "9999-12-31T23:00-05:00"},
            "end: must be a date (2026-06-01) or date-time (2026-06-01T10:00Z)",
        ),
        ({"start": "2031-06-01", "end": "2031-06-10"}, "start: more than 5 years ahead"),
        ({"end": "9999-12-31"}, "end: more than 5 years ahead"),
    ],
)
def test_stay_refusals(fields: dict[str, Any], reason: str) -> None:
    assert refused(stay_draft(**fields)) == reason


def test_a_stay_request_needs_a_party_size() -> None:
    data = stay_draft(purpose="request", capacity=None)
    assert refused(data) == "partySize: required (how many guests, 1 to 50)"
    assert refused(stay_draft(purpose="request", partySize=2)) == (
        "capacity: only a stay offer has this"
    )


def test_the_description_limit_comes_from_the_config() -> None:
    assert parse(draft(description="x" * 50), max_chars=50).description == "x" * 50
    assert refused(draft(description="x" * 51), max_chars=50) == (
        "description: longer than 50 characters"
    )
    assert refused(stay_draft(houseRules="y" * 51), max_chars=50) == (
        "houseRules: longer than 50 characters"
    )


def test_text_is_trimmed_and_control_characters_dropped() -> None:
    d = parse(draft(title="  Blue\n bike\x00 ", description="Line one\r\nLine two\x07"))
    assert d.title == "Blue bike"
    assert d.description == "Line one\nLine two"


def test_an_edit_counts_the_expiry_from_first_publication() -> None:
    later = START + timedelta(days=80)
    d = parse_draft(draft(), max_chars=5000, now=later, published=START)
    assert d.expires == START + timedelta(days=90)
    with pytest.raises(Refusal, match="expires: at most 90 days"):
        parse_draft(draft(expires="2026-08-15"), max_chars=5000, now=later, published=START)
    with pytest.raises(Refusal, match="longest lifetime"):
        parse_draft(draft(), max_chars=5000, now=START + timedelta(days=91), published=START)


def test_images_keep_url_and_alt_text() -> None:
    d = parse(draft(images=[{"url": " https://x.test/bike.jpg ", "alt": "A blue bike"}]))
    assert [(i.url, i.alt) for i in d.images] == [("https://x.test/bike.jpg", "A blue bike")]


def test_an_image_may_say_its_type_size_and_blurhash() -> None:
    photo = {
        "url": "https://x.test/bike.jpg",
        "alt": "A blue bike",
        "mediaType": "image/jpeg",
        "width": 1600,
        "height": 1200,
        "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    }
    (image,) = parse(draft(images=[photo])).images
    assert (image.media_type, image.width, image.height, image.blurhash) == (
        "image/jpeg",
        1600,
        1200,
        "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    )
