"""The streaming API over a real WebSocket: oak.test served by uvicorn on loopback, an app
connected with the `websockets` library; statuses posted and notifications recorded reach
the streams that show them."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from fedishare.storage import tokens
from tests.client_api.conftest import Api
from tests.client_api.schema import check_entity
from tests.harness import _WithState
from tests.waiting import eventually


@pytest.fixture
async def served(api: Api) -> AsyncIterator[str]:
    """oak.test's app on a loopback port (its lifespan already ran in the harness)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = _WithState(api.node.app, {"instance": api.node.instance})
    config = uvicorn.Config(app, lifespan="off", log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        if task.done():  # it stopped before serving: show why
            task.result()
            raise AssertionError("uvicorn stopped before it started serving")
        return bool(server.started)

    await eventually(started, within=10)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def event(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next event of `kind` (others are passed over), within 10 seconds."""
    async with asyncio.timeout(10):
        while True:
            message = json.loads(await ws.recv())
            if message.get("event") == kind:
                return dict(message)


async def subscribed(api: Api, count: int) -> None:
    """Wait until the instance's streaming hub has `count` subscribers with their streams
    (one named in the URL is taken before the socket is accepted, one asked for by a
    message after)."""

    async def ready() -> bool:
        hub = getattr(api.node.app.state, "streaming_hub", None)
        return hub is not None and sum(1 for s in hub.subscribers if s.streams) == count

    await eventually(ready)


async def test_health(served: str) -> None:
    async with httpx.AsyncClient() as client:
        r = await client.get(f"http://{served}/api/v1/streaming/health")
    # Plain text, as Mastodon answers (the schema's check reads JSON bodies only).
    assert r.status_code == 200 and r.text == "OK"


async def test_the_user_stream_gets_followed_posts_and_notifications(api: Api, served: str) -> None:
    carol, carol_token = await api.new_member("carol")
    as_carol = api.as_(carol_token, carol)
    url = f"ws://{served}/api/v1/streaming?stream=user&access_token={api.token}"
    async with connect(url) as ws:
        carol_id = (await api.get("/api/v1/accounts/lookup", params={"acct": "carol"})).json()["id"]
        r = await api.post(f"/api/v1/accounts/{carol_id}/follow")
        assert r.status_code == 200, r.text
        alice_id = (await as_carol.get("/api/v1/accounts/lookup", params={"acct": "alice"})).json()[
            "id"
        ]
        assert (await as_carol.post(f"/api/v1/accounts/{alice_id}/follow")).status_code == 200
        notified = await event(ws, "notification")
        assert notified["stream"] == ["user"]
        notification = check_entity(json.loads(notified["payload"]), "Notification")
        assert notification["type"] == "follow" and notification["account"]["acct"] == "carol"

        posted = await as_carol.post("/api/v1/statuses", json={"status": "Pears to give"})
        assert posted.status_code == 200, posted.text
        update = await event(ws, "update")
        status = check_entity(json.loads(update["payload"]), "Status")
        assert status["id"] == posted.json()["id"] and "Pears" in status["content"]

        gone = await as_carol.delete(f"/api/v1/statuses/{status['id']}")
        assert gone.status_code == 200, gone.text
        deleted = await event(ws, "delete")
        assert deleted["payload"] == status["id"]


async def test_public_and_hashtag_streams_by_message_and_protocol_header(
    api: Api, served: str
) -> None:
    url = f"ws://{served}/api/v1/streaming"
    async with connect(url, subprotocols=[api.token]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "Garden"}))
        await ws.send(json.dumps({"type": "subscribe", "stream": "nonsense"}))
        assert json.loads(await ws.recv()) == {"error": "Unknown stream type", "status": 400}
        await api.post("/api/v1/statuses", json={"status": "No tag here"})
        tagged = await api.post("/api/v1/statuses", json={"status": "Seeds #garden"})
        update = await event(ws, "update")
        assert update["stream"] == ["hashtag", "garden"]
        assert json.loads(update["payload"])["id"] == tagged.json()["id"]

    async with connect(f"{url}?stream=public:local") as ws:  # no token: public streams only
        posted = await api.post("/api/v1/statuses", json={"status": "Hello all"})
        update = await event(ws, "update")
        assert json.loads(update["payload"])["id"] == posted.json()["id"]


async def test_a_bad_token_or_no_token_for_the_user_stream_is_refused(served: str) -> None:
    for query in ("stream=user&access_token=nope", "stream=user"):
        with pytest.raises(InvalidStatus):
            async with connect(f"ws://{served}/api/v1/streaming?{query}") as ws:
                await ws.recv()


async def test_an_edit_reaches_the_streams_that_show_the_status(api: Api, served: str) -> None:
    posted = await api.post("/api/v1/statuses", json={"status": "Quinces #fruit"})
    assert posted.status_code == 200, posted.text
    status_id = posted.json()["id"]
    _, carol_token = await api.new_member("carol")
    public = f"ws://{served}/api/v1/streaming?stream=public&access_token={carol_token}"
    tag = f"ws://{served}/api/v1/streaming?stream=hashtag&tag=fruit"
    other = f"ws://{served}/api/v1/streaming?stream=hashtag&tag=veg"
    async with connect(public) as ws, connect(tag) as tagged, connect(other) as untagged:
        await subscribed(api, 3)
        edited = await api.put(f"/api/v1/statuses/{status_id}", json={"status": "Medlars #fruit"})
        assert edited.status_code == 200, edited.text
        for stream, socket_ in ((["public"], ws), (["hashtag", "fruit"], tagged)):
            update = await event(socket_, "status.update")
            assert update["stream"] == stream
            status = check_entity(json.loads(update["payload"]), "Status")
            assert status["id"] == status_id and "Medlars" in status["content"]
            assert status["edited_at"] is not None
        # The #veg stream hears of a #veg post, and nothing of the #fruit edit before it.
        veg = await api.post("/api/v1/statuses", json={"status": "Leeks #veg"})
        assert veg.status_code == 200, veg.text
        first = json.loads(await asyncio.wait_for(untagged.recv(), 10))
        assert first["event"] == "update"
        assert json.loads(first["payload"])["id"] == veg.json()["id"]


async def test_each_stream_wants_its_own_scope(api: Api, served: str) -> None:
    """As Mastodon's streaming server: `read:notifications` opens the notification
    stream, `read:statuses` the others; public streams want no scope at all."""
    inst = api.node.instance

    async def token(*scopes: str) -> str:
        async with inst.db.transaction() as tx:
            return await tokens.insert(
                tx, actor_id=api.member.id, app_id=None, scopes=scopes, now=inst.clock().timestamp()
            )

    base = f"ws://{served}/api/v1/streaming"
    notifications, statuses, writing = (
        await token("read:notifications"),
        await token("read:statuses"),
        await token("write"),
    )
    for stream, good, bad in (
        ("user:notification", notifications, statuses),
        ("user", statuses, notifications),
        ("direct", statuses, writing),
    ):
        async with connect(f"{base}?stream={stream}&access_token={good}") as ws:
            await ws.send(json.dumps({"type": "subscribe", "stream": "public"}))
        with pytest.raises(InvalidStatus):
            async with connect(f"{base}?stream={stream}&access_token={bad}") as ws:
                await ws.recv()
    async with connect(f"{base}?stream=public&access_token={writing}") as ws:
        await ws.send(json.dumps({"type": "subscribe", "stream": "user"}))
        assert json.loads(await ws.recv()) == {
            "error": "Access token does not have the required scopes",
            "status": 401,
        }
