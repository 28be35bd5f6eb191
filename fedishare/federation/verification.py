"""Verifying incoming signatures by Mastodon's rules, with key-rotation retry.

A request with a ``Signature-Input`` header carries RFC 9421 HTTP Message Signatures, checked
by message_signatures by the same rules; any other, a draft-cavage ``Signature``.

For cavage, a checklist: the header parses, the algorithm is RSA-SHA256, the required headers
are covered, the date is fresh, the digest matches the body. Then, for both, the signature
verifies, first with the cached key and, failing that, once more with a freshly fetched one.

Not checked here: that the key's owner is the activity's actor. The caller must compare
``ResolvedKey.owner`` with the activity's ``actor`` (and the object's origin) itself.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256

from fedishare.federation.dates import check_freshness, parse_http_date
from fedishare.federation.digest import check_digest
from fedishare.federation.errors import (
    BadSignature,
    HeaderNotSigned,
    MalformedSignature,
    MissingSignature,
    UnsupportedSignature,
)
from fedishare.federation.message_signatures import (
    SignedMessage,
    VerifyingKey,
    check_message_signature,
    verifies,
)
from fedishare.federation.public_key import KeyResolver, ResolvedKey
from fedishare.federation.signature_header import SignatureParams, parse_signature_header
from fedishare.federation.signing_string import (
    REQUEST_TARGET,
    HeaderValues,
    build_signing_string,
    lower_headers,
)

# hs2019 and a missing algorithm mean "whatever the key is"; our keys are RSA, so all three
# are verified as RSASSA-PKCS1-v1_5 with SHA-256, as Mastodon does.
_RSA_SHA256 = frozenset({"rsa-sha256", "hs2019", None})
_HS2019 = frozenset({"hs2019", None})


CAVAGE = "draft-cavage"


class SignedRequest(NamedTuple):  # built for every inbox POST: cheaper than a dataclass
    """A request that passed every check but the signature's own: what remains to verify."""

    key_id: str
    signature: bytes
    message: bytes  # the signing string, or the RFC 9421 signature base
    # CAVAGE (RSASSA-PKCS1-v1_5 with SHA-256), else RFC 9421's alg ("" when it names none)
    algorithm: str = CAVAGE
    other_messages: tuple[bytes, ...] = ()  # RFC 9421: the base for another scheme


def check_request(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    scheme: str | None = None,
) -> SignedRequest:
    """Run every check that needs no key; raise a SignatureError subclass on the first failure.

    ``target`` is the path with its query string exactly as sent (in Starlette:
    ``scope["raw_path"]`` plus ``"?" + query_string`` when there is one). ``headers`` are
    matched case-insensitively; a Mapping that yields repeated names from ``items()`` (like
    Starlette's Headers) has them joined as the draft says; HeaderValues are taken as they are.
    ``scheme`` ("https" or "http", how the sender reached us) matters only to RFC 9421
    signatures; see message_signatures.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    values = headers if isinstance(headers, HeaderValues) else lower_headers(headers.items())
    if "signature-input" in values:
        return _check_message_signature(method, target, values, body, now, scheme)
    raw = values.get("signature")
    if raw is None:
        raise MissingSignature("request is not signed")
    params = parse_signature_header(raw)
    if params.algorithm not in _RSA_SHA256:
        raise UnsupportedSignature(f"unsupported algorithm {params.algorithm!r}")
    _check_coverage(params, method.upper())
    message = build_signing_string(
        params.headers,
        method=method,
        target=target,
        headers=values,
        created=params.created,
        expires=params.expires,
    )
    _check_dates(params, values, now)
    if "digest" in params.headers:
        check_digest(values["digest"], body)
    return SignedRequest(key_id=params.key_id, signature=params.signature, message=message)


def _check_message_signature(
    method: str,
    target: str,
    values: Mapping[str, str],
    body: bytes,
    now: datetime,
    scheme: str | None,
) -> SignedRequest:
    signed = check_message_signature(method, target, values, body, now=now, scheme=scheme)
    first, *others = signed.bases
    return SignedRequest(
        signed.key_id, signed.signature, first, signed.algorithm or "", tuple(others)
    )


def _check_coverage(params: SignatureParams, method: str) -> None:
    covered = params.headers
    if REQUEST_TARGET not in covered:
        raise HeaderNotSigned("(request-target) is not signed")
    if "(created)" in covered:
        if params.algorithm not in _HS2019:
            # draft-cavage-12 §2.3: (created) with an rsa-* algorithm is an error.
            raise MalformedSignature("(created) is only allowed with hs2019")
        if params.created is None:
            raise MalformedSignature("(created) is signed but has no created parameter")
    elif "date" not in covered:
        raise HeaderNotSigned("date is not signed")
    if "(expires)" in covered and params.expires is None:
        raise MalformedSignature("(expires) is signed but has no expires parameter")
    if method == "POST" and "digest" not in covered:
        raise HeaderNotSigned("digest is not signed")
    if method == "GET" and "host" not in covered:
        raise HeaderNotSigned("host is not signed")


def _check_dates(params: SignatureParams, values: Mapping[str, str], now: datetime) -> None:
    expires = _from_unix(params.expires) if "(expires)" in params.headers else None
    # Only signed values count: an unsigned Date or created could be anything.
    if "(created)" in params.headers and params.created is not None:
        check_freshness(_from_unix(params.created), now, expires=expires)
    if "date" in params.headers:
        check_freshness(parse_http_date(values["date"]), now, expires=expires)


def _from_unix(seconds: int | None) -> datetime:
    if seconds is None:  # unreachable after _check_coverage; keeps the types honest
        raise MalformedSignature("missing timestamp")
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise MalformedSignature("timestamp out of range") from exc


_PKCS1V15 = PKCS1v15()  # stateless: made once rather than for every request
_SHA256 = SHA256()


def rsa_verifies(public_key: RSAPublicKey, signature: bytes, message: bytes) -> bool:
    """RSASSA-PKCS1-v1_5 with SHA-256, on an already-loaded key."""
    try:
        public_key.verify(signature, message, _PKCS1V15, _SHA256)
    except InvalidSignature:
        return False
    return True


def signature_verifies(public_key: VerifyingKey, signed: SignedRequest) -> bool:
    """Whether ``signed`` (from check_request, either kind) verifies with ``public_key``."""
    if signed.algorithm == CAVAGE:
        return isinstance(public_key, RSAPublicKey) and rsa_verifies(
            public_key, signed.signature, signed.message
        )
    return verifies(public_key, _as_message(signed))


def _as_message(signed: SignedRequest) -> SignedMessage:
    bases = (signed.message, *signed.other_messages)
    return SignedMessage(signed.key_id, signed.signature, signed.algorithm or None, bases)


async def verify_request(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    resolve_key: KeyResolver,
    now: datetime,
    scheme: str | None = None,
) -> ResolvedKey:
    """Verify a signed request, draft-cavage or RFC 9421, and return the key that signed it.

    Calls ``resolve_key(key_id, False)`` and, only if that key does not verify (the actor
    may have rotated it), ``resolve_key(key_id, True)`` once; so at most twice. Errors from
    ``resolve_key`` propagate (raise KeyUnavailable there to get a 401). The caller must
    still check ``result.owner`` against the activity's actor. ``scheme``: see check_request.
    """
    signed = check_request(method, target, headers, body, now=now, scheme=scheme)
    if signed.algorithm != CAVAGE:
        return await _verify_message_signature(signed, resolve_key)
    key = await resolve_key(signed.key_id, False)
    if rsa_verifies(key.public_key, signed.signature, signed.message):
        return key
    key = await resolve_key(signed.key_id, True)
    if rsa_verifies(key.public_key, signed.signature, signed.message):
        return key
    raise BadSignature(f"signature does not verify with key {signed.key_id}")


async def _verify_message_signature(signed: SignedRequest, resolve_key: KeyResolver) -> ResolvedKey:
    """As for cavage: the cached key, then, if it does not verify, a fetched one."""
    message = _as_message(signed)
    for refresh in (False, True):
        key = await resolve_key(signed.key_id, refresh)
        if verifies(key.public_key, message):
            return key
    raise BadSignature(f"signature does not verify with key {signed.key_id}")
