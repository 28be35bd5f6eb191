"""Minimal HTTP servers on 127.0.0.1 for tests of what our outgoing client reaches: each records
every connection it accepts, and answers every request alike (or never)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def redirect(location: str, status: str = "302 Found") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n"
    ).encode()


@dataclass
class Listener:
    """Records the first line of every request (or "(connected)" for a connection that sent
    none) and answers `answer`; with `answer` None it reads the request and never answers."""

    answer: bytes | None = NOT_FOUND
    connections: list[str] = field(default_factory=list)
    port: int = 0
    _open: set[asyncio.StreamWriter] = field(default_factory=set)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections.append("(connected)")
        index = len(self.connections) - 1
        self._open.add(writer)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            self.connections[index] = head.split(b"\r\n")[0].decode("latin-1")
            await reader.readexactly(_content_length(head))
            if self.answer is None:
                await reader.read()  # hang until the client gives up or the server closes
                return
            writer.write(self.answer)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._open.discard(writer)
            writer.close()

    def close_connections(self) -> None:
        for writer in list(self._open):
            writer.close()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


@asynccontextmanager
async def serving(found: Listener) -> AsyncIterator[Listener]:
    """Run `found` on a free 127.0.0.1 port until the block ends."""
    server = await asyncio.start_server(found.handle, "127.0.0.1", 0)
    found.port = int(server.sockets[0].getsockname()[1])
    try:
        yield found
    finally:
        server.close()
        found.close_connections()
        await server.wait_closed()
