"""Reading a body of unknown size without ever holding more than a limit: request bodies
(the inbox, the client API) and documents fetched from other servers alike."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable


async def read_bounded(
    declared_length: str,
    chunks: AsyncIterable[bytes],
    limit: int,
    too_large: Callable[[], Exception],
) -> bytes:
    """The chunks joined; ``too_large()`` is raised as soon as the declared length (a
    Content-Length value, possibly empty) or the bytes read exceed ``limit``."""
    if declared_length.isdigit() and int(declared_length) > limit:
        raise too_large()
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise too_large()
        parts.append(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)
