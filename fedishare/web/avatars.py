"""Default avatars: a plain coloured square per kind of actor, encoded as PNG once."""

from __future__ import annotations

import struct
import zlib
from functools import cache

_COLOURS = {"person": (46, 125, 50), "group": (21, 101, 192), "application": (97, 97, 97)}
_SIZE = 96


@cache
def avatar_png(kind: str) -> bytes | None:
    colour = _COLOURS.get(kind)
    if colour is None:
        return None
    row = b"\x00" + bytes(colour) * _SIZE  # filter byte 0, then RGB pixels
    raw = row * _SIZE
    header = struct.pack(">IIBBBBB", _SIZE, _SIZE, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)
