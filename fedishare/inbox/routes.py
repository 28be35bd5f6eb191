"""The inbox endpoints: the shared inbox, each member's and the group's, and the instance
actor's. They verify, store and answer 202; the inbox worker processes stored activities."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from time import perf_counter

from starlette.requests import ClientDisconnect
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none
from fedishare.core.bounded_read import read_bounded
from fedishare.core.errors import RateLimited, TooLarge
from fedishare.core.log_context import request_id
from fedishare.federation.signing_string import HeaderValues, asgi_header_values
from fedishare.http.errors import ANSWERED, error_response
from fedishare.http.observe import HttpMetrics, new_request_id, take_request_id
from fedishare.http.rate_limits import AddressLimit
from fedishare.http.signed_fetch import request_target
from fedishare.inbox.errors import InboxUnavailable, NoSuchInbox
from fedishare.inbox.receive import Delivery, receive
from fedishare.inbox.store import InboxWriter
from fedishare.storage import actors

WRITER_STATE = "inbox_writer"  # the lifespan state key of the InboxWriter
ADDRESSES_STATE = "inbox_addresses"  # the lifespan state key of the AddressLimit


# Finds the local actor whose inbox was posted to (None: the shared inbox), or refuses.
Recipient = Callable[[Instance], Awaitable[int | None]]


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


_MEMBER_PATH = re.compile(r"/users/([^/]+)/inbox")


def match(scope: Scope) -> Recipient | None:
    """The recipient of an inbox POST that `serve` can answer without Starlette's router (the
    same paths the routes below match), else None: Starlette handles the request."""
    if scope["method"] != "POST" or scope.get("root_path") or "state" not in scope:
        return None
    path: str = scope["path"]
    if path == "/inbox":
        return _shared
    if path == "/actor/inbox":
        return _instance_actor
    found = _MEMBER_PATH.fullmatch(path)
    return partial(_member, username=found[1]) if found else None


class InboxEndpoint:
    """The routes' ASGI endpoint (Starlette answers 405 to other methods)."""

    def __init__(self, recipient: Callable[..., Awaitable[int | None]]) -> None:
        self.recipient = recipient

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve(scope, receive, send, partial(self.recipient, **scope["path_params"]))


_CONTENT_LENGTH_0 = (b"content-length", b"0")


async def serve(
    scope: Scope,
    receive_: Receive,
    send: Send,
    recipient: Recipient,
    metrics: HttpMetrics | None = None,
) -> None:
    """Answer one inbox POST: raw ASGI, no Request object (this is the hot path).

    With `metrics` (`serve` called past the middleware, as FedishareApp does), this does
    what the `Observe` middleware does for other requests: the request id for its log
    lines and in X-Request-Id, its time by route template, and its count as received or
    refused by reason (`HttpMetrics.inbox_path_answered`). Without, the middleware does it.

    Two rate limits: every POST counts against its client's address (`AddressLimit`; not
    loopback's), and a verified one against its signer's host too. The host's bucket is only
    looked at before verification and charged after it, so that requests claiming another
    server's key, which anyone can send, neither empty that server's bucket nor dodge the
    limit by naming a new host each time: they count against their address alone."""
    if metrics is None:
        await _answer(scope, receive_, send, recipient, asgi_header_values(scope["headers"]))
        return
    started = perf_counter()
    headers = asgi_header_values(scope["headers"])
    rid, token = take_request_id(scope) if "x-request-id" in headers else new_request_id()
    status = 500
    try:
        status = await _answer(scope, receive_, send, recipient, headers, rid)
    finally:
        metrics.inbox_path_answered(scope["path"], status, perf_counter() - started)
        request_id.reset(token)


async def _answer(
    scope: Scope,
    receive_: Receive,
    send: Send,
    recipient: Recipient,
    headers: HeaderValues,
    rid: str | None = None,
) -> int:
    """Check, store and answer; the answer's status. `rid`: the request id, for X-Request-Id."""
    state = scope["state"]
    inst: Instance = state["instance"]
    try:
        writer = state.get(WRITER_STATE)
        addresses = state.get(ADDRESSES_STATE)
        if not isinstance(writer, InboxWriter) or not isinstance(addresses, AddressLimit):
            raise InboxUnavailable("the inbox is not running")
        wait = addresses.wait(scope, headers)
        if wait:
            raise RateLimited("too many requests from your address; slow down", wait)
        claimed = _claimed_host(headers)
        if claimed is not None:
            wait = inst.inbox_limiter.peek(claimed)
            if wait:
                raise RateLimited("too many requests from your server; slow down", wait)
        recipient_id = await recipient(inst)
        body = await _read_limited(headers, receive_, inst.config.limits.max_body_bytes)
        delivery = Delivery(scope["method"], request_target(scope), headers, body, recipient_id)
        signer = await receive(inst, writer, delivery)
        if signer is not None:
            inst.inbox_limiter.charge(signer)
    except ANSWERED as exc:
        response = error_response(exc)
        if rid is not None:
            response.raw_headers.append((b"x-request-id", rid.encode("latin-1")))
        await response(scope, receive_, send)
        return response.status_code
    answer = [_CONTENT_LENGTH_0]
    if rid is not None:
        answer.append((b"x-request-id", rid.encode("latin-1")))
    await send({"type": "http.response.start", "status": 202, "headers": answer})
    await send({"type": "http.response.body", "body": b""})
    return 202


async def _read_limited(headers: HeaderValues, receive_: Receive, limit: int) -> bytes:
    """The body, never holding more than `limit` bytes (as web.bodies.read_limited)."""
    message = await receive_()
    if message["type"] == "http.request" and not message.get("more_body", False):
        # An activity usually arrives whole in the first message: take it without the
        # generator below (every inbox POST comes here).
        body: bytes = message.get("body", b"")
        if len(body) > limit:
            raise _too_large(limit)
        return body
    return await read_bounded(
        headers.get("content-length", ""),
        _body_chunks(receive_, message),
        limit,
        partial(_too_large, limit),
    )


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the body is larger than {limit} bytes")


async def _body_chunks(receive_: Receive, message: Message) -> AsyncIterator[bytes]:
    """The body's chunks, from ``message`` (already received) on."""
    more = True
    while more:
        if message["type"] == "http.request":
            more = message.get("more_body", False)
            yield message.get("body", b"")
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if more:
            message = await receive_()


def _claimed_host(headers: HeaderValues) -> str | None:
    """The host of the keyId the request names (cavage's keyId, RFC 9421's keyid), unverified:
    a quick look, enough to refuse early a host already over its limit."""
    if "signature-input" in headers:
        header, name = headers["signature-input"], 'keyid="'
    else:
        header, name = headers.get("signature", ""), 'keyId="'
    start = header.find(name)
    end = header.find('"', start + 7) if start >= 0 else -1
    if end <= 0:
        return None
    key_id = header[start + 7 : end]
    try:
        return _KEY_HOSTS[key_id]
    except KeyError:
        pass
    host = host_or_none(key_id)
    if len(key_id) <= _MAX_KEPT_KEY_ID:
        if len(_KEY_HOSTS) >= _MAX_KEY_HOSTS:
            _KEY_HOSTS.clear()
        _KEY_HOSTS[key_id] = host
    return host


# The hosts of the keyIds seen lately: the same few thousand senders' keys come again and
# again, and finding a URL's host costs several times a dict's look-up. Bounded, as anyone
# can send any keyId: at most this many, none longer than a real one.
_KEY_HOSTS: dict[str, str | None] = {}
_MAX_KEY_HOSTS = 4096
_MAX_KEPT_KEY_ID = 256


routes = [
    Route("/inbox", InboxEndpoint(_shared), methods=["POST"]),
    Route("/actor/inbox", InboxEndpoint(_instance_actor), methods=["POST"]),
    Route("/users/{username}/inbox", InboxEndpoint(_member), methods=["POST"]),
]
