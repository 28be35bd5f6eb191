"""The inbox endpoints: the shared inbox, each member's and the group's, and the instance
actor's. They verify, store and answer 202; the inbox worker processes stored activities."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from functools import partial
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedishare.context import Instance
from fedishare.federation.errors import SignatureError
from fedishare.inbox.errors import InboxUnavailable, NoSuchInbox
from fedishare.inbox.receive import Delivery, receive
from fedishare.inbox.store import InboxWriter
from fedishare.storage import actors
from fedishare.web.bodies import read_limited
from fedishare.web.errors import Refusal
from fedishare.web.responses import error_response

WRITER_STATE = "inbox_writer"  # the lifespan state key of the InboxWriter


# Finds the local actor whose inbox was posted to (None: the shared inbox), or refuses.
Recipient = Callable[[Instance], Awaitable[int | None]]


async def shared_inbox(request: Request) -> Response:
    return await _answer(request, _shared)


async def member_inbox(request: Request) -> Response:
    return await _answer(request, partial(_member, username=request.path_params["username"]))


async def instance_inbox(request: Request) -> Response:
    return await _answer(request, _instance_actor)


async def _shared(inst: Instance) -> int | None:
    return None


async def _member(inst: Instance, *, username: str) -> int | None:
    actor = await actors.find_by_username(inst.db, username)
    if actor is None or actor.kind == "application" or actor.disabled:
        raise NoSuchInbox(f"no inbox for {username!r}")
    return actor.id


async def _instance_actor(inst: Instance) -> int | None:
    actor = await actors.find_by_kind(inst.db, "application")
    if actor is None:
        raise InboxUnavailable("the instance is starting")
    return actor.id


async def _answer(request: Request, recipient: Recipient) -> Response:
    inst: Instance = request.state.instance
    wait = inst.inbox_limiter.allow(_peer(request))
    if wait:
        response = error_response(429, "too many requests from your server; slow down")
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    try:
        writer = getattr(request.state, WRITER_STATE, None)
        if not isinstance(writer, InboxWriter):
            raise InboxUnavailable("the inbox is not running")
        recipient_id = await recipient(inst)
        body = await read_limited(request, inst.config.limits.max_body_bytes)
        delivery = Delivery(request.method, _target(request), request.headers, body, recipient_id)
        await receive(inst, writer, delivery)
    except (Refusal, SignatureError) as exc:
        return error_response(exc.status, exc.reason)
    return Response(status_code=202)


def _peer(request: Request) -> str:
    """Who to count a request against: the signing key's host (one server sends from many
    addresses), else the client address. Unverified here; verification comes later."""
    header = request.headers.get("signature", "")
    start = header.find('keyId="')
    if start >= 0:
        end = header.find('"', start + 7)
        host = urlsplit(header[start + 7 : end]).netloc if end > 0 else ""
        if host:
            return host.lower()
    return request.client.host if request.client else "unknown"


def _target(request: Request) -> str:
    """The request target as sent, which is what was signed (Starlette's url.path is decoded
    and has no query)."""
    raw: bytes = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    query: bytes = request.scope.get("query_string", b"")
    return (raw + b"?" + query if query else raw).decode("latin-1")


routes = [
    Route("/inbox", shared_inbox, methods=["POST"]),
    Route("/actor/inbox", instance_inbox, methods=["POST"]),
    Route("/users/{username}/inbox", member_inbox, methods=["POST"]),
]
