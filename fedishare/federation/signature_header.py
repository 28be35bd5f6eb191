"""The draft-cavage ``Signature`` header: parsing what we receive, formatting what we send."""

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.request import parse_http_list

from fedishare.federation._httpsig import build_signature_template
from fedishare.federation.errors import MalformedSignature

_KNOWN = frozenset({"keyid", "algorithm", "headers", "signature", "created", "expires"})
_TIMESTAMP = re.compile(r"[0-9]{1,12}(\.[0-9]+)?")  # expires may carry a fraction
_UNSAFE_IN_QUOTES = re.compile(r'["\\\x00-\x1f\x7f]')


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """The parameters of one Signature header, normalised."""

    key_id: str
    algorithm: str | None  # lower-case; None when the header has no algorithm
    headers: tuple[str, ...]  # lower-case, in signed order
    signature: bytes
    created: int | None = None
    expires: int | None = None


def parse_signature_header(value: str) -> SignatureParams:
    """Parse ``keyId="…",algorithm="…",headers="…",signature="…"``.

    Tolerates spaces around commas and ``=``, any parameter order, and parameter names in
    any case; raises MalformedSignature otherwise.
    """
    found: dict[str, str] = {}
    # parse_http_list is what httpsig uses too: it splits on commas outside quotes.
    for item in parse_http_list(value):
        name, sep, raw = item.partition("=")
        name = name.strip().lower()
        raw = raw.strip()
        if not item.strip():
            continue
        if not sep or not name:
            raise MalformedSignature(f"Signature parameter without a value: {item[:40]!r}")
        if name in found:
            raise MalformedSignature(f"Signature parameter {name!r} repeated")
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1]
        elif raw.startswith('"'):
            raise MalformedSignature(f"Signature parameter {name!r} has an unclosed quote")
        if name in _KNOWN:
            found[name] = raw
    if not found.get("keyid"):
        raise MalformedSignature("Signature has no keyId")
    if not found.get("signature"):
        raise MalformedSignature("Signature has no signature")
    try:
        signature = base64.b64decode(found["signature"], validate=True)
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
    """Format the Signature header we send (httpsig's template, so its parameter order)."""
    for text in (key_id, algorithm, *headers):
        if _UNSAFE_IN_QUOTES.search(text):
            raise ValueError(f"cannot quote {text!r} in a Signature header")
    # httpsig fills the signature in with `template % sig`, so a literal % must be doubled.
    template: str = build_signature_template(
        key_id.replace("%", "%%"), algorithm, list(headers), sign_header="signature"
    )
    return template % base64.b64encode(signature).decode("ascii")
