"""Reading a request body without ever holding more than the configured limit."""

from __future__ import annotations

from starlette.requests import Request

from fedishare.core.bounded_read import read_bounded
from fedishare.core.errors import TooLarge


async def read_limited(request: Request, limit: int) -> bytes:
    return await read_bounded(
        request.headers.get("content-length", ""),
        request.stream(),
        limit,
        lambda: TooLarge(f"the body is larger than {limit} bytes"),
    )
