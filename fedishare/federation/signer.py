"""RSA signatures for outgoing POSTs, made in a child process.

An RSA-2048 signature takes ~300 µs of CPU. Made on the event loop, it stalls every other
delivery; made on a thread, it still waits for the GIL after every signature (the loop holds
it most of the time), which on a busy worker tripled its cost. A child process signs in true
parallel, and a request and its answer cost the loop ~15 µs of pipe traffic.

The protocol on the child's stdin/stdout is a stream of frames, answered in order:
  K <slot:u32> <PEM>       load a private key into a slot (no answer)
  S <slot:u32> <message>   sign; answered by  s <signature>  or  e <error text>
each frame being one kind byte, a u32 big-endian payload length, and the payload. The child
exits when its stdin closes, so it never outlives the parent (SIGKILL included).

`post_headers` is `fedishare.federation.signing.sign_headers` for a POST, split in two so the
RSA step can happen elsewhere: the same headers, the same bytes signed.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from collections.abc import Mapping
from datetime import datetime

import httpx

from fedishare.federation import signing_child
from fedishare.federation.dates import http_date
from fedishare.federation.digest import body_digest
from fedishare.federation.signature_header import format_signature_header
from fedishare.federation.signing import ACTIVITY_JSON, POST_SIGNED, USER_AGENT
from fedishare.federation.signing_child import FRAME, SLOT, frame
from fedishare.federation.signing_string import build_signing_string


class SignerUnavailable(Exception):
    """The signing process died or could not be started; the signature was not made."""


def post_headers(url: httpx.URL, body: bytes, now: datetime) -> tuple[dict[str, str], bytes]:
    """The headers of a signed POST, Signature not yet included, and the bytes to sign."""
    headers = {
        "Host": url.netloc.decode("ascii"),
        "Date": http_date(now),
        "Digest": body_digest(body),
        "Content-Type": ACTIVITY_JSON,
        "User-Agent": USER_AGENT,
    }
    message = build_signing_string(
        POST_SIGNED,
        method="POST",
        target=url.raw_path.decode("ascii"),
        headers={name.lower(): value for name, value in headers.items()},
    )
    return headers, message


def with_signature(headers: Mapping[str, str], key_id: str, signature: bytes) -> dict[str, str]:
    signed = dict(headers)
    signed["Signature"] = format_signature_header(key_id, "rsa-sha256", POST_SIGNED, signature)
    return signed


class ProcessSigner:
    """Signs in one child process, started on first use and again after it dies."""

    def __init__(self) -> None:
        self._child: _Child | None = None
        self._starting = asyncio.Lock()

    async def sign(self, private_key_pem: str, message: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 with SHA-256 of `message`; raises SignerUnavailable."""
        child = self._child
        if child is None or not child.alive:
            child = await self._restart()
        return await child.sign(private_key_pem, message)

    async def aclose(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            await child.aclose()

    async def _restart(self) -> _Child:
        async with self._starting:
            child = self._child
            if child is None or not child.alive:
                if child is not None:
                    await child.aclose()
                child = self._child = await _Child.start()
        return child


class _Child:
    """One signing process, the answers it owes (in order) and the keys it has loaded."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.pending: deque[asyncio.Future[bytes]] = deque()
        self.slots: dict[str, int] = {}  # PEM -> slot
        self.reader = asyncio.create_task(self._read(), name="signer answers")

    @classmethod
    async def start(cls) -> _Child:
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                signing_child.__name__,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise SignerUnavailable(f"cannot start the signing process: {exc}") from exc
        return cls(process)

    @property
    def alive(self) -> bool:
        return self.process.returncode is None and not self.reader.done()

    async def sign(self, private_key_pem: str, message: bytes) -> bytes:
        stdin = self.process.stdin
        assert stdin is not None
        slot = self.slots.get(private_key_pem)
        if slot is None:
            slot = self.slots[private_key_pem] = len(self.slots)
            stdin.write(frame(b"K", SLOT.pack(slot) + private_key_pem.encode("ascii")))
        answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.pending.append(answer)
        stdin.write(frame(b"S", SLOT.pack(slot) + message))
        return await answer

    async def aclose(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=5)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader
        self._fail_pending()

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        buffer = bytearray()
        try:
            # Take whatever answers have arrived at once: one wake-up for many signatures.
            while chunk := await stdout.read(1 << 16):
                buffer += chunk
                start = 0
                while len(buffer) - start >= FRAME.size:
                    kind, size = FRAME.unpack_from(buffer, start)
                    end = start + FRAME.size + size
                    if len(buffer) < end:
                        break
                    self._answer(kind, bytes(buffer[start + FRAME.size : end]))
                    start = end
                del buffer[:start]
        except ConnectionError:
            pass
        finally:
            self._fail_pending()  # the child is gone; the next sign starts another

    def _answer(self, kind: bytes, payload: bytes) -> None:
        answer = self.pending.popleft()
        if answer.done():  # its attempt was cancelled meanwhile
            return
        if kind == b"s":
            answer.set_result(payload)
        else:
            answer.set_exception(SignerUnavailable(payload.decode(errors="replace")))

    def _fail_pending(self) -> None:
        while self.pending:
            answer = self.pending.popleft()
            if not answer.done():
                answer.set_exception(SignerUnavailable("the signing process has stopped"))
