"""The signing child process (see `fedishare.federation.signer`): answers sign requests on
stdin/stdout until its stdin closes. It imports nothing but `cryptography`, to start fast."""

from __future__ import annotations

import signal
import struct
import sys
from typing import BinaryIO

FRAME = struct.Struct(">cI")  # kind, payload length
SLOT = struct.Struct(">I")


def frame(kind: bytes, payload: bytes) -> bytes:
    return FRAME.pack(kind, len(payload)) + payload


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """The child: answer frames from `stdin` until it closes."""
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    keys: dict[int, RSAPrivateKey] = {}
    while header := stdin.read(FRAME.size):
        if len(header) < FRAME.size:
            return
        kind, size = FRAME.unpack(header)
        payload = stdin.read(size)
        (slot,) = SLOT.unpack(payload[: SLOT.size])
        if kind == b"K":
            # Our own keys: validation would take 30 ms each and tells us nothing.
            key = load_pem_private_key(
                payload[SLOT.size :], password=None, unsafe_skip_rsa_key_validation=True
            )
            if isinstance(key, RSAPrivateKey):
                keys[slot] = key
            continue
        try:
            answer = frame(b"s", keys[slot].sign(payload[SLOT.size :], PKCS1v15(), SHA256()))
        except Exception as exc:  # reported to the waiting attempt, which retries later
            answer = frame(b"e", f"{type(exc).__name__}: {exc}".encode())
        stdout.write(answer)
        stdout.flush()


if __name__ == "__main__":
    # Ctrl-C reaches the whole process group; the parent decides when this child ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)
