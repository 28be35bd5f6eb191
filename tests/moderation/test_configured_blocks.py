"""instance.toml's [federation] block and allow lists apply to what is already stored: a
domain blocked there (or left out of the allow list) since the last run has its listings
gone from search after a restart, not only its new ones refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fedishare.accounts.members import create_member
from fedishare.listings import service
from fedishare.storage.listing_search import Query, search
from tests.harness import network
from tests.listings.factory import draft
from tests.moderation.moderation_support import arrives, following

BOB = "http://elm.test/users/bob"


@pytest.mark.parametrize(
    "federation",
    [{"block": ["elm.test"]}, {"allow": ["ash.test"]}],
    ids=["blocked", "not-allowed"],
)
async def test_a_restart_applies_the_configured_lists_to_stored_listings(
    tmp_path: Path, federation: dict[str, Any]
) -> None:
    async with network(tmp_path) as net:
        oak, elm = await net.add("oak.test"), await net.add("elm.test")
        alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
        bob = await create_member(elm.instance.db, elm.instance.clock, "bob")
        await following(oak, alice, BOB)
        bike = await service.create_listing(elm.instance, bob, draft(title="Bike"))
        await arrives(oak, bike.listing.id)
        assert [h.listing.title for h in await search(oak.instance.db, Query(limit=10))] == ["Bike"]

    async with network(tmp_path) as net:  # oak restarted with the new instance.toml
        oak = await net.add("oak.test", federation=federation)
        assert await search(oak.instance.db, Query(limit=10)) == []
        assert await search(oak.instance.db, Query(viewer=f"{oak.base}/users/alice")) == []

    async with network(tmp_path) as net:  # and the list taken out again: back it comes
        oak = await net.add("oak.test")
        assert [h.listing.title for h in await search(oak.instance.db, Query(limit=10))] == ["Bike"]
