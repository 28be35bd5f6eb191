"""Reading a request body without ever holding more than the configured limit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import Message

from fedishare.core.bounded_read import read_bounded
from fedishare.core.errors import Invalid, TooLarge
from fedishare.core.json_depth import check_depth
from fedishare.core.types import JSON
from fedishare.http.requests import instance_of


async def read_limited(request: Request, limit: int) -> bytes:
    return await read_bounded(
        request.headers.get("content-length", ""),
        request.stream(),
        limit,
        lambda: TooLarge(f"the body is larger than {limit} bytes"),
    )


def json_object(body: bytes) -> JSON:
    """A body that must be a JSON object (what every JSON endpoint of ours takes)."""
    try:
        # The standard library (after the depth check: it recurses) rather than parse_json:
        # apps send integers past 64 bits (a mute's duration), which orjson reads as floats.
        check_depth(body)
        posted = json.loads(body)
    except ValueError:
        raise Invalid("the body is not JSON") from None
    if not isinstance(posted, dict):
        raise Invalid("the body must be a JSON object")
    return posted


async def posted_json(request: Request) -> JSON:
    """The request's body as a JSON object, within the instance's limit on bodies."""
    limit = instance_of(request).config.limits.max_body_bytes
    return json_object(await read_limited(request, limit))


@asynccontextmanager
async def bounded_form(
    request: Request, limit: int, refusal: Exception, *, max_files: int, max_fields: int
) -> AsyncIterator[FormData]:
    """The posted form (urlencoded or multipart), its files closed afterwards; `refusal` as
    soon as the body exceeds `limit` (before a byte is parsed, when its length is declared)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise refusal
    received = 0
    receive = request.receive

    async def bounded() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise refusal
        return message

    form = await Request(request.scope, bounded).form(max_files=max_files, max_fields=max_fields)
    try:
        yield form
    finally:
        await form.close()
