"""A stay offered in one neighbourhood and a stay asked for in the next find each other by
dates and place, on both sides, once each has added the other as a peer."""

from __future__ import annotations

from datetime import UTC, datetime

from fedishare.listings import service
from fedishare.storage.listing_search import Query
from tests.harness import Network
from tests.listings.factory import draft, stay_draft
from tests.listings.federation_support import OAKFIELD, arrives, found, member, peer


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_a_stay_offer_and_a_stay_request_find_each_other(clocked_net: Network) -> None:
    oak, elm = await clocked_net.add("oak.test"), await clocked_net.add("elm.test")
    alice, bob = await member(oak, "alice"), await member(elm, "bob")
    await peer(elm, oak)
    await peer(oak, elm)

    room = await service.create_listing(oak.instance, alice, stay_draft(capacity=2))
    trip = draft(
        kind="stay",
        purpose="request",
        title="Two cyclists passing through",
        start="2026-06-03",
        end="2026-06-07",
        partySize=2,
        place={"name": "Oakfield", "latitude": 51.503, "longitude": -0.118},
    )
    ask = await service.create_listing(elm.instance, bob, trip)
    assert room.listing.visibility == ask.listing.visibility == "unlisted"
    await arrives(elm, room.listing.id)
    await arrives(oak, ask.listing.id)

    # Bob, on elm, looks for a room for two on his dates near Oakfield.
    offers = Query(
        purpose="offer",
        kinds=("stay",),
        dates=(day("2026-06-03"), day("2026-06-07")),
        party_size=2,
        near=OAKFIELD,
        within_km=5,
    )
    assert await found(elm, offers) == [room.listing.id]
    # Alice, on oak, looks for travellers who fit her room's dates and size.
    requests = Query(
        purpose="request",
        kinds=("stay",),
        dates=(day("2026-06-01"), day("2026-06-10")),
        capacity=2,
        near=OAKFIELD,
        within_km=5,
    )
    assert await found(oak, requests) == [ask.listing.id]

    # Other dates, a larger party or another place find nothing.
    later = Query(purpose="offer", kinds=("stay",), dates=(day("2026-07-01"), day("2026-07-05")))
    assert await found(elm, later) == []
    assert await found(elm, Query(purpose="offer", kinds=("stay",), party_size=3)) == []
    far = Query(purpose="offer", kinds=("stay",), near=(48.85, 2.35), within_km=50)
    assert await found(elm, far) == []
