"""Many remote inboxes in a child process, for tests that cross real sockets.

The child listens on a few loopback ports; any POST path is an inbox. It answers 202 after
`delay` seconds and appends one line per request to a log file: the path, the activity id and
whether the draft-cavage signature verifies with the given public key. Lines are appended
before the answer is sent, so a sender killed mid-request still leaves its trace.

    with recording_inboxes(3, delay=0.1, log=path, public_key_pem=pem) as inboxes:
        inboxes.ports, inboxes.received()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ACCEPTED = b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"


@dataclass(frozen=True)
class Delivery:
    path: str
    activity_id: str
    verdict: str  # "ok" or why the signature was refused


class _Inbox(asyncio.Protocol):
    def __init__(self, delay: float, log: int, public_key: object) -> None:
        import httptools

        self._parser = httptools.HttpRequestParser(self)
        self._delay = delay
        self._log = log
        self._key = public_key
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._body = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_message_begin(self) -> None:
        self._url, self._headers, self._body = b"", [], b""

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        path = self._url.decode()
        try:
            activity_id = str(json.loads(self._body)["id"])
        except (ValueError, KeyError, TypeError):
            activity_id = "-"
        line = f"{path} {activity_id} {self._verdict(path)}\n"
        os.write(self._log, line.encode())  # O_APPEND: one write per line, never interleaved
        asyncio.get_running_loop().call_later(self._delay, self._answer)

    def _answer(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(ACCEPTED)

    def _verdict(self, path: str) -> str:
        from fedishare.federation.errors import SignatureError
        from fedishare.federation.verification import check_request, rsa_verifies

        try:
            signed = check_request(
                "POST", path, dict(self._headers), self._body, now=datetime.now(UTC)
            )
        except SignatureError as e:
            return "refused:" + type(e).__name__
        ok = rsa_verifies(self._key, signed.signature, signed.message)  # type: ignore[arg-type]
        return "ok" if ok else "refused:BadSignature"


def serve(ports: int, delay: float, log_path: str, key_path: str) -> None:
    """Child process: print the ports as JSON, serve until stdin closes."""
    from fedishare.federation.public_key import load_public_key

    key = load_public_key(Path(key_path).read_text())
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = [
            await loop.create_server(lambda: _Inbox(delay, log, key), "127.0.0.1", 0)
            for _ in range(ports)
        ]
        print(json.dumps([s.sockets[0].getsockname()[1] for s in servers]), flush=True)
        stop = asyncio.Event()
        loop.add_reader(0, lambda: stop.set() if not os.read(0, 4096) else None)
        await stop.wait()
        for server in servers:
            server.close()

    asyncio.run(main())


@dataclass(frozen=True)
class RecordingInboxes:
    ports: list[int]
    log: Path

    def received(self) -> list[Delivery]:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        return [Delivery(*line.split(" ", 2)) for line in lines if line.count(" ") == 2]


@contextlib.contextmanager
def recording_inboxes(
    ports: int, *, delay: float, log: Path, public_key_pem: str
) -> Iterator[RecordingInboxes]:
    key_path = log.with_suffix(".pem")
    key_path.write_text(public_key_pem)
    root = str(Path(__file__).resolve().parent.parent)
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.inbox_recorder",
            str(ports),
            str(delay),
            str(log),
            str(key_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            raise RuntimeError("the recording inboxes did not start")
        yield RecordingInboxes(json.loads(line), log)
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        child.stdout.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4])
