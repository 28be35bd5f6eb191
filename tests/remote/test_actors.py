"""get_remote_actor and resolve_key: fetched over the harness router, cached in the database
and in memory, refetched on demand."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from fedishare.core.types import utc_now
from fedishare.federation.errors import FetchError, KeyUnavailable
from fedishare.federation.remote_actor_document import InvalidActor
from fedishare.remote.actors import (
    KEY_REFETCH_SECONDS,
    KeyGone,
    get_remote_actor,
    resolve_key,
)
from fedishare.storage import remote_actors as stored
from tests.harness import Network, Node
from tests.mastodon_peer import MastodonPeer, rsa_key


@pytest.fixture
async def oak(net: Network) -> Node:
    return await net.add("oak.test")


@pytest.fixture
def peer(net: Network) -> MastodonPeer:
    return MastodonPeer.on(net, "mastodon.test")


async def test_a_fedishare_actor_is_fetched_once_then_read_from_the_cache(
    net: Network, oak: Node
) -> None:
    elm = await net.add("elm.test")
    actor = await get_remote_actor(oak.instance, "http://elm.test/users/community")

    assert actor.type == "Group"
    assert actor.host == "elm.test"
    assert actor.inbox == "http://elm.test/users/community/inbox"
    assert actor.shared_inbox == "http://elm.test/inbox"
    assert actor.key_id == "http://elm.test/users/community#main-key"
    assert actor.handle == "@community@elm.test"
    assert await stored.get(oak.instance.db, actor.id) == actor
    fetches = [r for r in net.router.requests if r.url.host == "elm.test"]
    assert len(fetches) == 1
    assert 'keyId="http://oak.test/actor#main-key"' in fetches[0].headers["signature"]

    assert await get_remote_actor(oak.instance, actor.id) == actor
    assert len([r for r in net.router.requests if r.url.host == "elm.test"]) == 1
    await get_remote_actor(oak.instance, actor.id, refresh=True)
    assert len([r for r in net.router.requests if r.url.host == "elm.test"]) == 2
    del elm


async def test_resolve_key_fetches_the_actor_then_answers_from_memory(
    oak: Node, peer: MastodonPeer
) -> None:
    aid = peer.add("ann", rsa_key(0))
    key = await resolve_key(oak.instance, peer.key_id("ann"), False)

    assert key.owner == aid
    assert key.public_key.public_numbers() == rsa_key(0).public_key().public_numbers()
    assert peer.fetched == ["/users/ann"]
    assert await resolve_key(oak.instance, peer.key_id("ann"), False) is key
    assert peer.fetched == ["/users/ann"]


async def test_a_stored_key_survives_a_restart_of_the_memory_cache(
    oak: Node, peer: MastodonPeer
) -> None:
    peer.add("ann", rsa_key(0))
    await resolve_key(oak.instance, peer.key_id("ann"), False)
    oak.instance.public_keys.forget_owner(peer.actor_id("ann"))

    key = await resolve_key(oak.instance, peer.key_id("ann"), False)
    assert key.owner == peer.actor_id("ann")
    assert peer.fetched == ["/users/ann"]


async def test_refresh_fetches_the_rotated_key(oak: Node, peer: MastodonPeer) -> None:
    peer.add("ann", rsa_key(0))
    await resolve_key(oak.instance, peer.key_id("ann"), False)
    peer.add("ann", rsa_key(1))

    assert (
        await resolve_key(oak.instance, peer.key_id("ann"), False)
    ).public_key.public_numbers() == rsa_key(0).public_key().public_numbers()
    # Within a minute of fetching it, the key is not fetched again.
    assert (
        await resolve_key(oak.instance, peer.key_id("ann"), True)
    ).public_key.public_numbers() == (rsa_key(0).public_key().public_numbers())
    assert peer.fetched == ["/users/ann"]
    oak.instance.clock = lambda: utc_now() + timedelta(seconds=KEY_REFETCH_SECONDS + 1)
    fresh = await resolve_key(oak.instance, peer.key_id("ann"), True)
    assert fresh.public_key.public_numbers() == rsa_key(1).public_key().public_numbers()
    stored_actor = await stored.get(oak.instance.db, peer.actor_id("ann"))
    assert stored_actor is not None and "MII" in stored_actor.public_key_pem
    assert await resolve_key(oak.instance, peer.key_id("ann"), False) is fresh


async def test_a_key_document_leads_to_its_owner(oak: Node, peer: MastodonPeer) -> None:
    aid = peer.add("kim", rsa_key(0), key_document=True)
    key = await resolve_key(oak.instance, peer.key_id("kim"), False)

    assert key.key_id == "http://mastodon.test/keys/kim"
    assert key.owner == aid
    assert peer.fetched == ["/keys/kim", "/users/kim"]


async def test_a_key_id_that_is_the_actor_id_names_its_key(oak: Node, peer: MastodonPeer) -> None:
    aid = peer.add("ann", rsa_key(0))
    key = await resolve_key(oak.instance, aid, False)
    assert (key.key_id, key.owner) == (aid, aid)
    assert key.public_key.public_numbers() == rsa_key(0).public_key().public_numbers()


async def test_concurrent_requests_for_a_new_key_fetch_it_once(
    oak: Node, peer: MastodonPeer
) -> None:
    peer.add("ann", rsa_key(0))
    keys = await asyncio.gather(
        *(resolve_key(oak.instance, peer.key_id("ann"), False) for _ in range(10))
    )
    assert {k.owner for k in keys} == {peer.actor_id("ann")}
    assert peer.fetched == ["/users/ann"]


async def test_a_gone_actor_gives_key_gone(oak: Node, peer: MastodonPeer) -> None:
    peer.add("ann", rsa_key(0))
    peer.gone.add("ann")
    with pytest.raises(KeyGone):
        await resolve_key(oak.instance, peer.key_id("ann"), False)
    with pytest.raises(FetchError) as caught:
        await get_remote_actor(oak.instance, peer.actor_id("ann"))
    assert caught.value.status == 410


async def test_an_unknown_key_is_unavailable(oak: Node, peer: MastodonPeer) -> None:
    with pytest.raises(KeyUnavailable):
        await resolve_key(oak.instance, "http://nowhere.test/users/x#main-key", False)


async def test_an_actor_that_does_not_list_the_key_is_refused(
    oak: Node, peer: MastodonPeer
) -> None:
    peer.add("ann", rsa_key(0))
    with pytest.raises(KeyUnavailable, match="does not list"):
        await resolve_key(oak.instance, peer.actor_id("ann") + "#other-key", False)


async def test_invalid_documents_are_not_stored(oak: Node, peer: MastodonPeer) -> None:
    peer.add("ann", rsa_key(0))
    with pytest.raises(InvalidActor):
        # served at /users/ann, so its id is not the URL asked for
        await get_remote_actor(oak.instance, "http://mastodon.test/users/ann?x")
    assert await stored.get(oak.instance.db, "http://mastodon.test/users/ann?x") is None
