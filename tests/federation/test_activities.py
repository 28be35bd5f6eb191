"""The activities our members send, shaped as Mastodon reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from fedishare.core.activitystreams import AS_CONTEXT, PUBLIC
from fedishare.federation import activities

BASE = "https://oak.test"
ALICE = f"{BASE}/users/alice"
BOB = "https://elm.test/users/bob"
NOTE = "https://elm.test/notes/1"


def _fresh(activity: dict[str, object]) -> dict[str, object]:
    """The activity without its id, once the id is checked to be a fresh one of ours."""
    assert str(activity["id"]).startswith(f"{BASE}/activities/")
    return {k: v for k, v in activity.items() if k != "id"}


def test_a_block_goes_to_the_blocked_actor_alone() -> None:
    assert _fresh(activities.block(BASE, ALICE, BOB)) == {
        "@context": AS_CONTEXT,
        "type": "Block",
        "actor": ALICE,
        "object": BOB,
        "to": [BOB],
    }


def test_a_like_goes_to_the_author() -> None:
    assert _fresh(activities.like(BASE, ALICE, NOTE, BOB)) == {
        "@context": AS_CONTEXT,
        "type": "Like",
        "actor": ALICE,
        "object": NOTE,
        "to": [BOB],
    }


def test_an_announce_carries_its_time_and_addressing() -> None:
    at = datetime(2026, 5, 1, 10, 0, 7, 500, tzinfo=UTC)
    found = activities.announce(BASE, ALICE, NOTE, at, to=[PUBLIC], cc=[f"{ALICE}/followers", BOB])
    assert _fresh(found) == {
        "@context": AS_CONTEXT,
        "type": "Announce",
        "actor": ALICE,
        "published": "2026-05-01T10:00:07Z",
        "to": [PUBLIC],
        "cc": [f"{ALICE}/followers", BOB],
        "object": NOTE,
    }
