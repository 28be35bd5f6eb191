"""The inbox endpoints end to end on the harness: signed POSTs from a fedishare node and from a
Mastodon-like peer are stored once and answered 202; every refusal leaves no row."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fedishare.accounts.members import create_member
from fedishare.core.types import JSON, utc_now
from fedishare.federation.signing import sign_headers
from fedishare.remote.actors import KEY_REFETCH_SECONDS
from fedishare.storage import actors
from fedishare.storage import remote_actors as stored_actors
from tests.harness import Network, Node
from tests.inbox.handler_support import fixture
from tests.mastodon_peer import MastodonPeer, rsa_key

OAK = "http://oak.test"
PEER = "http://mastodon.test"


@pytest.fixture
async def oak(net: Network) -> Node:
    # No workers: these tests look at what the route stored, not at its processing.
    return await net.add(
        "oak.test", federation={"block": ["blocked.test"]}, limits={"max_body_bytes": 4096}
    )


@pytest.fixture
def peer(net: Network) -> MastodonPeer:
    peer = MastodonPeer.on(net, "mastodon.test")
    peer.add("john", rsa_key(0))
    return peer


@pytest.fixture
async def client(net: Network) -> Any:
    async with net.client() as c:
        yield c


async def rows(node: Node) -> list[dict[str, Any]]:
    found = await node.instance.db.fetch_all("SELECT * FROM inbox_items ORDER BY id")
    return [dict(r) for r in found]


def note(n: int = 1, actor: str = f"{PEER}/users/john") -> JSON:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/statuses/{n}/activity",
        "type": "Create",
        "actor": actor,
        "object": {"id": f"{actor}/statuses/{n}", "type": "Note", "content": "<p>Ladder</p>"},
    }


async def post(
    client: httpx.AsyncClient,
    peer: MastodonPeer,
    node: Node,
    activity: JSON | bytes,
    *,
    path: str = "/inbox",
    name: str = "john",
    **options: Any,
) -> httpx.Response:
    body, headers = peer.signed_post(
        name, f"{OAK}{path}", activity, now=node.instance.clock(), **options
    )
    return await client.post(f"{OAK}{path}", content=body, headers=headers)


async def test_a_fedishare_node_posts_to_anothers_inbox(
    net: Network, oak: Node, client: httpx.AsyncClient
) -> None:
    elm = await net.add("elm.test")
    member = await create_member(elm.instance.db, elm.instance.clock, "ann")
    aid = "http://elm.test/users/ann"
    activity = note(1, aid)
    body = json.dumps(activity).encode()
    key = elm.instance.keys.get(member.id, member.private_key_pem)
    headers = sign_headers(
        "POST",
        f"{OAK}/inbox",
        body,
        key_id=f"{aid}#main-key",
        private_key=key,
        now=elm.instance.clock(),
    )
    response = await client.post(f"{OAK}/inbox", content=body, headers=headers)

    assert response.status_code == 202, response.text
    [row] = await rows(oak)
    assert (row["activity_id"], row["actor"], row["recipient_id"]) == (activity["id"], aid, None)
    assert json.loads(row["body"]) == activity
    # oak fetched ann's actor from elm, signed by its instance actor
    fetch = next(r for r in net.router.requests if str(r.url) == aid)
    assert 'keyId="http://oak.test/actor#main-key"' in fetch.headers["signature"]
    assert await stored_actors.get(oak.instance.db, aid) is not None


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"algorithm": "hs2019"},
        {"algorithm": None},
        {"digest_name": "sha-256"},
        {"covered": ("(request-target)", "host", "date", "digest")},
        {"covered": ("date", "digest", "host", "(request-target)", "content-type")},
    ],
    ids=[
        "rsa-sha256",
        "hs2019",
        "no-algorithm",
        "lowercase-digest",
        "no-content-type",
        "reordered",
    ],
)
async def test_mastodon_style_requests_are_accepted(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient, options: dict[str, Any]
) -> None:
    response = await post(client, peer, oak, note(), **options)
    assert response.status_code == 202, response.text
    assert len(await rows(oak)) == 1


async def test_the_query_string_is_part_of_the_signed_target(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    response = await post(client, peer, oak, note(), path="/inbox?from=relay%2Fa")
    assert response.status_code == 202, response.text


async def test_member_group_and_instance_inboxes_record_their_recipient(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    ann = await create_member(oak.instance.db, oak.instance.clock, "ann")
    group = await actors.find_by_username(oak.instance.db, "community")
    application = await actors.find_by_kind(oak.instance.db, "application")
    assert group is not None and application is not None
    for n, path in enumerate(["/users/ann/inbox", "/users/community/inbox", "/actor/inbox"]):
        response = await post(client, peer, oak, note(n), path=path)
        assert response.status_code == 202, response.text
    assert [r["recipient_id"] for r in await rows(oak)] == [ann.id, group.id, application.id]


async def test_a_replay_is_stored_once(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    first = await post(client, peer, oak, note())
    second = await post(client, peer, oak, note())
    also_personal = await post(client, peer, oak, note(), path="/users/community/inbox")
    assert [first.status_code, second.status_code, also_personal.status_code] == [202] * 3
    assert len(await rows(oak)) == 1


async def test_a_rotated_key_is_refetched(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    assert (await post(client, peer, oak, note(1))).status_code == 202
    peer.add("john", rsa_key(1))  # john's server rotates his key
    later(oak, KEY_REFETCH_SECONDS + 1)

    response = await post(client, peer, oak, note(2))

    assert response.status_code == 202, response.text
    assert peer.fetched == ["/users/john", "/users/john"]
    assert len(await rows(oak)) == 2


async def test_failing_signatures_refetch_a_key_once_a_minute_at_most(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    """Forged signatures naming a known key must not make us fetch it again and again."""
    assert (await post(client, peer, oak, note(1))).status_code == 202
    later(oak, KEY_REFETCH_SECONDS + 1)
    forged = [await post(client, peer, oak, note(n), key=rsa_key(2)) for n in (2, 3, 4)]

    assert [r.status_code for r in forged] == [401, 401, 401]
    assert peer.fetched == ["/users/john", "/users/john"]  # once more, then not again
    assert len(await rows(oak)) == 1

    peer.add("john", rsa_key(1))  # a real rotation, a minute on, is picked up
    later(oak, 2 * (KEY_REFETCH_SECONDS + 1))
    assert (await post(client, peer, oak, note(5))).status_code == 202
    assert peer.fetched == ["/users/john"] * 3


def later(node: Node, seconds: float) -> None:
    """Move the node's clock ``seconds`` past now (the peer signs with the same clock)."""
    node.instance.clock = lambda: utc_now() + timedelta(seconds=seconds)


async def test_a_key_document_signer_is_accepted(
    net: Network, oak: Node, client: httpx.AsyncClient
) -> None:
    peer = MastodonPeer.on(net, "keys.test")
    peer.add("kim", rsa_key(0), key_document=True)
    response = await post(client, peer, oak, note(1, "http://keys.test/users/kim"), name="kim")
    assert response.status_code == 202, response.text


FIXTURES = [
    "mastodon_announce_1.json",
    "mastodon_announce_1_undo.json",
    "mastodon_flow_1_create_note.json",
    "mastodon_flow_1_update_note.json",
    "mastodon_flow_2_create_note.json",
    "mastodon_flow_2_delete_note.json",
    "mastodon_follow_1.json",
    "mastodon_like_1.json",
    "mastodon_like_1_undo.json",
    "mastodon_delete_actor_1.json",
]


def moved(name: str) -> JSON:
    """A captured payload with its hosts moved onto the test network."""
    return fixture(
        name,
        {
            "https://mastodon/": f"{PEER}/",
            "https://first_domain/": f"{PEER}/",
            "https://other_domain/": f"{PEER}/",
            "https://example.com/": f"{PEER}/",
            "https://second_domain/": "http://elm.test/",
            "https://my_domain/": f"{OAK}/",
        },
    )


@pytest.mark.parametrize("name", FIXTURES)
async def test_captured_mastodon_activities_are_stored(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient, name: str
) -> None:
    activity = moved(name)
    sender = activity["actor"].rsplit("/", 1)[1]
    peer.add(sender, rsa_key(0))
    if activity["type"] == "Delete" and activity["object"] == activity["actor"]:
        await _known(oak, peer, sender)  # otherwise it is dropped, see below

    response = await post(client, peer, oak, activity, name=sender)

    assert response.status_code == 202, response.text
    [row] = await rows(oak)
    assert row["activity_id"] == activity["id"]
    assert json.loads(row["body"]) == activity


async def _known(oak: Node, peer: MastodonPeer, name: str) -> None:
    from fedishare.remote.actors import get_remote_actor

    await get_remote_actor(oak.instance, peer.actor_id(name))


async def test_a_known_actor_deleting_itself_is_accepted_with_its_cached_key(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    activity = moved("mastodon_delete_actor_1.json")
    peer.add("Alice", rsa_key(2))
    await _known(oak, peer, "Alice")
    peer.gone.add("Alice")  # the account is deleted: its key can no longer be fetched

    response = await post(client, peer, oak, activity, name="Alice")

    assert response.status_code == 202, response.text
    assert len(await rows(oak)) == 1


async def test_an_unknown_actor_deleting_itself_is_dropped_unverified(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    activity = moved("mastodon_delete_actor_1.json")
    peer.add("Alice", rsa_key(2))
    peer.gone.add("Alice")

    response = await post(client, peer, oak, activity, name="Alice")

    assert response.status_code == 202
    assert await rows(oak) == []
    assert peer.fetched == []  # not even an attempt to fetch the key


# --- refusals: each answered with its status, none leaving a row --------------------------


async def _refused(oak: Node, response: httpx.Response, status: int, reason: str = "") -> None:
    assert response.status_code == status, response.text
    if reason:
        assert reason in response.json()["error"]
    assert await rows(oak) == []
    assert await stored_actors.get(oak.instance.db, "http://mastodon.test/users/mallory") is None


async def test_an_unsigned_post_is_refused(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    body = json.dumps(note()).encode()
    response = await client.post(
        f"{OAK}/inbox", content=body, headers={"Content-Type": "application/activity+json"}
    )
    await _refused(oak, response, 401, "not signed")


@pytest.mark.parametrize(
    ("options", "status", "reason"),
    [
        ({"key": rsa_key(1)}, 401, "does not verify"),
        ({"covered": ("(request-target)", "host", "date")}, 401, "digest is not signed"),
        ({"covered": ("host", "date", "digest")}, 401, "(request-target) is not signed"),
        ({"algorithm": "hmac-sha256"}, 401, "unsupported algorithm"),
        ({"digest_name": "SHA-512"}, 401, "Digest"),
    ],
    ids=["wrong-key", "no-digest", "no-target", "algorithm", "digest-algorithm"],
)
async def test_bad_signatures_are_refused(
    oak: Node,
    peer: MastodonPeer,
    client: httpx.AsyncClient,
    options: dict[str, Any],
    status: int,
    reason: str,
) -> None:
    response = await post(client, peer, oak, note(), **options)
    await _refused(oak, response, status, reason)


async def test_a_body_that_does_not_match_the_digest_is_refused(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    body, headers = peer.signed_post("john", f"{OAK}/inbox", note(1), now=oak.instance.clock())
    tampered = body.replace(b"Ladder", b"Gadder")
    response = await client.post(f"{OAK}/inbox", content=tampered, headers=headers)
    await _refused(oak, response, 401, "Digest does not match")


async def test_a_stale_date_is_refused(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    from datetime import timedelta

    body, headers = peer.signed_post(
        "john", f"{OAK}/inbox", note(), now=oak.instance.clock() - timedelta(hours=2)
    )
    response = await client.post(f"{OAK}/inbox", content=body, headers=headers)
    await _refused(oak, response, 401, "too old")


async def test_a_malformed_signature_header_is_a_bad_request(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    body, headers = peer.signed_post("john", f"{OAK}/inbox", note(), now=oak.instance.clock())
    headers["Signature"] = headers["Signature"].replace('signature="', 'signature="!!')
    response = await client.post(f"{OAK}/inbox", content=body, headers=headers)
    await _refused(oak, response, 400)


async def test_a_key_of_another_actor_is_refused(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    # john signs an activity claiming to be mallory's (same host, so only the key tells)
    peer.add("mallory", rsa_key(1))
    response = await post(client, peer, oak, note(1, f"{PEER}/users/mallory"), name="john")
    await _refused(oak, response, 401, "not by the actor")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b"[]", "not a JSON object"),
        (json.dumps({k: v for k, v in note().items() if k != "id"}).encode(), "id: required"),
        (json.dumps({k: v for k, v in note().items() if k != "type"}).encode(), "type: required"),
        (json.dumps({k: v for k, v in note().items() if k != "actor"}).encode(), "actor: req"),
        (json.dumps({**note(), "id": "http://elm.test/activity/1"}).encode(), "not on its actor"),
        (json.dumps({**note(), "actor": "acct:john@mastodon.test"}).encode(), "not an http"),
        (b"[" * 2_000 + b"]" * 2_000, "nests deeper than 64"),  # 4 kB: under the limit
        (json.dumps({**note(), "object": 7}).encode(), "object: must be an id or an object"),
        (json.dumps({**note(), "to": 7}).encode(), "to: must be an id"),
        (json.dumps({**note(), "actor": [f"{PEER}/users/a", f"{PEER}/users/b"]}).encode(), "one"),
        (
            json.dumps(
                {**note(), "object": {"id": "http://elm.test/n/1", "type": "Note"}}
            ).encode(),
            "object: its id is not on its actor's host",
        ),
    ],
    ids=[
        "text",
        "binary",
        "array",
        "no-id",
        "no-type",
        "no-actor",
        "foreign-id",
        "actor-not-url",
        "deep",
        "object-number",
        "to-number",
        "actors",
        "foreign-object",
    ],
)
async def test_malformed_activities_are_bad_requests(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient, body: bytes, reason: str
) -> None:
    response = await post(client, peer, oak, body)
    await _refused(oak, response, 400, reason)


async def test_a_blocked_actor_host_is_forbidden(
    net: Network, oak: Node, client: httpx.AsyncClient
) -> None:
    blocked = MastodonPeer.on(net, "blocked.test")
    blocked.add("eve", rsa_key(1))
    response = await post(
        client, blocked, oak, note(1, "http://blocked.test/users/eve"), name="eve"
    )
    await _refused(oak, response, 403, "blocked.test")
    assert blocked.fetched == []


@pytest.mark.parametrize("signer_host", ["sub.blocked.test", "elm.test"])
async def test_a_key_off_the_actors_host_is_refused_unfetched(
    net: Network, oak: Node, peer: MastodonPeer, client: httpx.AsyncClient, signer_host: str
) -> None:
    # A keyId elsewhere than the actor's host cannot be the actor's key: refused before
    # anything is fetched for it, whether or not its host is blocked.
    other = MastodonPeer.on(net, signer_host)
    other.add("eve", rsa_key(1))
    body, headers = other.signed_post("eve", f"{OAK}/inbox", note(), now=oak.instance.clock())
    response = await client.post(f"{OAK}/inbox", content=body, headers=headers)
    await _refused(oak, response, 401, "not on the actor's host")
    assert other.fetched == [] and peer.fetched == []
    assert await stored_actors.get(oak.instance.db, other.actor_id("eve")) is None


async def test_a_body_over_the_limit_is_too_large(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    big = {**note(), "padding": "x" * 5000}
    response = await post(client, peer, oak, big)
    await _refused(oak, response, 413)


async def test_a_streamed_body_over_the_limit_is_too_large(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    body, headers = peer.signed_post(
        "john", f"{OAK}/inbox", {**note(), "p": "x" * 5000}, now=oak.instance.clock()
    )

    async def chunks() -> Any:
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    response = await client.post(f"{OAK}/inbox", content=chunks(), headers=headers)
    await _refused(oak, response, 413)


async def test_an_unknown_member_has_no_inbox(
    oak: Node, peer: MastodonPeer, client: httpx.AsyncClient
) -> None:
    response = await post(client, peer, oak, note(), path="/users/nobody/inbox")
    await _refused(oak, response, 404)
    response = await post(client, peer, oak, note(), path="/users/instance.actor/inbox")
    await _refused(oak, response, 404)


@pytest.mark.parametrize("path", ["/inbox", "/actor/inbox", "/users/community/inbox"])
async def test_get_is_not_allowed(oak: Node, client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(f"{OAK}{path}")
    assert response.status_code == 405
