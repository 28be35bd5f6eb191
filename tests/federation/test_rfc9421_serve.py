"""A real `fedishare serve` takes RFC 9421-signed activities from a Mastodon-like peer on
loopback, the way Mastodon 4.5 sends them, and refuses a tampered one saying why."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from tests.browser.fediverse import mastodon_on_loopback
from tests.federation import rfc9421
from tests.mastodon_peer import AS_CONTEXT, rsa_key
from tests.processes import cli, local_site, serving
from tests.waiting import eventually

AS = "application/activity+json"
ACCEPT_SIGNATURE = 'sig1=("@method" "@target-uri" "content-digest");created;keyid'


async def test_a_9421_signed_follow_is_accepted_and_a_tampered_one_refused(
    tmp_path: Path,
) -> None:
    site, port = await local_site(tmp_path, "oak")
    assert (await cli(site, "account", "create", "alice"))[0] == 0
    alice = f"http://127.0.0.1:{port}/users/alice"
    inbox = f"{alice}/inbox"

    async with (
        mastodon_on_loopback("bob") as peer,
        serving(site, port),
        httpx.AsyncClient(timeout=30) as client,
    ):
        bob = peer.actor_id("bob")

        def signed(activity: dict[str, object]) -> tuple[bytes, dict[str, str]]:
            body = json.dumps({"@context": AS_CONTEXT, **activity}).encode()
            headers = rfc9421.signed_post(
                rsa_key(0), peer.key_id("bob"), inbox, body, created=int(time.time())
            )
            return body, headers

        follow = {"id": f"{bob}#follows/1", "type": "Follow", "actor": bob, "object": alice}
        body, headers = signed(follow)
        answer = await client.post(inbox, content=body, headers=headers)
        assert answer.status_code == 202, answer.text

        async def bob_follows_alice() -> bool:
            page = await client.get(f"{alice}/followers?page=1", headers={"Accept": AS})
            return bob in page.json().get("orderedItems", [])

        await eventually(bob_follows_alice, within=30, every=0.2)

        undo = {"id": f"{bob}#undo/1", "type": "Undo", "actor": bob, "object": follow}
        body, headers = signed(undo)
        tampered = body.replace(b'"Undo"', b'"Like"')
        answer = await client.post(inbox, content=tampered, headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"error": "Content-Digest does not match the body"}
        assert answer.headers["accept-signature"] == ACCEPT_SIGNATURE

        headers = rfc9421.signed_post(
            rsa_key(0),
            peer.key_id("bob"),
            inbox,
            body,
            created=int(time.time()),
            components=("@method", "@target-uri"),
        )
        answer = await client.post(inbox, content=body, headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"error": "content-digest is not signed"}
        assert answer.headers["accept-signature"] == ACCEPT_SIGNATURE

        # Neither refusal undid the follow.
        assert await bob_follows_alice()
