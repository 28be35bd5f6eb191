"""Which status changes a listing allows."""

from __future__ import annotations

import pytest

from fedishare.core.errors import Refusal
from fedishare.core.listing import STATUSES, Status
from fedishare.http.errors import status_of
from fedishare.listings.lifecycle import Conflict, check_editable, check_transition
from tests.listings.factory import listing

BOB = "https://elm.example/users/bob"
ALLOWED: set[tuple[Status, Status]] = {
    ("open", "reserved"), ("open", "taken"), ("open", "withdrawn"), ("open", "expired"),
    ("reserved", "open"), ("reserved", "reserved"), ("reserved", "taken"),
    ("reserved", "withdrawn"), ("reserved", "expired"),
}  # fmt: skip


@pytest.mark.parametrize("old", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_every_transition_of_an_offer(old: Status, new: Status) -> None:
    offer = listing(status=old)
    if (old, new) in ALLOWED:
        check_transition(offer, new, reserved_for=BOB)
    else:
        with pytest.raises(Conflict) as e:
            check_transition(offer, new, reserved_for=BOB)
        assert status_of(e.value) == 409


def test_a_request_is_received_not_taken() -> None:
    request = listing(kind="wanted", purpose="request")
    check_transition(request, "received")
    with pytest.raises(Conflict, match="a request is marked received, not taken"):
        check_transition(request, "taken")


def test_a_reservation_names_someone_else() -> None:
    offer = listing()
    with pytest.raises(Refusal, match="say whom"):
        check_transition(offer, "reserved")
    with pytest.raises(Refusal, match="its author"):
        check_transition(offer, "reserved", reserved_for=offer.author)


@pytest.mark.parametrize("status", STATUSES)
def test_only_live_listings_are_edited(status: Status) -> None:
    if status in ("open", "reserved"):
        check_editable(listing(status=status))
    else:
        with pytest.raises(Conflict):
            check_editable(listing(status=status))
