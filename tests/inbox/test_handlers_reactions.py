"""Like and Announce of our objects, and their Undo."""

from __future__ import annotations

from fedishare.core.types import JSON
from fedishare.storage import objects, reactions
from tests.harness import Network, Node
from tests.inbox.handler_support import ELM, OAK, fixture, local_note, member, pair, receive

BOB = f"{ELM}/users/bob"


async def counts(node: Node, object_id: str) -> tuple[int, int]:
    stored = await objects.get(node.instance.db, object_id)
    assert stored is not None
    return stored.likes, stored.announces


def like(note: str) -> JSON:
    return fixture(
        "mastodon_like_1.json",
        {
            "https://other_domain/users/phoenix": BOB,
            "https://my_domain/activitypub/helge/id567": note,
        },
    )


def like_undo(note: str) -> JSON:
    return fixture(
        "mastodon_like_1_undo.json",
        {
            "https://other_domain/users/phoenix": BOB,
            "https://my_domain/activitypub/helge/id567": note,
        },
    )


async def test_a_like_counts_once_per_actor_and_its_undo_uncounts(net: Network) -> None:
    a, _ = await pair(net)
    alice = await member(a, "alice")
    note = await local_note(a, alice)
    liked = like(note)
    await receive(a, liked)
    await receive(a, liked)  # the same item again
    await receive(a, {**liked, "id": f"{BOB}#likes/558"})  # a second Like by the same actor
    await receive(a, {**liked, "id": f"{ELM}/users/erin#likes/1", "actor": f"{ELM}/users/erin"})
    assert await counts(a, note) == (2, 0)
    assert await reactions.count(a.instance.db, "Like", note) == 2

    undo = like_undo(note)
    await receive(a, {**undo, "actor": f"{ELM}/users/mallory"})  # not the liker's to undo
    assert await counts(a, note) == (2, 0)
    await receive(a, undo)
    await receive(a, undo)
    assert await counts(a, note) == (1, 0)
    assert await reactions.find(a.instance.db, "Like", BOB, note) is None


async def test_an_undo_naming_the_like_by_actor_and_object(net: Network) -> None:
    a, _ = await pair(net)
    note = await local_note(a, await member(a, "alice"))
    await receive(a, like(note))
    undo = like_undo(note)
    undo["object"] = {**undo["object"], "id": f"{ELM}/some-other-id"}
    await receive(a, undo)
    assert await counts(a, note) == (0, 0)


async def test_announce_and_undo_from_mastodon(net: Network) -> None:
    a, _ = await pair(net)
    note = await local_note(a, await member(a, "alice"))
    hosts = {
        "https://first_domain/users/first": BOB,
        "https://first_domain/users/john": f"{ELM}/users/john",
        "https://second_domain/users/second/statuses/109724234853": note,
        "https://second_domain/users/second": f"{OAK}/users/alice",
    }
    announce = fixture("mastodon_announce_1.json", hosts)
    await receive(a, announce)
    await receive(a, announce)
    assert await counts(a, note) == (0, 1)
    # Mastodon's Undo embeds the Announce under another actor's name; what counts is that
    # the Announce it names (by id) was bob's, and bob signs the Undo.
    await receive(a, fixture("mastodon_announce_1_undo.json", hosts))
    assert await counts(a, note) == (0, 0)


async def test_reactions_to_objects_not_ours_are_ignored(net: Network) -> None:
    a, b = await pair(net)
    elsewhere = await local_note(b, await member(b, "bob"))
    await receive(a, like(elsewhere))
    await receive(a, like("http://pine.test/objects/1"))
    gone = await local_note(a, await member(a, "alice"), "objects/gone")
    async with a.instance.db.transaction() as tx:
        await objects.mark_deleted(tx, gone, "2026-05-02T00:00:00+00:00")
    await receive(a, like(gone))
    assert await a.instance.db.fetch_value("SELECT count(*) FROM reactions") == 0


async def test_our_objects_kept_elsewhere_are_counted_in_reactions(net: Network) -> None:
    """A listing lives in its own table: its Likes are still recorded once per actor."""
    a, _ = await pair(net)
    listing = f"{OAK}/listings/8f2c"
    await receive(a, like(listing))
    await receive(a, {**like(listing), "id": f"{BOB}#likes/9"})
    assert await reactions.count(a.instance.db, "Like", listing) == 1
