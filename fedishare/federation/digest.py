"""The ``Digest`` header (RFC 3230) over a raw request body, SHA-256 only."""

import base64
import binascii
import hashlib
import hmac

from fedishare.federation.errors import DigestMismatch

# hashlib.sha256() looks the algorithm up in OpenSSL on every call, which costs as much as
# hashing a 1.5 kB activity; copying a hasher made once does not (every inbox POST hashes).
_SHA256 = hashlib.sha256()


def _sha256(body: bytes) -> bytes:
    hasher = _SHA256.copy()
    hasher.update(body)
    return hasher.digest()


def body_digest(body: bytes) -> str:
    """The ``Digest`` header value we send: ``SHA-256=<base64 of sha256(body)>``."""
    return "SHA-256=" + base64.b64encode(_sha256(body)).decode("ascii")


def check_digest(header: str, body: bytes) -> None:
    """Raise DigestMismatch unless ``header`` has a SHA-256 entry matching ``body``.

    Entries are comma-separated ``name=value``; names are case-insensitive and entries
    for other algorithms are ignored, as Mastodon does.
    """
    expected = _sha256(body)
    if header[:8].lower() == "sha-256=" and "," not in header:
        # What every server sends: one entry, canonical base64. Compared as text first;
        # anything else (padding or spacing quirks) is decoded below.
        if header[8:].strip() == binascii.b2a_base64(expected, newline=False).decode("ascii"):
            return
    offered = []
    for entry in header.split(","):
        name, sep, value = entry.partition("=")
        if sep and name.strip().lower() == "sha-256":
            offered.append(value.strip())
    if not offered:
        raise DigestMismatch("Digest has no SHA-256 entry")
    for value in offered:
        try:
            # Compare decoded bytes so that padding or spacing quirks cannot matter.
            got = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(got, expected):
            return
    raise DigestMismatch("Digest does not match the body")
