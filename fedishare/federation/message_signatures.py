"""Checking incoming RFC 9421 HTTP Message Signatures by the rules we apply to draft-cavage.

A checklist, each step raising its own SignatureError: the headers parse; one signature is
chosen, the first whose label covers what we require (``@method``; ``@target-uri``, or
``@authority`` with ``@path`` (and ``@query`` when there is one) or ``@request-target``;
``content-digest`` on a POST with a body; a ``created`` parameter or a signed ``date``; a
``keyid``; an ``alg`` we verify, if it names one); its signature base is built; ``created``
(or the signed Date) is fresh and ``expires`` not past, within dates.MAX_CLOCK_SKEW as for
cavage; the Content-Digest matches the body. What remains, the signature itself, is checked
by `verifies` once the key is resolved (verification.verify_request does that, with the same
key-rotation retry as for cavage).

Why not http-message-signatures' HTTPMessageVerifier: it resolves keys synchronously (ours
are fetched, and refetched once when a key was rotated), takes one algorithm per verifier,
keeps its own clock window, verifies every label rather than one, and wants a message
object where the inbox has raw ASGI header values; it also costs several hundred µs per
request. So the library serves where it fits: its Structured Fields parser (http_sf) for
the headers, its component resolver for the rare components (signature_base), and its
signer in the tests, as the independent implementation ours is checked against.

``@target-uri`` and ``@scheme`` need the scheme the sender used to reach us, which a
process behind a TLS-terminating proxy does not see: pass ``scheme`` when it is known (the
instance's configured one). When it is not, the base is built for https and, failing
that, for http: both name this same server.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, PSS, PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256, SHA512

from fedishare.federation.content_digest import check_content_digest
from fedishare.federation.dates import check_freshness, parse_http_date
from fedishare.federation.errors import (
    HeaderNotSigned,
    MalformedSignature,
    MissingSignature,
    SignatureError,
    UnsupportedSignature,
)
from fedishare.federation.signature_base import Request, build_signature_base
from fedishare.federation.signature_input import MessageSignature, parse_message_signatures

# What a 401 asks for (RFC 9421 §5.1): what we require of a POST, and what Mastodon sends.
ACCEPT_SIGNATURE = 'sig1=("@method" "@target-uri" "content-digest");created;keyid'

RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ED25519 = "ed25519"
ALGORITHMS = frozenset({RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519})

VerifyingKey = RSAPublicKey | Ed25519PublicKey


class SignedMessage(NamedTuple):
    """A request that passed every check but the signature's own: what remains to verify."""

    key_id: str
    signature: bytes
    algorithm: str | None  # the alg parameter; None: whatever the key is
    bases: tuple[bytes, ...]  # the signature base; two when the scheme is not known


def check_message_signature(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    scheme: str | None = None,
) -> SignedMessage:
    """Run every check that needs no key; raise a SignatureError subclass on the first failure.

    ``headers`` have lower-case names (signing_string.HeaderValues); ``target`` is the path
    and query exactly as sent.
    """
    raw = headers.get("signature")
    if raw is None:
        raise MissingSignature("Signature-Input is sent without a Signature")
    signatures = parse_message_signatures(headers.get("signature-input", ""), raw)
    chosen = _choose(signatures, method.upper(), target, body)
    schemes = (scheme,) if scheme else _schemes(chosen)
    bases = tuple(
        build_signature_base(chosen, Request(method, name, target, headers)) for name in schemes
    )
    _check_dates(chosen, headers, now)
    if any(component.name == "content-digest" for component in chosen.components):
        check_content_digest(headers["content-digest"], body)
    algorithm = chosen.params.get("alg")  # a str or absent, after _problem
    alg = algorithm if isinstance(algorithm, str) else None
    return SignedMessage(str(chosen.params["keyid"]), chosen.signature, alg, bases)


def _choose(
    signatures: list[MessageSignature], method: str, target: str, body: bytes
) -> MessageSignature:
    """The first signature that meets our requirements; else the first one's failure."""
    first: SignatureError | None = None
    for signature in signatures:
        problem = _problem(signature, method, target, body)
        if problem is None:
            return signature
        first = first or problem
    raise first or MalformedSignature("no signature")  # parse_message_signatures gives one


def _problem(
    signature: MessageSignature, method: str, target: str, body: bytes
) -> SignatureError | None:
    params = signature.params
    # Only plain components count: "content-digest";key="sha-512" covers part of a field.
    covered = {component.name for component in signature.components if not component.params}
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        return MalformedSignature("Signature-Input has no keyid")
    algorithm = params.get("alg")
    if algorithm is not None and algorithm not in ALGORITHMS:
        return UnsupportedSignature(f"unsupported alg {algorithm!r}")
    for name in ("created", "expires"):
        if name in params and not _is_integer(params[name]):
            return MalformedSignature(f"Signature-Input {name} is not an integer")
    if "@method" not in covered:
        return HeaderNotSigned("@method is not signed")
    if "@target-uri" not in covered and not _path_and_authority(covered, target):
        return HeaderNotSigned("@target-uri is not signed")
    if "created" not in params and "date" not in covered:
        return HeaderNotSigned("created is not signed")
    if method == "POST" and body and "content-digest" not in covered:
        return HeaderNotSigned("content-digest is not signed")
    return None


def _path_and_authority(covered: set[str], target: str) -> bool:
    """Whether the components other than @target-uri cover what it would."""
    if "@authority" not in covered:
        return False
    if "@request-target" in covered:
        return True
    return "@path" in covered and ("?" not in target or "@query" in covered)


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_BY_SCHEME = frozenset({"@target-uri", "@scheme", "@authority"})


def _schemes(signature: MessageSignature) -> tuple[str, ...]:
    # @authority too: it drops the scheme's default port.
    if any(c.name in _BY_SCHEME or c.params for c in signature.components):
        return ("https", "http")
    return ("https",)


def _check_dates(signature: MessageSignature, headers: Mapping[str, str], now: datetime) -> None:
    params = signature.params
    expires = _from_unix(params["expires"]) if "expires" in params else None
    if "created" in params:
        check_freshness(_from_unix(params["created"]), now, expires=expires)
    if any(c.name == "date" and not c.params for c in signature.components):
        check_freshness(parse_http_date(headers["date"]), now, expires=expires)


def _from_unix(seconds: object) -> datetime:
    if not isinstance(seconds, int):  # unreachable after _problem; keeps the types honest
        raise MalformedSignature("timestamp is not an integer")
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise MalformedSignature("timestamp out of range") from exc


_PKCS1V15 = PKCS1v15()  # stateless: made once rather than for every request
_PSS_SHA512 = PSS(mgf=MGF1(SHA512()), salt_length=64)  # RFC 9421 §3.3.1
_SHA256 = SHA256()
_SHA512 = SHA512()


def verifies(key: VerifyingKey, signed: SignedMessage) -> bool:
    """Whether ``signed`` verifies with ``key`` over one of its bases; False also when the
    key does not fit the alg (an Ed25519 signature, an RSA key)."""
    return any(_verifies(key, signed.algorithm, signed.signature, base) for base in signed.bases)


def _verifies(key: VerifyingKey, algorithm: str | None, signature: bytes, base: bytes) -> bool:
    try:
        if isinstance(key, RSAPublicKey):
            if algorithm in (None, RSA_V1_5_SHA256):
                key.verify(signature, base, _PKCS1V15, _SHA256)
            elif algorithm == RSA_PSS_SHA512:
                key.verify(signature, base, _PSS_SHA512, _SHA512)
            else:
                return False
        elif isinstance(key, Ed25519PublicKey) and algorithm in (None, ED25519):
            key.verify(signature, base)
        else:
            return False
    except InvalidSignature:
        return False
    return True
