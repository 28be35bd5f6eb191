"""The ``Content-Digest`` header (RFC 9530) over a raw request body: SHA-256 and SHA-512.

It is a Structured Fields dictionary, ``sha-256=:<base64>:``. Every entry for an algorithm we
know must match the body and at least one must be there; entries for other algorithms are
ignored, as RFC 9530 asks of a recipient.
"""

import binascii
import hashlib
import hmac
import re

import http_sf

from fedishare.federation.errors import DigestMismatch, MalformedSignature

MAX_LENGTH = 2048  # both hashes take ~140 characters; parsing more is work for nothing
_HASHES = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
# What every server sends: one entry, canonical base64. Read directly, as http_sf's parser
# costs ~20 µs where this costs one.
_ONE_ENTRY = re.compile(r"(sha-256|sha-512)=:([A-Za-z0-9+/]+={0,2}):")


def content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """The ``Content-Digest`` value for ``body``: ``sha-256=:<base64>:``."""
    digest = _HASHES[algorithm](body).digest()
    return f"{algorithm}=:{binascii.b2a_base64(digest, newline=False).decode('ascii')}:"


def check_content_digest(header: str, body: bytes) -> None:
    """Raise DigestMismatch unless ``header`` has a SHA-256 or SHA-512 entry and each such
    entry matches ``body``; MalformedSignature if it is not a Structured Fields dictionary."""
    if len(header) > MAX_LENGTH:
        raise MalformedSignature(f"Content-Digest is longer than {MAX_LENGTH} characters")
    entries = _entries(header.strip(" \t"))
    if not entries:
        raise DigestMismatch("Content-Digest has no sha-256 or sha-512 entry")
    for name, value in entries:
        if not hmac.compare_digest(value, _HASHES[name](body).digest()):
            raise DigestMismatch("Content-Digest does not match the body")


def _entries(header: str) -> list[tuple[str, bytes]]:
    """The (algorithm, digest) entries of the algorithms we know."""
    quick = _ONE_ENTRY.fullmatch(header)
    if quick:
        try:
            return [(quick[1], binascii.a2b_base64(quick[2], strict_mode=True))]
        except binascii.Error:
            pass  # the parser below says why
    try:
        parsed = http_sf.parse(header.encode("latin-1"), tltype="dictionary")
    except (ValueError, TypeError) as exc:  # StructuredFieldError is a ValueError
        raise MalformedSignature("Content-Digest is not a structured dictionary") from exc
    if not isinstance(parsed, dict):  # unreachable with tltype="dictionary"; for the types
        raise MalformedSignature("Content-Digest is not a structured dictionary")
    out = []
    for name, member in parsed.items():
        value = member[0] if isinstance(member, tuple) else member
        if name in _HASHES:
            if not isinstance(value, bytes):
                raise MalformedSignature(f"Content-Digest {name} is not a byte sequence")
            out.append((name, value))
    return out
