"""The status index: who of ours wrote a listing is read from its author's id, on our host
only."""

from __future__ import annotations

from datetime import datetime

from fedishare.listings.wire import to_note
from fedishare.storage import actors, statuses
from fedishare.storage import listings as store
from fedishare.storage.database import Database
from tests.listings.factory import OAK, listing


async def test_a_local_listing_is_its_authors_only_on_our_host(db: Database) -> None:
    async with db.transaction() as tx:
        alice = await actors.insert_local_actor(
            tx,
            username="alice",
            kind="person",
            display_name="Alice",
            summary="",
            private_key_pem="private",
            public_key_pem="public",
            manually_approves_followers=False,
            now=datetime(2026, 5, 1),
        )
        ours = listing(n=1, author=f"{OAK}/users/alice")
        elsewhere = listing(n=2, author="https://elm.example/users/alice")
        for item in (ours, elsewhere):
            await store.upsert(tx, item, to_note(item, OAK))
    found = await statuses.by_uris(db, [ours.id, elsewhere.id])
    assert found[ours.id].local_actor_id == alice
    assert found[elsewhere.id].local_actor_id is None
