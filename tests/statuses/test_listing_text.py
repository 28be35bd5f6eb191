"""Reading a status as a listing: every rule of `fedishare.statuses.listing_text`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from fedishare.core.errors import Unprocessable
from fedishare.core.listing import Listing, Place
from fedishare.statuses.listing_text import is_listing_text, listing_data, source_text
from fedishare.storage.actors import LocalActor
from tests.harness import Node

PLACE = {"name": "Oakfield"}


def member(place: dict[str, object] | None = None) -> LocalActor:
    return LocalActor(
        id=7, username="alice", kind="person", display_name="", summary="",
        private_key_pem="", public_key_pem="", manually_approves_followers=False,
        discoverable=True, disabled=False, created_at="",
        default_place=PLACE if place is None else place,
    )  # fmt: skip


def data(
    node: Node, text: str, visibility: str = "public", place: dict[str, object] | None = None
) -> dict[str, Any]:
    return listing_data(node.instance, member(place), text, [], visibility)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#offer Blue bike", True),
        ("  #Request ladder", True),
        ("#stay Room", True),
        ("Blue bike #offer", False),
        ("#offering bike", False),
        ("#lend drill", False),
    ],
)
def test_the_first_word_decides(text: str, expected: bool) -> None:
    assert is_listing_text(text) is expected


@pytest.mark.parametrize(
    ("text", "purpose", "kind"),
    [
        ("#offer Blue bike", "offer", "give"),
        ("#offer #lend Drill back by 2099-06-20", "offer", "lend"),
        ("#offer #help Fixing bikes", "offer", "help"),
        ("#request Ladder", "request", "wanted"),
        ("#request #wanted Ladder", "request", "wanted"),
        ("#request #help Moving a sofa", "request", "help"),
        ("#stay Room 2099-06-01 to 2099-06-20 for 2", "offer", "stay"),
        ("#request #stay Room 2099-06-01 to 2099-06-03 for 3", "request", "stay"),
        ("#offer #stay Room 2099-06-01 to 2099-06-03 for 1", "offer", "stay"),
    ],
)
def test_purpose_and_kind(node: Node, text: str, purpose: str, kind: str) -> None:
    got = data(node, text)
    assert (got["purpose"], got["kind"]) == (purpose, kind)


def test_title_description_place_and_visibility(node: Node) -> None:
    got = data(node, "#offer #lend  Drill\nWorks well.\n\nback by 2099-01-02", "private")
    assert got["title"] == "Drill"
    assert got["description"] == "Works well.\n\nback by 2099-01-02"
    assert got["place"] == PLACE and got["visibility"] == "followers"
    assert got["returnBy"] == "2099-01-02"


def test_stay_dates_and_guests(node: Node) -> None:
    host = data(node, "#stay Spare room\n2099-06-01 to 2099-06-20, for 2 guests")
    assert (host["start"], host["end"], host["capacity"]) == ("2099-06-01", "2099-06-20", 2)
    guests = data(node, "#request #stay Two nights 2099-06-01 to 2099-06-03 for 3")
    assert guests["partySize"] == 3 and "capacity" not in guests


@pytest.mark.parametrize(
    ("text", "visibility", "reason"),
    [
        (
            "#stay Spare room for 2",
            "public",
            "a #stay needs its dates, as 2027-06-01 to 2027-06-20",
        ),
        ("#stay Room 2099-06-01 to 2099-06-20", "public", "as for 2"),
        ("#offer #lend Drill", "public", "a #lend needs its return date"),
        ("#request #lend Drill", "public", "#lend is an offer"),
        ("#offer #wanted Drill", "public", "#wanted is a request"),
        ("#offer #lend #help Drill", "public", "one kind"),
        ("#offer", "public", "needs a title"),
        ("#offer Bike", "direct", "cannot be a direct message"),
    ],
)
def test_refusals(node: Node, text: str, visibility: str, reason: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        data(node, text, visibility)
    assert reason in refused.value.reason


def test_without_a_neighbourhood_the_member_is_told_to_set_one(node: Node) -> None:
    with pytest.raises(Unprocessable) as refused:
        data(node, "#offer Bike", place={})
    assert "set your neighbourhood first" in refused.value.reason


def listing(**fields: object) -> Listing:
    when = datetime(2099, 1, 1, tzinfo=UTC)
    base = Listing(
        id="x", author="a", origin="local", purpose="offer", kind="give", status="open",
        title="Blue bike", description="Rides fine", place=Place("Oakfield"),
        published=when, updated=when, expires=when, end=when,
    )  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


def test_source_text_reads_back_as_the_same_listing(node: Node) -> None:
    assert source_text(listing()) == "#offer Blue bike\nRides fine"
    start, end = datetime(2099, 6, 1, tzinfo=UTC), datetime(2099, 6, 20, tzinfo=UTC)
    stay = listing(kind="stay", purpose="request", start=start, end=end, party_size=2)
    text = source_text(stay)
    assert text.startswith("#request #stay Blue bike")
    again = data(node, text)
    assert (again["kind"], again["purpose"], again["partySize"]) == ("stay", "request", 2)
    lend = source_text(listing(kind="lend", return_by=end))
    assert data(node, lend)["returnBy"] == "2099-06-20"
