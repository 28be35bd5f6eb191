"""The streaming API over WebSocket (`/api/v1/streaming`), as Elk and Phanpy use it: the
token in `access_token` or the `Sec-WebSocket-Protocol` header, streams named by `stream`
(and `tag`) in the query or by `{"type": "subscribe", "stream": ..., "tag": ...}` messages;
events `{"stream": [...], "event": "update" | "notification" | "delete" | "conversation",
"payload": "<JSON text>"}`. The fan-out is `fedishare.notifications.stream`; this only
speaks the protocol and renders what it hands over."""

from __future__ import annotations

import asyncio
import contextlib
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from fedishare.client_api.conversations import render_conversations
from fedishare.client_api.entities.notification import render_notifications
from fedishare.client_api.entities.status import render_status
from fedishare.context import Instance
from fedishare.notifications.stream import (
    MEMBER_STREAMS,
    STREAMS,
    Happening,
    Hub,
    Stream,
    Subscriber,
)
from fedishare.oauth import scopes
from fedishare.statuses import conversation_list
from fedishare.storage import actors, tokens
from fedishare.storage.actors import LocalActor

_HUB = "streaming_hub"


def _hub(websocket: WebSocket, inst: Instance) -> Hub:
    """The instance's hub, made on first use (one app serves one instance)."""
    state = websocket.app.state
    hub: Hub | None = getattr(state, _HUB, None)
    if hub is None:
        hub = Hub(inst)
        setattr(state, _HUB, hub)
    return hub


def _token(websocket: WebSocket) -> str | None:
    offered = websocket.headers.get("sec-websocket-protocol")
    scheme, _, bearer = websocket.headers.get("authorization", "").partition(" ")
    return (
        websocket.query_params.get("access_token")
        or (offered.strip() if offered else None)
        or (bearer.strip() if scheme.lower() == "bearer" else None)
    )


async def _member(inst: Instance, token: str | None) -> LocalActor | bool | None:
    """The member the token is for; None without a token; False for a bad one."""
    if token is None:
        return None
    found = await tokens.find(inst.db, token)
    if found is None or found.actor_id is None or not scopes.allows(found.scope_set, "read"):
        return False
    member = await actors.find_by_id(inst.db, found.actor_id)
    return False if member is None else member


def _stream(name: object, tag: object) -> Stream | None:
    if not isinstance(name, str) or name not in STREAMS:
        return None
    if name.startswith("hashtag"):
        return Stream(name, tag.lower().lstrip("#")) if isinstance(tag, str) and tag else None
    return Stream(name)


async def _payload(inst: Instance, sub: Subscriber, happening: Happening) -> str | None:
    if happening.event == "delete":
        return str(happening.deleted_id)
    member = sub.member
    if happening.notification is not None and member is not None:
        rendered = await render_notifications(inst, member, [happening.notification])
        return json.dumps(rendered[0]) if rendered else None
    if happening.status is None:
        return None
    if happening.event == "conversation":
        if member is None:
            return None
        entry = await conversation_list.of_status(inst, member, happening.status.uri)
        if entry is None:
            return None
        return json.dumps((await render_conversations(inst, member, [entry]))[0])
    return json.dumps(await render_status(inst, member, happening.status))


async def _send_events(websocket: WebSocket, inst: Instance, sub: Subscriber) -> None:
    while True:
        happening = await sub.queue.get()
        if happening.stream not in sub.streams and happening.event != "notification":
            continue  # unsubscribed since
        payload = await _payload(inst, sub, happening)
        if payload is not None:
            event = {"stream": happening.stream.label, "event": happening.event, "payload": payload}
            await websocket.send_text(json.dumps(event))


async def _change(websocket: WebSocket, hub: Hub, sub: Subscriber, message: object) -> None:
    """A subscribe or unsubscribe message; an error message for anything else."""
    kind = message.get("type") if isinstance(message, dict) else None
    stream = (
        _stream(message.get("stream"), message.get("tag")) if isinstance(message, dict) else None
    )
    if kind not in ("subscribe", "unsubscribe") or stream is None:
        await websocket.send_json({"error": "Unknown stream type", "status": 400})
    elif stream.name in MEMBER_STREAMS and sub.member is None:
        await websocket.send_json({"error": "Missing access token", "status": 401})
    elif kind == "subscribe":
        await hub.subscribe(sub, stream)
    else:
        hub.unsubscribe(sub, stream)


async def streaming(websocket: WebSocket) -> None:
    inst: Instance = websocket.state.instance
    member = await _member(inst, _token(websocket))
    if member is False:
        await websocket.close(code=4001, reason="The access token is invalid")
        return
    viewer = member if isinstance(member, LocalActor) else None
    first = _stream(websocket.query_params.get("stream"), websocket.query_params.get("tag"))
    if first is not None and first.name in MEMBER_STREAMS and viewer is None:
        await websocket.close(code=4001, reason="Missing access token")
        return
    offered = websocket.headers.get("sec-websocket-protocol")
    await websocket.accept(subprotocol=offered.strip() if offered else None)
    hub = _hub(websocket, inst)
    async with hub.subscription(viewer) as sub:
        if first is not None:
            await hub.subscribe(sub, first)
        sender = asyncio.create_task(_send_events(websocket, inst, sub))
        try:
            while True:
                text = await websocket.receive_text()
                try:
                    message = json.loads(text)
                except ValueError:
                    message = None
                await _change(websocket, hub, sub, message)
        except WebSocketDisconnect:
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await sender


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


async def _not_websocket(request: Request) -> Response:
    return JSONResponse({"error": "Streaming is served over WebSocket here"}, status_code=404)


routes: list[BaseRoute] = [
    Route("/api/v1/streaming/health", health, methods=["GET", "HEAD"]),
    WebSocketRoute("/api/v1/streaming", streaming),
    WebSocketRoute("/api/v1/streaming/", streaming),
]
