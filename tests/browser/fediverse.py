"""A Mastodon-like server on a loopback port beside the site under test: it serves its
people's actor documents and sends replies signed the way Mastodon signs them."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from html import escape

import httpx
import uvicorn

from fedishare.core.types import JSON
from tests.mastodon_peer import MastodonPeer, rsa_key


@asynccontextmanager
async def mastodon_on_loopback(*people: str) -> AsyncIterator[MastodonPeer]:
    """A MastodonPeer for `people`, served by uvicorn on 127.0.0.1 until the block ends."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    peer = MastodonPeer(f"127.0.0.1:{sock.getsockname()[1]}")
    for number, name in enumerate(people):
        peer.add(name, rsa_key(number))
    config = uvicorn.Config(
        peer.app, lifespan="off", ws="none", log_config=None, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError("the Mastodon-like peer did not start")
        yield peer
    finally:
        server.should_exit = True
        await task
        sock.close()


def direct_reply(
    peer: MastodonPeer, name: str, status: int, in_reply_to: str, to: str, handle: str, text: str
) -> JSON:
    """A Create(Note) as Mastodon sends a direct reply by `name` to the actor `to`
    (`handle`, e.g. @alice@host), mentioning them first."""
    actor = peer.actor_id(name)
    note = f"{actor}/statuses/{status}"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    user = handle.lstrip("@").split("@")[0]
    mention = (
        f'<span class="h-card" translate="no"><a href="{escape(to)}" class="u-url mention">'
        f"@<span>{escape(user)}</span></a></span>"
    )
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note}/activity",
        "type": "Create",
        "actor": actor,
        "published": now,
        "to": [to],
        "cc": [],
        "object": {
            "id": note,
            "type": "Note",
            "inReplyTo": in_reply_to,
            "published": now,
            "attributedTo": actor,
            "to": [to],
            "cc": [],
            "content": f"<p>{mention} {escape(text)}</p>",
            "tag": [{"type": "Mention", "href": to, "name": handle}],
        },
    }


async def deliver(peer: MastodonPeer, name: str, inbox: str, activity: JSON) -> None:
    """POST `activity` to `inbox`, signed by `name` as Mastodon signs; it must be accepted."""
    body, headers = peer.signed_post(name, inbox, activity, now=datetime.now(UTC))
    async with httpx.AsyncClient(timeout=10.0) as client:
        answer = await client.post(inbox, content=body, headers=headers)
    assert answer.status_code == 202, f"{inbox} answered {answer.status_code}: {answer.text}"
