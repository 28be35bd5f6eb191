"""Our listings as Notes: the shape of design/listings.md, field by field, and what Mastodon
(which shows `content` only) makes of them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from fedishare.core.activitystreams import PUBLIC
from fedishare.core.listing import TIME_CREDIT, Image, Place, Reciprocal
from fedishare.listings.vocabulary import LISTING_CONTEXT, NS
from fedishare.listings.wire import addressing, to_note
from tests.listings.factory import OAK, START, listing, stay_offer

ALICE = f"{OAK}/users/alice"
FOLLOWERS = f"{ALICE}/followers"
GROUP = f"{OAK}/users/community"


def text_of(html: str) -> str:
    """The text a reader sees: paragraphs and line breaks apart, inline markup run in."""
    return re.sub(r"<[^>]+>", "", re.sub(r"</?(p|br)\b[^>]*>", " ", html))


def test_an_offer_is_the_note_of_the_design() -> None:
    note = to_note(listing(), OAK)
    assert note == {
        "@context": LISTING_CONTEXT,
        "type": "Note",
        "id": f"{OAK}/listings/1",
        "url": f"{OAK}/listings/1",
        "attributedTo": ALICE,
        "audience": GROUP,
        "to": [PUBLIC],
        "cc": [FOLLOWERS, GROUP],
        "published": "2026-05-01T10:00:00Z",
        "endTime": "2026-07-30T10:00:00Z",
        "expires": "2026-07-30T10:00:00Z",
        "name": "Blue one-speed bike",
        "purpose": "offer",
        "listingKind": "give",
        "listingStatus": "open",
        "content": (
            "<p><strong>OFFER · free: Blue one-speed bike</strong></p>"
            "<p>15 years old, some rust, rides fine.</p>"
            "<p>Oakfield · until 30 Jul · open</p>"
            "<p>Interested? Reply privately (mentioned people only).</p>"
            f'<p><a href="{OAK}/tags/offer" class="mention hashtag" rel="tag">'
            "#<span>offer</span></a>"
            f' <a href="{OAK}/tags/oakfield" class="mention hashtag" rel="tag">'
            "#<span>Oakfield</span></a></p>"
        ),
        "listingDescription": "15 years old, some rust, rides fine.",
        "tag": [
            {"type": "Hashtag", "name": "#offer", "href": f"{OAK}/tags/offer"},
            {"type": "Hashtag", "name": "#Oakfield", "href": f"{OAK}/tags/oakfield"},
        ],
        "location": {
            "type": "Place",
            "name": "Oakfield",
            "latitude": 51.5,
            "longitude": -0.12,
            "radius": 1,
            "units": "km",
        },
        "publishes": {
            "type": "Intent",
            "id": f"{OAK}/listings/1#primary",
            "action": "transfer",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
            "availableQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
        },
    }


def test_the_context_maps_every_extra_term_we_use() -> None:
    terms = LISTING_CONTEXT[1]
    assert LISTING_CONTEXT[0] == "https://www.w3.org/ns/activitystreams"
    assert terms["fs"] == NS == "https://w3id.org/fedishare/ns#"
    assert terms["schema"] == "http://schema.org#"
    assert terms["vf"] == "https://w3id.org/valueflows/ont/vf#"
    assert terms["om2"] == "http://www.ontology-of-units-of-measure.org/resource/om-2/"
    note = to_note(stay_offer(reserved_for="https://elm.example/users/bob"), OAK)
    as2 = {
        "type",
        "id",
        "url",
        "attributedTo",
        "audience",
        "to",
        "cc",
        "published",
        "startTime",
        "endTime",
        "name",
        "content",
        "tag",
        "location",
        "attachment",
    }
    for key in set(note) - as2 - {"@context"}:
        assert key in terms, key


def test_mastodon_sees_everything_in_content_and_no_content_warning() -> None:
    note = to_note(
        listing(kind="lend", return_by=START + timedelta(days=10), place=Place("Old Town")), OAK
    )
    assert "summary" not in note and "sensitive" not in note
    shown = text_of(note["content"])
    for fact in (
        "OFFER · to lend: Blue one-speed bike",
        "15 years old, some rust",
        "Return by 11 May",
        "Old Town · until 30 Jul · open",
        "Interested?",
        "#offer",
        "#OldTown",
    ):
        assert fact in shown, fact
    assert note["returnBy"] == "2026-05-11T10:00:00Z"


def test_html_in_member_text_is_escaped() -> None:
    note = to_note(listing(title="<b>Bike</b>", description="a & b\n<script>x</script>"), OAK)
    assert "<b>Bike" not in note["content"] and "&lt;b&gt;Bike&lt;/b&gt;" in note["content"]
    assert "<p>a &amp; b<br>&lt;script&gt;x&lt;/script&gt;</p>" in note["content"]
    assert note["name"] == "<b>Bike</b>"  # plain text by definition


def test_a_stay_offer_carries_dates_capacity_and_rules() -> None:
    note = to_note(stay_offer(), OAK)
    assert note["purpose"] == "offer" and note["listingKind"] == "stay"
    assert note["startTime"] == "2026-05-31T10:00:00Z"
    assert note["endTime"] == "2026-06-10T10:00:00Z"
    assert note["maximumAttendeeCapacity"] == 2
    assert note["houseRules"] == "No smoking."
    assert "numberOfTravellers" not in note
    assert note["publishes"]["action"] == "deliverService"
    shown = text_of(note["content"])
    for fact in (
        "STAY · host: Spare room near the park",
        "Up to 2 guests",
        "House rules: No smoking.",
        "Oakfield · 31 May \u2013 10 Jun · open",
        "Want to stay?",
        "#offer",
        "#stay",
    ):
        assert fact in shown, fact


def test_a_stay_request_carries_the_party() -> None:
    note = to_note(
        stay_offer(purpose="request", capacity=None, house_rules="", party_size=3, flexible=True),
        OAK,
    )
    assert note["purpose"] == "request" and note["numberOfTravellers"] == 3
    assert note["flexibleDates"] is True
    assert "maximumAttendeeCapacity" not in note and "houseRules" not in note
    assert "3 travellers · dates flexible" in note["content"]
    assert "Can you host?" in note["content"]


def test_help_is_a_service_counted_in_hours_with_time_credits_in_return() -> None:
    help_ = listing(
        kind="help",
        purpose="request",
        hours=2.5,
        reciprocal=Reciprocal("hour", 2.0, TIME_CREDIT),
        expires=START + timedelta(days=14),
    )
    note = to_note(help_, OAK)
    assert note["publishes"]["action"] == "deliverService"
    assert note["publishes"]["resourceQuantity"] == {"hasUnit": "hour", "hasNumericalValue": "2.5"}
    assert note["reciprocal"] == {
        "type": "Intent",
        "id": f"{OAK}/listings/1#reciprocal",
        "action": "transfer",
        "resourceConformsTo": TIME_CREDIT,
        "resourceQuantity": {"hasUnit": "hour", "hasNumericalValue": "2"},
    }
    assert "REQUEST · help" in note["content"]
    assert "About 2.5 h · 2 time credits in return" in note["content"]
    assert "Can you help?" in note["content"]


def test_a_gift_has_no_reciprocal() -> None:
    assert "reciprocal" not in to_note(listing(), OAK)


@pytest.mark.parametrize(
    ("status", "available", "line"),
    [
        ("reserved", "0", "Reserved for someone"),
        ("taken", "0", "This listing is closed."),
        ("withdrawn", "0", "This listing is closed."),
        ("expired", "0", "This listing is closed."),
    ],
)
def test_a_change_shows_in_status_quantity_and_content(
    status: str, available: str, line: str
) -> None:
    changed = listing(status=status, updated=START + timedelta(hours=1))
    note = to_note(changed, OAK)
    assert note["listingStatus"] == status
    assert note["updated"] == "2026-05-01T11:00:00Z"
    assert note["publishes"]["availableQuantity"]["hasNumericalValue"] == available
    assert f"· {status}</p>" in note["content"] and line in note["content"]


def test_a_new_listing_has_no_updated_so_mastodon_does_not_mark_it_edited() -> None:
    assert "updated" not in to_note(listing(), OAK)


def test_reserved_for_names_the_responder() -> None:
    note = to_note(listing(status="reserved", reserved_for="https://elm.example/users/bob"), OAK)
    assert note["reservedFor"] == "https://elm.example/users/bob"


def test_at_most_four_images_as_documents_with_alt_text() -> None:
    images = tuple(Image(f"https://oak.example/media/{i}.png", f"Photo {i}") for i in range(5))
    note = to_note(listing(images=images), OAK)
    assert len(note["attachment"]) == 4
    assert note["attachment"][0] == {
        "type": "Document",
        "mediaType": "image/png",
        "url": "https://oak.example/media/0.png",
        "name": "Photo 0",
    }


def test_our_photos_go_out_with_size_and_blurhash() -> None:
    photo = Image(
        f"{OAK}/media/ab/abc.jpg",
        "A blue bike",
        "image/jpeg",
        1600,
        1200,
        "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    )
    note = to_note(listing(images=(photo,)), OAK)
    assert note["attachment"] == [
        {
            "type": "Document",
            "mediaType": "image/jpeg",
            "url": f"{OAK}/media/ab/abc.jpg",
            "name": "A blue bike",
            "width": 1600,
            "height": 1200,
            "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        }
    ]
    assert LISTING_CONTEXT[1]["blurhash"] == "toot:blurhash"


def test_a_place_without_coordinates_is_a_name_and_radius() -> None:
    note = to_note(listing(place=Place("Oakfield", radius_km=2.5)), OAK)
    assert note["location"] == {"type": "Place", "name": "Oakfield", "radius": 2.5, "units": "km"}


def test_places_are_rounded_whatever_made_them() -> None:
    assert Place("x", 51.50789, -0.12756) == Place("x", 51.51, -0.13)
    with pytest.raises(ValueError):
        Place("x", 51.5, None)


@pytest.mark.parametrize(
    ("kind", "visibility", "to", "cc"),
    [
        ("give", "public", [PUBLIC], [FOLLOWERS, GROUP]),
        ("wanted", "public", [PUBLIC], [FOLLOWERS, GROUP]),
        ("stay", "unlisted", [FOLLOWERS, GROUP], [PUBLIC]),
        ("stay", "followers", [FOLLOWERS, GROUP], []),
        ("give", "followers", [FOLLOWERS, GROUP], []),
    ],
)
def test_addressing(kind: str, visibility: str, to: list[str], cc: list[str]) -> None:
    item = (
        stay_offer(visibility=visibility)
        if kind == "stay"
        else listing(
            kind=kind, purpose="request" if kind == "wanted" else "offer", visibility=visibility
        )
    )
    assert addressing(item) == (to, cc)
    note = to_note(item, OAK)
    assert (note["to"], note["cc"]) == (to, cc)
