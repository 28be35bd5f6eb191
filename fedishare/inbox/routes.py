"""The inbox endpoints: the shared inbox, each member's and the group's, and the instance
actor's. They verify, store and answer 202; the inbox worker processes stored activities."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none
from fedishare.core.bounded_read import read_bounded
from fedishare.core.errors import RateLimited, TooLarge
from fedishare.federation.errors import SignatureError
from fedishare.federation.message_signatures import check_message_signature
from fedishare.federation.signature_header import parse_signature_header
from fedishare.federation.signing_string import HeaderValues, asgi_header_values
from fedishare.http.errors import ANSWERED, error_response
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


_ACCEPTED: dict[str, Any] = {"type": "http.response.start", "status": 202}
_ACCEPTED_HEADERS = [(b"content-length", b"0")]
_EMPTY_BODY: dict[str, Any] = {"type": "http.response.body", "body": b""}


async def serve(scope: Scope, receive_: Receive, send: Send, recipient: Recipient) -> None:
    """Answer one inbox POST: raw ASGI, no Request object (this is the hot path).

    Two rate limits: every POST counts against its client's address (`AddressLimit`; not
    loopback's), and a verified one against its signer's host too. The host's bucket is only
    looked at before verification and charged after it, so that requests claiming another
    server's key, which anyone can send, neither empty that server's bucket nor dodge the
    limit by naming a new host each time: they count against their address alone."""
    state = scope["state"]
    inst: Instance = state["instance"]
    headers = asgi_header_values(scope["headers"])
    try:
        writer = state.get(WRITER_STATE)
        addresses = state.get(ADDRESSES_STATE)
        if not isinstance(writer, InboxWriter) or not isinstance(addresses, AddressLimit):
            raise InboxUnavailable("the inbox is not running")
        wait = addresses.wait(scope)
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
        if await receive(inst, writer, delivery):
            signer = claimed if _read_as_verified(headers) else _signer_host(inst, delivery)
            if signer is not None:
                inst.inbox_limiter.charge(signer)
    except ANSWERED as exc:
        await error_response(exc)(scope, receive_, send)
        return
    await send({**_ACCEPTED, "headers": list(_ACCEPTED_HEADERS)})
    await send(dict(_EMPTY_BODY))


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
    return host_or_none(header[start + 7 : end]) if end > 0 else None


def _read_as_verified(headers: HeaderValues) -> bool:
    """Whether the quick look read the keyId that verification read: a Signature header that
    starts with it (as every server writes it) and has no escapes. Elsewhere the quick look
    could be fooled, by a parameter named like keyId or an escaped quote."""
    if "signature-input" in headers:
        return False
    header = headers.get("signature", "")
    return header.startswith('keyId="') and "\\" not in header


def _signer_host(inst: Instance, delivery: Delivery) -> str | None:
    """The host of the key that verified the delivery, read as verification read it."""
    headers = delivery.headers
    try:
        if "signature-input" in headers:
            key_id = check_message_signature(
                delivery.method,
                delivery.target,
                headers,
                delivery.body,
                now=inst.clock(),
                scheme=inst.config.instance.scheme,
            ).key_id
        else:
            key_id = parse_signature_header(headers.get("signature", "")).key_id
    except SignatureError:  # it verified a moment ago; only the clock can have moved
        return None
    return host_or_none(key_id)


routes = [
    Route("/inbox", InboxEndpoint(_shared), methods=["POST"]),
    Route("/actor/inbox", InboxEndpoint(_instance_actor), methods=["POST"]),
    Route("/users/{username}/inbox", InboxEndpoint(_member), methods=["POST"]),
]
