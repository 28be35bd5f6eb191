"""How replies' addressing is read, and the exact shapes of what an author sends back."""

from __future__ import annotations

import pytest

from fedishare.core.activitystreams import PUBLIC
from fedishare.core.types import JSON
from fedishare.listings import response_activities as wire
from fedishare.listings.responses import offered_ids
from tests.listings.factory import listing

BOB = "https://elm.example/users/bob"
ALICE = "https://oak.example/users/alice"
L = "https://oak.example/listings/1"


@pytest.mark.parametrize(
    ("to", "cc", "expected"),
    [
        ([PUBLIC], [f"{BOB}/followers", ALICE], "public"),
        (["as:Public"], [], "public"),
        ([ALICE], ["Public"], "unlisted"),
        ([f"{BOB}/followers"], [ALICE], "followers"),
        ([ALICE], ["https://elm.example/custom-followers-list"], "followers"),
        ([ALICE], [], "direct"),
        (ALICE, None, "direct"),
        ([ALICE, "https://oak.example/users/carol"], [], "direct"),
    ],
)
def test_visibility_is_read_as_mastodon_reads_it(to: object, cc: object, expected: str) -> None:
    doc: JSON = {"to": to, "cc": cc}
    assert wire.visibility_of(doc, "https://elm.example/custom-followers-list") == expected


def test_addressees_include_mentions() -> None:
    doc: JSON = {
        "to": [ALICE],
        "cc": [],
        "tag": [
            {"type": "Mention", "href": "https://oak.example/users/carol"},
            {"type": "Hashtag", "href": "https://oak.example/tags/offer"},
        ],
    }
    assert wire.addressees(doc) == {ALICE, "https://oak.example/users/carol"}


def test_the_mention_comes_first() -> None:
    mention = (
        '<span class="h-card"><a href="https://elm.example/users/bob" class="u-url mention">'
        "@<span>bob</span></a></span>"
    )
    assert wire.with_mention("<p>Hi</p><p>there</p>", BOB, "bob") == (
        f"<p>{mention} Hi</p><p>there</p>"
    )
    assert wire.with_mention("Hi", BOB, "bob") == f"<p>{mention} Hi</p>"
    assert wire.with_mention("<ul><li>a</li></ul>", BOB, "bob") == (
        f"<p>{mention}</p><ul><li>a</li></ul>"
    )


def test_a_direct_note_and_its_create() -> None:
    note = wire.direct_note(
        "https://oak.example/objects/1",
        ALICE,
        BOB,
        "@bob@elm.example",
        "<p>@bob hi</p>",
        "https://elm.example/notes/9",
        "2026-05-01T10:00:00Z",
    )
    assert note == {
        "id": "https://oak.example/objects/1",
        "type": "Note",
        "attributedTo": ALICE,
        "inReplyTo": "https://elm.example/notes/9",
        "published": "2026-05-01T10:00:00Z",
        "to": [BOB],
        "cc": [],
        "content": "<p>@bob hi</p>",
        "tag": [{"type": "Mention", "href": BOB, "name": "@bob@elm.example"}],
        "url": "https://oak.example/objects/1",
    }
    create = wire.create_direct(note)
    assert create["id"] == "https://oak.example/objects/1/activity"
    assert (create["actor"], create["to"], create["cc"]) == (ALICE, [BOB], [])
    assert create["object"] is note


def test_an_answer_embeds_what_it_answers() -> None:
    offer: JSON = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://elm.example/offers/1",
        "type": "Offer",
        "actor": BOB,
        "object": {"type": "Agreement"},
        "to": ALICE,
    }
    answer = wire.answer(
        "https://oak.example/a/1", ALICE, "tentative", offer, "2026-05-01T10:00:00Z"
    )
    assert answer == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://oak.example/a/1",
        "type": "TentativeAccept",
        "actor": ALICE,
        "object": {
            "id": "https://elm.example/offers/1",
            "type": "Offer",
            "actor": BOB,
            "object": {"type": "Agreement"},
        },
        "to": [BOB],
        "published": "2026-05-01T10:00:00Z",
    }


def test_derived_ids_are_stable() -> None:
    a = wire.derived_id("https://oak.example", "objects", "howto", L, BOB)
    assert a == wire.derived_id("https://oak.example", "objects", "howto", L, BOB)
    assert a != wire.derived_id("https://oak.example", "objects", "gone", L, BOB)
    assert a.startswith("https://oak.example/objects/")


def test_an_offer_names_the_listing_by_its_intents_or_directly() -> None:
    agreement: JSON = {
        "type": "Offer",
        "object": {
            "type": "Agreement",
            "stipulates": {"type": "Commitment", "satisfies": f"{L}#primary"},
            "stipulatesReciprocal": {"type": "Commitment", "satisfies": f"{L}#reciprocal"},
        },
    }
    assert offered_ids(agreement) == [L]
    assert offered_ids({"type": "Offer", "object": L}) == [L]
    assert offered_ids({"type": "Join", "object": {"id": L, "type": "Note"}}) == [L]
    assert offered_ids(
        {"type": "Offer", "object": {"type": "Note", "id": "https://elm.example/n/1"}, "target": L}
    ) == ["https://elm.example/n/1", L]


def test_texts_name_the_listing() -> None:
    bike = listing(status="taken")
    assert "\u201cBlue one-speed bike\u201d has gone to someone else" in wire.gone_text(bike)
    wanted = listing(purpose="request", kind="wanted", status="received", title="A <ladder>")
    assert "\u201cA &lt;ladder&gt;\u201d has been found" in wire.gone_text(wanted)
    assert "no longer available" in wire.gone_text(listing(status="withdrawn"))
    assert "privately" in wire.howto_text(bike)
    for decision in ("accept", "tentative", "reject"):
        assert "Blue one-speed bike" in wire.answer_text(bike, decision)  # type: ignore[arg-type]
