"""A member's profile as a form sends it, and what changes go out to followers."""

from __future__ import annotations

import pytest

from fedishare.accounts.members import create_member
from fedishare.accounts.profiles import default_place, parse_profile, update_profile
from fedishare.core.errors import Invalid
from fedishare.core.listing import Place
from tests.harness import Node


def test_a_profile_is_read_from_text_fields() -> None:
    profile = parse_profile(
        "  Alice \n A. ", " Hello.\r\n\r\nBye. ", " Oak  field ", "51.5071", "-0.1278"
    )
    assert profile.display_name == "Alice A."
    assert profile.bio == "Hello.\n\nBye."
    assert profile.place == Place("Oak field", 51.51, -0.13)
    assert parse_profile("", "", "", "", "").place is None
    assert parse_profile("", "", "Oakfield", "", "").place == Place("Oakfield")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("x" * 101, "", "", "", ""), "display_name: at most 100 characters"),
        (("", "x" * 501, "", "", ""), "bio: at most 500 characters"),
        (("", "", "x" * 81, "", ""), "place_name: at most 80 characters"),
        (("", "", "Oakfield", "north", "0"), "latitude: a number from -90 to 90"),
        (("", "", "Oakfield", "nan", "0"), "latitude: a number from -90 to 90"),
        (("", "", "Oakfield", "0", "181"), "longitude: a number from -180 to 180"),
        (("", "", "Oakfield", "51.5", ""), "longitude: needed with the other coordinate"),
        (("", "", "", "51.5", "-0.1"), "place_name: name the neighbourhood"),
    ],
)
def test_each_refusal_names_its_field(fields: tuple[str, ...], message: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_profile(*fields)
    assert refused.value.reason.startswith(message)


async def test_only_a_change_others_see_is_sent_to_followers(node: Node) -> None:
    inst = node.instance
    alice = await create_member(inst.db, inst.clock, "alice")
    moved = await update_profile(inst, alice, parse_profile("alice", "", "Oakfield", "", ""))
    assert default_place(moved) == Place("Oakfield")
    renamed = await update_profile(inst, moved, parse_profile("", "Gardener", "", "", ""))
    assert renamed.display_name == "alice" and renamed.summary == "Gardener"
    assert default_place(renamed) is None
    rows = await inst.db.fetch_all("SELECT type, document FROM outbox_activities")
    assert [r["type"] for r in rows] == ["Update"]  # the place alone is not public
    assert '"summary":"<p>Gardener</p>"' in rows[0]["document"]
