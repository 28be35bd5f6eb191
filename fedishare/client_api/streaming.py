"""The streaming API over WebSocket (`/api/v1/streaming`), as Elk and Phanpy use it: the
token in `access_token` or the `Sec-WebSocket-Protocol` header, streams named by `stream`
(and `tag`) in the query or by `{"type": "subscribe", "stream": ..., "tag": ...}` messages;
events `{"stream": [...], "event": "update" | "notification" | "delete" | "conversation",
"payload": "<JSON text>"}`. The fan-out is `fedishare.statuses.streaming`; this only
speaks the protocol and renders what it hands over."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from fedishare.client_api.conversations import render_conversations
from fedishare.client_api.entities.notification import render_notifications
from fedishare.client_api.entities.status import render_status
from fedishare.context import Instance
from fedishare.core.json_text import parse_json
from fedishare.oauth import scopes
from fedishare.statuses import conversation_list
from fedishare.statuses.streaming import (
    MEMBER_STREAMS,
    STREAMS,
    Happening,
    Hub,
    Stream,
    Subscriber,
)
from fedishare.statuses.visibility import can_see
from fedishare.storage import actors, tokens
from fedishare.storage.actors import LocalActor

_HUB = "streaming_hub"
_SCOPES = "Access token does not have the required scopes"


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


@dataclass(frozen=True)
class _Viewer:
    member: LocalActor | None  # None without a token
    scopes: frozenset[str] = frozenset()


async def _viewer(inst: Instance, token: str | None) -> _Viewer | None:
    """Who is connecting: nobody without a token; None for a bad token (or an app's own,
    which has no member to stream for)."""
    if token is None:
        return _Viewer(None)
    found = await tokens.find(inst.db, token)
    if found is None or found.actor_id is None:
        return None
    member = await actors.find_by_id(inst.db, found.actor_id)
    return None if member is None else _Viewer(member, found.scope_set)


def _allowed(viewer: _Viewer, stream: Stream) -> str | None:
    """Why `viewer` may not take `stream` (None when they may). As Mastodon's streaming
    server: public and hashtag streams need no scope; the notification stream needs `read`
    or `read:notifications`, the other member streams `read` or `read:statuses`."""
    if stream.name not in MEMBER_STREAMS:
        return None
    if viewer.member is None:
        return "Missing access token"
    needed = "read:notifications" if stream.name == "user:notification" else "read:statuses"
    return None if scopes.allows(viewer.scopes, needed) else _SCOPES


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
    if not await can_see(inst, member, happening.status):
        return None  # the stream's query should not have found it: never sent regardless
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


async def _change(
    websocket: WebSocket, hub: Hub, sub: Subscriber, viewer: _Viewer, message: object
) -> None:
    """A subscribe or unsubscribe message; an error message for anything else."""
    kind = message.get("type") if isinstance(message, dict) else None
    stream = (
        _stream(message.get("stream"), message.get("tag")) if isinstance(message, dict) else None
    )
    if kind not in ("subscribe", "unsubscribe") or stream is None:
        await websocket.send_json({"error": "Unknown stream type", "status": 400})
    elif (refused := _allowed(viewer, stream)) is not None:
        await websocket.send_json({"error": refused, "status": 401})
    elif kind == "subscribe":
        await hub.subscribe(sub, stream)
    else:
        hub.unsubscribe(sub, stream)


async def streaming(websocket: WebSocket) -> None:
    inst: Instance = websocket.state.instance
    viewer = await _viewer(inst, _token(websocket))
    if viewer is None:
        await websocket.close(code=4001, reason="The access token is invalid")
        return
    first = _stream(websocket.query_params.get("stream"), websocket.query_params.get("tag"))
    refused = None if first is None else _allowed(viewer, first)
    if refused is not None:
        await websocket.close(code=4001, reason=refused)
        return
    offered = websocket.headers.get("sec-websocket-protocol")
    hub = _hub(websocket, inst)
    async with hub.subscription(viewer.member) as sub:
        # Subscribed before the socket is accepted: what is stored once the app is
        # connected comes after the stream's starting point, so it is sent.
        if first is not None:
            await hub.subscribe(sub, first)
        await websocket.accept(subprotocol=offered.strip() if offered else None)
        sender = asyncio.create_task(_send_events(websocket, inst, sub))
        try:
            while True:
                text = await websocket.receive_text()
                try:
                    message = parse_json(text)
                except ValueError:
                    message = None
                await _change(websocket, hub, sub, viewer, message)
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
