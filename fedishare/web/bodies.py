"""Reading a request body without ever holding more than the configured limit."""

from __future__ import annotations

from starlette.requests import Request

from fedishare.web.errors import Refusal


class BodyTooLarge(Refusal):
    status = 413


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"the body is larger than {limit} bytes")
    return bytes(body)
