"""Secure mode (`[federation] secure_mode`, Mastodon's authorized fetch): our actors,
objects, collections and listings go only to signed GETs from servers we federate with,
while the instance actor, discovery and the web pages stay public; federation between two
instances in secure mode still works, followers-only listings included."""

from __future__ import annotations

import time

import httpx

from fedishare.accounts import relations
from fedishare.accounts.members import create_member
from fedishare.core.activitystreams import PUBLIC
from fedishare.federation.errors import FetchError
from fedishare.federation.signing import sign_headers
from fedishare.follows.following import follow_actor
from fedishare.listings import service
from fedishare.moderation import account_blocks
from fedishare.remote.fetch import signed_get
from fedishare.statuses.notes import publish_note
from fedishare.storage import actors, follows
from fedishare.storage import listings as listing_store
from fedishare.storage.actors import LocalActor
from tests.federation import rfc9421
from tests.harness import Network, Node
from tests.listings.factory import draft
from tests.listings.federation_support import peer
from tests.mastodon_peer import MastodonPeer, rsa_key
from tests.waiting import eventually

AS = {"Accept": "application/activity+json"}
HTML = {"Accept": "text/html"}
SECURE = {"secure_mode": True, "block": ["pine.test"]}


async def status_signed_by(node: Node, url: str) -> int:
    """The status `url` answers a GET signed by `node`'s instance actor."""
    try:
        await signed_get(node.instance, url)
    except FetchError as exc:
        assert exc.status is not None, exc.reason
        return exc.status
    return 200


async def get_signed_as(node: Node, member: LocalActor, url: str) -> httpx.Response:
    """A GET of `url` signed by `member` of `node` (not by its instance actor)."""
    key = node.instance.keys.get(member.id, member.private_key_pem)
    headers = sign_headers(
        "GET",
        url,
        None,
        key_id=f"{node.base}/users/{member.username}#main-key",
        private_key=key,
        now=node.instance.clock(),
    )
    return await node.client.get(url, headers={**AS, **headers})


async def test_only_signed_gets_from_servers_we_federate_with_are_answered(net: Network) -> None:
    oak = await net.add("oak.test", federation=SECURE)
    elm, pine = await net.add("elm.test"), await net.add("pine.test")
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    listing = (await service.create_listing(oak.instance, alice, draft())).listing
    actor = f"{oak.base}/users/alice"
    documents = [
        actor,
        f"{actor}/outbox",
        f"{actor}/outbox?page=1",
        f"{actor}/followers",
        f"{actor}/following?page=1",
        f"{oak.base}/users/community",
        f"{oak.base}/actor/outbox",
        listing.id,
    ]
    client = elm.client
    for url in documents:
        unsigned = await client.get(url, headers=AS)
        assert unsigned.status_code == 401, url
        assert "secure mode" in unsigned.json()["error"]
        assert await status_signed_by(elm, url) == 200, url
    # Unknown objects and activities: refused before anything is looked up.
    for url in (f"{oak.base}/objects/nothing", f"{oak.base}/activities/nothing"):
        assert (await client.get(url, headers=AS)).status_code == 401
        assert await status_signed_by(elm, url) == 404

    # The instance actor (its key verifies our own fetches), discovery and pages stay public.
    instance_actor = await client.get(f"{oak.base}/actor", headers=AS)
    assert instance_actor.status_code == 200
    assert instance_actor.json()["publicKey"]["id"] == f"{oak.base}/actor#main-key"
    for url, headers in [
        (f"{oak.base}/.well-known/webfinger?resource=acct:alice@oak.test", {}),
        (f"{oak.base}/.well-known/nodeinfo", {}),
        (f"{oak.base}/nodeinfo/2.1", {}),
        (f"{oak.base}/ns", {}),
        (actor, HTML),
        (listing.id, HTML),
    ]:
        assert (await client.get(url, headers=headers)).status_code == 200, url

    # A blocked server is refused, and its key is never fetched.
    before = len(net.router.requests)
    assert await status_signed_by(pine, actor) == 403
    assert not [r for r in net.router.requests[before:] if r.url.host == "pine.test"]

    # A signature that does not verify (made for another URL) is refused.
    app = await actors.find_by_kind(elm.instance.db, "application")
    assert app is not None
    key = elm.instance.keys.get(app.id, app.private_key_pem)
    headers = sign_headers(
        "GET",
        f"{actor}/outbox",
        None,
        key_id=f"{elm.base}/actor#main-key",
        private_key=key,
        now=elm.instance.clock(),
    )
    forged = await client.get(actor, headers=headers)
    assert forged.status_code == 401


async def test_two_instances_in_secure_mode_federate(net: Network) -> None:
    oak = await net.add("oak.test", federation=SECURE)
    elm = await net.add("elm.test", federation=SECURE)
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    bob = await create_member(elm.instance.db, elm.instance.clock, "bob")
    public = (await service.create_listing(oak.instance, alice, draft(title="Lamp"))).listing
    await peer(elm, oak)  # reads oak's community and its outbox, signed

    async def kept(listing_id: str) -> bool:
        return await listing_store.get(elm.instance.db, listing_id) is not None

    await eventually(lambda: kept(public.id))

    alice_id = f"{oak.base}/users/alice"
    await follow_actor(elm.instance, bob, alice_id)  # oak fetches bob's actor, signed

    async def accepted() -> bool:
        found = await follows.find(elm.instance.db, f"{elm.base}/users/bob", alice_id)
        return found is not None and found.state == "accepted"

    await eventually(accepted)
    private = await service.create_listing(oak.instance, alice, draft(visibility="followers"))
    await eventually(lambda: kept(private.listing.id))
    stored = await listing_store.get(elm.instance.db, private.listing.id)
    assert stored is not None and stored.visibility == "followers"
    # elm's own documents are guarded as well.
    unsigned = await httpx.AsyncClient(transport=net.router).get(
        f"{elm.base}/users/bob", headers=AS
    )
    assert unsigned.status_code == 401


async def test_an_account_an_admin_blocked_is_refused_its_signed_gets(net: Network) -> None:
    oak = await net.add("oak.test", federation=SECURE)
    elm = await net.add("elm.test")
    await create_member(oak.instance.db, oak.instance.clock, "alice")
    actor = f"{oak.base}/users/alice"
    assert await status_signed_by(elm, actor) == 200
    admin = await actors.find_by_kind(oak.instance.db, "application")
    assert admin is not None
    # elm's instance actor signs elm's fetches; the rest of elm is not blocked.
    await account_blocks.block(oak.instance, f"{elm.base}/actor", "scraping", admin)
    assert await status_signed_by(elm, actor) == 403
    bob = await create_member(elm.instance.db, elm.instance.clock, "bob")
    response = await get_signed_as(elm, bob, actor)
    assert response.status_code == 200, response.text


async def test_a_members_documents_are_not_found_by_accounts_they_block(net: Network) -> None:
    oak = await net.add("oak.test", federation=SECURE)
    elm = await net.add("elm.test")
    alice = await create_member(oak.instance.db, oak.instance.clock, "alice")
    bob = await create_member(elm.instance.db, elm.instance.clock, "bob")
    carol = await create_member(elm.instance.db, elm.instance.clock, "carol")
    public = {"to": [PUBLIC], "cc": [f"{oak.base}/users/alice/followers"]}
    create = await publish_note(oak.instance, alice, {"content": "<p>Hello</p>", **public})
    listing = (await service.create_listing(oak.instance, alice, draft())).listing
    documents = [create["object"]["id"], create["id"], listing.id]
    outbox_page = f"{oak.base}/users/alice/outbox?page=1"
    await relations.block(oak.instance, alice, f"{elm.base}/users/bob")

    async def signed_as(member: LocalActor, url: str) -> httpx.Response:
        return await get_signed_as(elm, member, url)

    for url in documents:
        assert (await signed_as(bob, url)).status_code == 404, url
        assert (await signed_as(carol, url)).status_code == 200, url
        assert await status_signed_by(elm, url) == 200, url  # elm itself is not blocked
    hidden = await signed_as(bob, outbox_page)
    assert hidden.status_code == 200
    assert hidden.json()["orderedItems"] == [] and hidden.json()["totalItems"] == 0
    shown = (await signed_as(carol, outbox_page)).json()
    assert create["id"] in [item["id"] for item in shown["orderedItems"]]
    # alice's profile stays readable: bob's server needs it to know whom he is blocked by.
    assert (await signed_as(bob, f"{oak.base}/users/alice")).status_code == 200

    await relations.unblock(oak.instance, alice, f"{elm.base}/users/bob")
    for url in documents:
        assert (await signed_as(bob, url)).status_code == 200, url


async def test_an_rfc_9421_signature_must_name_the_scheme_we_are_reached_by(
    net: Network,
) -> None:
    oak = await net.add("oak.test", federation=SECURE)  # reached over plain http
    await create_member(oak.instance.db, oak.instance.clock, "alice")
    mastodon = MastodonPeer.on(net, "mastodon.test")
    mastodon.add("john", rsa_key(0))
    actor = f"{oak.base}/users/alice"

    async def status_signed_for(url: str) -> int:
        headers = rfc9421.sign(
            rsa_key(0),
            mastodon.key_id("john"),
            "GET",
            url,
            AS,
            created=int(time.time()),
            components=rfc9421.MASTODON_GET,
        )
        return (await oak.client.get(actor, headers=headers)).status_code

    assert await status_signed_for(actor) == 200
    # Signed for https://oak.test/…, an address this instance does not answer at.
    assert await status_signed_for(actor.replace("http://", "https://")) == 401
