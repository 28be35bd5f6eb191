"""Reading listings from other servers: our own Notes (round trip), FEP-0837 Proposals,
Bonfire's ValueFlows objects and Flohmarkt Notes. The samples follow the FEP text and what
those projects publish; HTML is cleaned before its text is read."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fedishare.core.activitystreams import PUBLIC
from fedishare.core.listing import TIME_CREDIT, Image, Listing, Place, Reciprocal
from fedishare.listings.reading import clean_document
from fedishare.listings.wire import listing_from_object, to_note
from tests.listings.factory import OAK, START, listing, stay_offer

MARKET = "https://market.example/proposals/ddde9d6f-6f3b-4770-a966-3a18ef006930"
VF_CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    {
        "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
        "vf": "https://w3id.org/valueflows/ont/vf#",
        "Proposal": "vf:Proposal",
        "Intent": "vf:Intent",
        "purpose": "vf:purpose",
        "publishes": "vf:publishes",
        "reciprocal": "vf:reciprocal",
        "resourceQuantity": "vf:resourceQuantity",
        "availableQuantity": "vf:availableQuantity",
        "hasUnit": "om2:hasUnit",
        "hasNumericalValue": "om2:hasNumericalValue",
    },
]


def proposal(**fields: Any) -> dict[str, Any]:
    """FEP-0837's full example: a used bike offered for 30 of some currency."""
    doc: dict[str, Any] = {
        "@context": VF_CONTEXT,
        "type": "Proposal",
        "id": MARKET,
        "purpose": "offer",
        "attributedTo": "https://market.example/users/alice",
        "name": "Offering used bike",
        "content": "Blue one-speed bike, 15 years old, some rust",
        "published": "2023-06-18T19:22:03.918737Z",
        "location": {"type": "Place", "longitude": -71.0, "latitude": 25.0},
        "publishes": {
            "type": "Intent",
            "id": f"{MARKET}#primary",
            "action": "transfer",
            "resourceConformsTo": "https://www.wikidata.org/wiki/Q11442",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
            "availableQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
        },
        "reciprocal": {
            "type": "Intent",
            "id": f"{MARKET}#reciprocal",
            "action": "transfer",
            "resourceConformsTo": "https://www.wikidata.org/wiki/Q4917",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "30"},
        },
        "unitBased": False,
        "to": PUBLIC,
    }
    doc.update(fields)
    return doc


def read(doc: Any) -> Listing:
    found = listing_from_object(doc)
    assert found is not None
    return found


@pytest.mark.parametrize(
    "original",
    [
        listing(),
        listing(
            kind="lend",
            return_by=START + timedelta(days=7),
            images=(Image("https://oak.example/m/1.jpg", "A blue bike", "image/jpeg"),),
            description="Line one\nLine two\n\nSecond paragraph with <angle> & ampersand",
        ),
        listing(kind="wanted", purpose="request", title="A ladder", visibility="followers"),
        listing(
            kind="help",
            purpose="offer",
            hours=3.0,
            reciprocal=Reciprocal("hour", 3.0, TIME_CREDIT),
            expires=START + timedelta(days=14),
        ),
        listing(
            status="reserved",
            reserved_for="https://elm.example/users/bob",
            updated=START + timedelta(hours=2),
        ),
        listing(
            images=(
                Image(f"{OAK}/media/ab/a.jpg", "A bike", "image/jpeg", 1600, 1200, "LKO2?U%2Tw=w"),
                Image(f"{OAK}/media/ab/b.jpg", "Its bell", "image/jpeg", 400, 300),
            )
        ),
        listing(place=Place("Oakfield", radius_km=2.5)),
        stay_offer(),
        stay_offer(
            purpose="request",
            capacity=None,
            house_rules="",
            party_size=3,
            flexible=True,
            expires=START + timedelta(days=35),
        ),
    ],
    ids=[
        "give",
        "lend",
        "wanted",
        "help",
        "reserved",
        "photos",
        "no-position",
        "host",
        "traveller",
    ],
)
def test_round_trip(original: Listing) -> None:
    back = read(to_note(original, OAK))
    assert back == dataclasses.replace(original, origin="remote")


def test_a_fep_0837_proposal() -> None:
    found = read(proposal())
    assert (found.id, found.author) == (MARKET, "https://market.example/users/alice")
    assert (found.purpose, found.kind, found.status) == ("offer", "give", "open")
    assert found.title == "Offering used bike"
    assert found.description == "Blue one-speed bike, 15 years old, some rust"
    assert found.place == Place("", 25.0, -71.0)
    assert found.reciprocal == Reciprocal("one", 30.0, "https://www.wikidata.org/wiki/Q4917")
    assert found.published == datetime(2023, 6, 18, 19, 22, 3, tzinfo=UTC)
    assert found.expires == found.published + timedelta(days=90)
    assert found.visibility == "public" and found.origin == "remote"


def test_the_minimal_proposal_and_a_request_for_a_service() -> None:
    minimal = {
        k: v
        for k, v in proposal().items()
        if k not in ("name", "content", "location", "reciprocal")
    }
    assert listing_from_object(minimal) is None  # nothing to call it by
    service = proposal(
        purpose="request",
        name="Someone to fix my bike",
        publishes={
            "type": "Intent",
            "id": f"{MARKET}#primary",
            "action": "deliverService",
            "resourceQuantity": {"hasUnit": "hour", "hasNumericalValue": "2"},
        },
    )
    found = read(service)
    assert (found.purpose, found.kind, found.hours) == ("request", "help", 2.0)
    assert found.expires == found.published + timedelta(days=14)


def test_a_mitra_style_note_with_purpose_and_an_exhausted_quantity() -> None:
    note = proposal(
        type="Note",
        content="<p>Blue bike</p><script>alert(1)</script><p>Pick up in <b>Oakfield</b></p>",
    )
    note["publishes"] = dict(
        note["publishes"], availableQuantity={"hasUnit": "one", "hasNumericalValue": "0"}
    )
    found = read(note)
    assert found.status == "taken"
    assert found.description == "Blue bike\n\nPick up in Oakfield"


def test_a_proposal_without_a_title_takes_its_first_line() -> None:
    found = read(proposal(name=None, content="<p>Blue bike for free</p><p>Rides fine.</p>"))
    assert found.title == "Blue bike for free"


def test_bonfire_proposal_with_proposed_intents() -> None:
    doc = {
        "type": "ValueFlows:Proposal",
        "id": "https://bonfire.example/pub/objects/01FJQGYPBH6G3D9F7DK5MN7C2A",
        "actor": "https://bonfire.example/pub/actors/karen",
        "attributedTo": "https://bonfire.example/pub/actors/karen",
        "name": "Apples from the garden",
        "summary": "A crate of cooking apples.",
        "published": "2021-10-23T21:29:51.217969Z",
        "hasEnd": "2021-11-02T20:28:38Z",
        "eligibleLocation": {
            "type": "Place",
            "name": "Riverside",
            "latitude": -62.7021413,
            "longitude": 49.0906469,
        },
        "publishes": [
            {
                "type": "ValueFlows:ProposedIntent",
                "reciprocal": True,
                "publishes": {"type": "ValueFlows:Intent", "action": "transfer", "name": "Thanks"},
            },
            {
                "type": "ValueFlows:ProposedIntent",
                "reciprocal": False,
                "publishes": {
                    "type": "ValueFlows:Intent",
                    "action": "transfer",
                    "provider": "https://bonfire.example/pub/actors/karen",
                    "availableQuantity": {
                        "hasNumericalValue": 3,
                        "hasUnit": {"label": "kilo", "symbol": "kg"},
                    },
                },
            },
        ],
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    found = read(doc)
    assert (found.purpose, found.kind, found.title) == ("offer", "give", "Apples from the garden")
    assert found.description == "A crate of cooking apples."
    assert found.place == Place("Riverside", -62.7, 49.09)
    assert found.expires == datetime(2021, 11, 2, 20, 28, 38, tzinfo=UTC)


def test_bonfire_bare_intents() -> None:
    need = {
        "type": "ValueFlows:Need",
        "id": "https://bonfire.example/pub/objects/01FJNJV113P04FBFM20P5VZVEA",
        "attributedTo": "https://bonfire.example/pub/actors/karen",
        "name": "Help with the harvest",
        "summary": "Two afternoons of picking.",
        "action": "work",
        "published": "2021-10-23T21:29:51Z",
        "to": ["https://bonfire.example/pub/actors/karen"],
    }
    found = read(need)
    assert (found.purpose, found.kind, found.visibility) == ("request", "help", "followers")
    intent = dict(
        need,
        type="ValueFlows:Intent",
        action="transfer",
        receiver="https://bonfire.example/pub/actors/karen",
    )
    assert read(intent).kind == "wanted"
    undecided = dict(need, type="ValueFlows:Intent")
    assert listing_from_object(undecided) is None  # neither provider nor receiver


def test_flohmarkt_note() -> None:
    item = "11111111-1111-4111-8111-111111111111"
    doc = {
        "id": f"https://floh.example/users/seller/items/{item}",
        "type": "Note",
        "flohmarkt:data": {
            "price": "25",
            "name": "Radio",
            "description": "A working receiver.",
            "original_id": item,
            "coordinates": {"lat": 45.4215, "lng": -75.6972},
        },
        "summary": None,
        "inReplyTo": None,
        "published": "2024-03-01T12:00:00Z",
        "url": f"https://floh.example/~seller/{item}",
        "attributedTo": "https://floh.example/users/seller",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://floh.example/users/seller/followers"],
        "sensitive": False,
        "content": "Radio <br> A working receiver.",
        "attachment": [
            {
                "type": "Document",
                "mediaType": "image/jpeg",
                "name": "The radio",
                "url": "https://floh.example/api/v1/image/abc",
                "width": 600,
            }
        ],
        "tag": [],
    }
    found = read(doc)
    assert (found.purpose, found.kind, found.title) == ("offer", "give", "Radio")
    assert found.description == "A working receiver."
    assert found.place == Place("", 45.42, -75.7)
    assert found.reciprocal == Reciprocal("one", 25.0)
    assert found.images == (
        Image("https://floh.example/api/v1/image/abc", "The radio", "image/jpeg"),
    )


@pytest.mark.parametrize(
    "doc",
    [
        None,
        "https://market.example/x",
        {
            "type": "Note",
            "id": "https://m.example/1",
            "attributedTo": "https://m.example/u",
            "content": "Just a post",
            "published": "2024-01-01T00:00:00Z",
        },
        {
            "type": "Article",
            "id": "https://m.example/1",
            "attributedTo": "https://m.example/u",
            "purpose": "offer",
            "name": "x",
            "publishes": {"type": "Intent", "action": "transfer"},
            "published": "2024-01-01T00:00:00Z",
        },
        proposal(purpose="swap"),
        proposal(publishes=None),
        proposal(id=None),
        proposal(id="urn:uuid:1"),
        proposal(attributedTo=None),
        proposal(published=None),
        {
            "type": "Note",
            "listingKind": "teleport",
            "id": "https://m.example/1",
            "attributedTo": "https://m.example/u",
            "name": "x",
            "published": "2024-01-01T00:00:00Z",
        },
        {
            "type": "Note",
            "listingKind": "help",
            "id": "https://m.example/1",
            "attributedTo": "https://m.example/u",
            "name": "x",
            "published": "2024-01-01T00:00:00Z",
        },
    ],
)
def test_what_is_not_a_listing(doc: Any) -> None:
    assert listing_from_object(doc) is None


def test_a_missing_published_can_be_stood_in_for() -> None:
    doc = proposal(published=None)
    found = listing_from_object(doc, now=START)
    assert found is not None and found.published == START


def test_remote_listings_never_outlive_our_limits() -> None:
    far = proposal(endTime="2030-01-01T00:00:00Z", expires="2031-01-01T00:00:00Z")
    found = read(far)
    assert found.expires == found.published + timedelta(days=90)
    sooner = read(proposal(expires="2023-06-20T00:00:00Z"))
    assert sooner.expires == datetime(2023, 6, 20, tzinfo=UTC)


def test_visibility_follows_the_addressing() -> None:
    assert read(proposal(to=[PUBLIC])).visibility == "public"
    assert read(proposal(to=["https://m.example/f"], cc=[PUBLIC])).visibility == "unlisted"
    assert read(proposal(to=["https://m.example/f"], cc=[])).visibility == "followers"


def test_remote_text_is_bounded_and_cleaned() -> None:
    note = to_note(listing(), OAK)
    note["listingDescription"] = "x" * 30_000
    note["name"] = "y" * 500
    found = read(note)
    assert len(found.description) == 20_000
    assert len(found.title) == 200 and found.title.endswith("…")


def test_stored_documents_keep_only_clean_html() -> None:
    doc = proposal(
        content=(
            '<p onclick="x()">Hi <a href="javascript:evil()">there</a><script>bad()</script></p>'
        ),
        contentMap={"en": "<img src=x onerror=alert(1)>Hi"},
        summary="<iframe src='https://evil.example'></iframe>CW",
    )
    clean = clean_document(doc)
    assert clean["content"] == '<p>Hi <a rel="nofollow noopener noreferrer">there</a></p>'
    assert clean["contentMap"] == {"en": "Hi"}
    assert clean["summary"] == "CW"
    assert doc["content"].startswith("<p onclick")  # the original is left alone


def test_photos_keep_what_their_server_says_of_them() -> None:
    note = to_note(listing(), OAK)
    note["attachment"] = [
        {  # Mastodon's attachment
            "type": "Document",
            "mediaType": "image/jpeg",
            "url": "https://mastodon.example/system/media/1.jpg",
            "name": "A bike",
            "blurhash": "UEHLh[WB2yk8pyoJadR*.7kCMdnjS#M|%1%2",
            "width": 1600,
            "height": 1200,
            "focalPoint": [0.0, 0.0],
        },
        {  # a link object, a size that is no size, a blurhash that is none
            "type": "Image",
            "url": {"type": "Link", "href": "https://pix.example/2.png"},
            "name": "Its bell",
            "width": -5,
            "height": 300,
            "blurhash": "<script>",
        },
        {"type": "Document", "mediaType": "video/mp4", "url": "https://pix.example/3.mp4"},
    ]
    assert read(note).images == (
        Image(
            "https://mastodon.example/system/media/1.jpg",
            "A bike",
            "image/jpeg",
            width=1600,
            height=1200,
            blurhash="UEHLh[WB2yk8pyoJadR*.7kCMdnjS#M|%1%2",
        ),
        Image("https://pix.example/2.png", "Its bell"),
    )
