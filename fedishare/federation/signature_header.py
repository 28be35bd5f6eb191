"""The draft-cavage ``Signature`` header: parsing what we receive, formatting what we send."""

import base64
import binascii
import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from fedishare.federation.cavage import build_signature_template
from fedishare.federation.errors import MalformedSignature

_KNOWN = frozenset({"keyid", "algorithm", "headers", "signature", "created", "expires"})
_TIMESTAMP = re.compile(r"[0-9]{1,12}(\.[0-9]+)?")  # expires may carry a fraction
_UNSAFE_IN_QUOTES = re.compile(r'["\\\x00-\x1f\x7f]')
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_QUOTED_WITH_ESCAPES = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(.)")
_SPACE = " \t"


class SignatureParams(NamedTuple):  # built for every inbox POST: cheaper than a dataclass
    """The parameters of one Signature header, normalised."""

    key_id: str
    algorithm: str | None  # lower-case; None when the header has no algorithm
    headers: tuple[str, ...]  # lower-case, in signed order
    signature: bytes
    created: int | None = None
    expires: int | None = None


def parse_signature_header(value: str) -> SignatureParams:
    """Parse ``keyId="…",algorithm="…",headers="…",signature="…"``.

    Tolerates spaces around commas and ``=``, stray commas, any parameter order, and
    parameter names in any case; raises MalformedSignature otherwise.
    """
    found = _known_parameters(value)
    if not found.get("keyid"):
        raise MalformedSignature("Signature has no keyId")
    if not found.get("signature"):
        raise MalformedSignature("Signature has no signature")
    try:
        # What base64.b64decode(validate=True) does, without its wrapper (every inbox POST).
        signature = binascii.a2b_base64(found["signature"], strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedSignature("signature is not base64") from exc
    # The draft's default when headers is absent is "date" alone.
    covered = tuple(found.get("headers", "date").lower().split()) or ("date",)
    algorithm = found["algorithm"].strip().lower() if "algorithm" in found else None
    return SignatureParams(
        key_id=found["keyid"],
        algorithm=algorithm,
        headers=covered,
        signature=signature,
        created=_timestamp(found, "created"),
        expires=_timestamp(found, "expires"),
    )


def _known_parameters(value: str) -> dict[str, str]:
    """The known parameters by lower-case name; unknown ones are skipped, a repeat refused."""
    quick = _quick_parameters(value)
    if quick is not None:
        return quick
    found: dict[str, str] = {}
    for name, raw in _scanned_parameters(value):
        name = name.lower()
        if name in found:
            raise MalformedSignature(f"Signature parameter {name!r} repeated")
        if name in _KNOWN:
            found[name] = raw
    return found


def _quick_parameters(value: str) -> dict[str, str] | None:
    """The header as nearly every server writes it (``keyId="…",algorithm="…",…``: known
    names, every value quoted, no spaces, nothing escaped), split at its quotes: a few C calls
    where the scanner below costs several µs, and every inbox POST comes here. None for
    anything else, which the scanner reads (and, if need be, explains what is wrong)."""
    if "\\" in value:
        return None
    parts = value.split('"')
    count = len(parts) // 2
    if count == 0 or len(parts) % 2 == 0 or parts[-1]:
        return None
    found = {}
    for i in range(0, len(parts) - 1, 2):
        before = parts[i]  # `name=`, after a comma but for the first
        name = before[:-1] if i == 0 else before[1:-1]
        if before[-1:] != "=" or (i and before[0] != ","):
            return None
        name = name.lower()
        if name not in _KNOWN:
            return None
        found[name] = parts[i + 1]
    return found if len(found) == count else None


def _scanned_parameters(value: str) -> Iterator[tuple[str, str]]:
    """Split ``a="x", b=y`` into (name, unquoted value) pairs, whatever the quoting.

    A scanner with str.find rather than a regex or urllib's parse_http_list (httpsig's
    choice): both walk the ~450 characters one by one, which cost 7-45 µs per request.
    """
    pos, end = 0, len(value)
    while True:
        while pos < end and value[pos] in " \t,":
            pos += 1
        if pos >= end:
            return
        equals = value.find("=", pos)
        name = value[pos:equals].strip(_SPACE) if equals >= 0 else ""
        if not _NAME.fullmatch(name):
            raise MalformedSignature(f"unreadable Signature near {value[pos : pos + 40]!r}")
        pos = equals + 1
        while pos < end and value[pos] in _SPACE:
            pos += 1
        if pos < end and value[pos] == '"':
            close = value.find('"', pos + 1)
            if close < 0:
                raise MalformedSignature(f"Signature parameter {name!r} has an unclosed quote")
            raw = value[pos + 1 : close]
            if "\\" in raw:  # rare: let the regex handle escaped quotes
                quoted = _QUOTED_WITH_ESCAPES.match(value, pos)
                if quoted is None:
                    raise MalformedSignature(f"Signature parameter {name!r} is badly quoted")
                raw, close = _ESCAPE.sub(r"\1", quoted[1]), quoted.end() - 1
            pos = close + 1
        else:
            comma = value.find(",", pos)
            comma = end if comma < 0 else comma
            raw = value[pos:comma].rstrip(_SPACE)
            if '"' in raw or " " in raw or "\t" in raw:
                raise MalformedSignature(f"Signature parameter {name!r} is badly quoted")
            pos = comma
        while pos < end and value[pos] in _SPACE:
            pos += 1
        if pos < end and value[pos] != ",":
            raise MalformedSignature(f"unreadable Signature near {value[pos : pos + 40]!r}")
        yield name, raw


def _timestamp(found: dict[str, str], name: str) -> int | None:
    raw = found.get(name)
    if raw is None:
        return None
    if not _TIMESTAMP.fullmatch(raw):
        raise MalformedSignature(f"Signature {name} is not a Unix timestamp")
    return int(raw.partition(".")[0])


def format_signature_header(
    key_id: str, algorithm: str, headers: Sequence[str], signature: bytes
) -> str:
    """Format the Signature header we send, from `cavage`'s template (keyId, algorithm,
    signature, headers)."""
    for text in (key_id, algorithm, *headers):
        if _UNSAFE_IN_QUOTES.search(text):
            raise ValueError(f"cannot quote {text!r} in a Signature header")
    # The template is filled in with `template % sig`, so a literal % must be doubled.
    template: str = build_signature_template(
        key_id.replace("%", "%%"), algorithm, list(headers), sign_header="signature"
    )
    return template % base64.b64encode(signature).decode("ascii")
