"""RFC 9421 HTTP Message Signatures on incoming requests: the exact bytes, the rules shared
with draft-cavage, and a cross-check against http-message-signatures' own signer."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from fedishare.federation.content_digest import check_content_digest, content_digest
from fedishare.federation.errors import (
    BadSignature,
    DateOutOfRange,
    DigestMismatch,
    HeaderNotSigned,
    MalformedSignature,
    MissingSignature,
    SignatureError,
    UnsupportedSignature,
)
from fedishare.federation.message_signatures import SignedMessage, verifies
from fedishare.federation.public_key import ResolvedKey
from fedishare.federation.signature_base import Request, build_signature_base
from fedishare.federation.signature_input import parse_message_signatures
from fedishare.federation.verification import check_request, verify_request
from fedishare.http.errors import error_response, status_of
from tests.federation import rfc9421

NOW = datetime(2024, 7, 2, 10, 0, tzinfo=UTC)
CREATED = int(NOW.timestamp())
KEY_ID = "https://remote.example/users/bob#main-key"
OWNER = "https://remote.example/users/bob"
BODY = b'{"type":"Follow","actor":"https://remote.example/users/bob"}'
URL = "https://local.example/users/alice/inbox"
DATE = "Tue, 02 Jul 2024 10:00:00 GMT"
TARGET = "/users/alice/inbox"


class Resolver:
    """resolve_key that hands out ``cached`` first and ``fresh`` on refresh=True."""

    def __init__(self, cached: object, fresh: object | None = None) -> None:
        self.cached = cached
        self.fresh = fresh or cached
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, refresh: bool) -> ResolvedKey:
        self.calls.append((key_id, refresh))
        return ResolvedKey(key_id, OWNER, self.fresh if refresh else self.cached)  # type: ignore[arg-type]


def post(key: RSAPrivateKey | Ed25519PrivateKey, **options: object) -> dict[str, str]:
    body = options.pop("body", BODY)
    assert isinstance(body, bytes)
    url = options.pop("url", URL)
    assert isinstance(url, str)
    return rfc9421.signed_post(key, KEY_ID, url, body, created=CREATED, **options)  # type: ignore[arg-type]


async def verify_post(
    headers: dict[str, str], resolver: Resolver, *, body: bytes = BODY, target: str = TARGET
) -> ResolvedKey:
    return await verify_request("POST", target, headers, body, resolve_key=resolver, now=NOW)


# --- the exact bytes ----------------------------------------------------------------------

# RFC 9421 Appendix B.1.4 (test-key-ed25519) and B.2.6: Ed25519 is deterministic, so the
# RFC's own signature verifies only over the very bytes the RFC shows.
RFC_ED25519_PUBLIC = b"""-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----"""
RFC_HEADERS = {
    "host": "example.com",
    "date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "content-type": "application/json",
    "content-length": "18",
}
RFC_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WP"
    "pBKRCw==:"
)


def test_rfc_9421_ed25519_example_base_and_signature() -> None:
    (signature,) = parse_message_signatures(RFC_INPUT, RFC_SIGNATURE)
    base = build_signature_base(
        signature, Request("POST", "https", "/foo?param=Value&Pet=dog", RFC_HEADERS)
    )
    assert base.decode().split("\n") == [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-length": 18',
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
        '"content-length");created=1618884473;keyid="test-key-ed25519"',
    ]
    key = load_pem_public_key(RFC_ED25519_PUBLIC)
    assert verifies(key, SignedMessage("test-key-ed25519", signature.signature, None, (base,)))  # type: ignore[arg-type]
    tampered = base.replace(b"/foo", b"/bar")
    assert not verifies(key, SignedMessage("k", signature.signature, None, (tampered,)))  # type: ignore[arg-type]


def test_the_rfc_example_is_refused_for_not_covering_the_query_or_digest() -> None:
    headers = {**RFC_HEADERS, "signature-input": RFC_INPUT, "signature": RFC_SIGNATURE}
    at = datetime(2021, 4, 20, 2, 8, tzinfo=UTC)
    with pytest.raises(HeaderNotSigned, match="@target-uri is not signed"):
        check_request("POST", "/foo?param=Value&Pet=dog", headers, b'{"hello": "world"}', now=at)
    with pytest.raises(HeaderNotSigned, match="content-digest is not signed"):
        check_request("POST", "/foo", headers, b'{"hello": "world"}', now=at)


def test_mastodon_post_signature_base_line_by_line(private_key: RSAPrivateKey) -> None:
    headers = post(private_key)
    signed = check_request("POST", TARGET, headers, BODY, now=NOW)
    digest = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert signed.message.decode().split("\n") == [
        '"@method": POST',
        '"@target-uri": https://local.example/users/alice/inbox',
        f'"content-digest": sha-256=:{digest}:',
        '"@signature-params": ("@method" "@target-uri" "content-digest")'
        f';created={CREATED};keyid="{KEY_ID}"',
    ]
    assert signed.key_id == KEY_ID
    # The scheme is not known here: the base for http is the one tried next.
    http = signed.message.replace(b"https://local", b"http://local")
    assert signed.other_messages == (http,)


# --- accepted -----------------------------------------------------------------------------


@pytest.mark.parametrize("alg", [None, "rsa-v1_5-sha256", "rsa-pss-sha512"])
async def test_rsa_signatures_verify(private_key: RSAPrivateKey, alg: str | None) -> None:
    resolver = Resolver(private_key.public_key())
    key = await verify_post(post(private_key, alg=alg), resolver)
    assert key == ResolvedKey(KEY_ID, OWNER, resolver.cached)  # type: ignore[arg-type]
    assert resolver.calls == [(KEY_ID, False)]


@pytest.mark.parametrize("alg", [None, "ed25519"])
async def test_an_ed25519_key_verifies(alg: str | None) -> None:
    key = Ed25519PrivateKey.generate()
    await verify_post(post(key, alg=alg), Resolver(key.public_key()))


@pytest.mark.parametrize(
    "components",
    [
        ("@method", "@target-uri", "content-digest"),
        ("content-digest", "@target-uri", "@method", "content-type", "host"),
        ("@method", "@authority", "@path", "content-digest"),
        ("@method", "@authority", "@request-target", "content-digest", "date"),
    ],
)
async def test_any_sufficient_components_in_any_order(
    private_key: RSAPrivateKey, components: Sequence[str]
) -> None:
    headers = post(private_key, components=components, extra={"Date": DATE})
    await verify_post(headers, Resolver(private_key.public_key()))


async def test_get_signed_like_mastodon(private_key: RSAPrivateKey) -> None:
    url = "https://local.example/users/alice/outbox?page=1"
    headers = rfc9421.sign(
        private_key,
        KEY_ID,
        "GET",
        url,
        {"Host": "local.example", "Accept": "application/activity+json"},
        created=CREATED,
        components=rfc9421.MASTODON_GET,
    )
    target = "/users/alice/outbox?page=1"
    resolver = Resolver(private_key.public_key())
    await verify_request("GET", target, headers, b"", resolve_key=resolver, now=NOW)


async def test_a_signature_for_http_verifies_unless_the_scheme_is_known_to_be_https(
    private_key: RSAPrivateKey,
) -> None:
    headers = post(private_key, url="http://local.example:8080/users/alice/inbox")
    resolver = Resolver(private_key.public_key())
    await verify_post(headers, resolver)
    await verify_request(
        "POST", TARGET, headers, BODY, resolve_key=resolver, now=NOW, scheme="http"
    )
    with pytest.raises(BadSignature):
        await verify_request(
            "POST", TARGET, headers, BODY, resolve_key=resolver, now=NOW, scheme="https"
        )


async def test_the_first_label_that_meets_the_rules_is_the_one_verified(
    private_key: RSAPrivateKey, other_key: RSAPrivateKey
) -> None:
    weak = post(other_key, components=("@method", "@target-uri"), label="weak")
    strong = post(private_key, label="strong")
    headers = {
        **strong,
        "Signature-Input": f"{weak['Signature-Input']}, {strong['Signature-Input']}",
        "Signature": f"{weak['Signature']}, {strong['Signature']}",
    }
    await verify_post(headers, Resolver(private_key.public_key()))


async def test_a_rotated_key_is_fetched_again_once(
    private_key: RSAPrivateKey, other_key: RSAPrivateKey
) -> None:
    resolver = Resolver(other_key.public_key(), fresh=private_key.public_key())
    key = await verify_post(post(private_key), resolver)
    assert key.public_key is resolver.fresh
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]


# --- cross-checked with http-message-signatures' signer ------------------------------------


@pytest.mark.parametrize(
    "algorithm", [algorithms.RSA_V1_5_SHA256, algorithms.RSA_PSS_SHA512, algorithms.ED25519]
)
@pytest.mark.parametrize(
    "components",
    [
        ("@method", "@target-uri", "content-digest"),
        ("@method", "@authority", "@path", "@query", '"@query-param";name="via"', "content-digest"),
        ("@method", "@target-uri", "content-digest", '"content-digest";sf', "content-type"),
    ],
)
async def test_requests_signed_by_http_message_signatures_verify(
    private_key: RSAPrivateKey, algorithm: type, components: Sequence[str]
) -> None:
    key = Ed25519PrivateKey.generate() if algorithm is algorithms.ED25519 else private_key
    request = httpx.Request(
        "POST",
        "https://local.example/users/alice/inbox?via=relay",
        content=BODY,
        headers={"Content-Type": "application/activity+json"},
    )
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: key}),
    )
    signer.sign(
        request,
        key_id=KEY_ID,
        created=NOW,
        label="sig1",
        covered_component_ids=tuple(components),
        body=BODY,
    )
    resolver = Resolver(key.public_key())
    target = request.url.raw_path.decode()
    headers = list(request.headers.items())
    assert await verify_post(dict(headers), resolver, target=target)
    request.headers["Content-Type"] = "text/plain"  # covered by the last set of components
    if "content-type" in components:
        with pytest.raises(BadSignature):
            await verify_post(dict(request.headers.items()), resolver, target=target)


# --- refused, each with its reason -----------------------------------------------------------


def refusal(headers: dict[str, str], *, body: bytes = BODY, method: str = "POST") -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        check_request(method, TARGET, headers, body, now=NOW)
    return caught.value


@pytest.mark.parametrize(
    ("change", "error", "reason"),
    [
        ({"components": ("@target-uri", "content-digest")}, HeaderNotSigned, "@method"),
        ({"components": ("@method", "content-digest")}, HeaderNotSigned, "@target-uri"),
        ({"components": ("@method", "@path", "content-digest")}, HeaderNotSigned, "@target-uri"),
        ({"components": ("@method", "@target-uri")}, HeaderNotSigned, "content-digest"),
        ({"alg": "hmac-sha256"}, UnsupportedSignature, "hmac-sha256"),
        ({"created": CREATED - 7200}, DateOutOfRange, "too old"),
        ({"created": CREATED + 7200}, DateOutOfRange, "future"),
        ({"created": CREATED - 3000, "expires": CREATED - 7000}, DateOutOfRange, "expired"),
    ],
)
def test_refused_with_its_reason(
    private_key: RSAPrivateKey, change: dict[str, object], error: type, reason: str
) -> None:
    change = dict(change)
    created = change.pop("created", CREATED)
    headers = rfc9421.signed_post(private_key, KEY_ID, URL, BODY, created=created, **change)  # type: ignore[arg-type]
    refused = refusal(headers)
    assert type(refused) is error
    assert reason in refused.reason
    assert status_of(refused) == 401


def test_a_tampered_body_is_refused_by_its_digest(private_key: RSAPrivateKey) -> None:
    refused = refusal(post(private_key), body=BODY.replace(b"Follow", b"Block"))
    assert isinstance(refused, DigestMismatch)
    assert refused.reason == "Content-Digest does not match the body"


@pytest.mark.parametrize(
    ("digest", "error"),
    [
        ("sha-512=:" + base64.b64encode(b"\0" * 64).decode() + ":", DigestMismatch),
        ("md5=:AAAA:", DigestMismatch),
        ("sha-256=AAAA", MalformedSignature),
    ],
)
def test_content_digest_checks(private_key: RSAPrivateKey, digest: str, error: type) -> None:
    headers = post(private_key)
    headers["Content-Digest"] = digest
    assert type(refusal(headers)) is error


def test_a_sha_512_digest_is_accepted(private_key: RSAPrivateKey) -> None:
    headers = {
        "Host": "local.example",
        "Content-Digest": "sha-512=:"
        + base64.b64encode(hashlib.sha512(BODY).digest()).decode()
        + ":",
    }
    signed = rfc9421.sign(private_key, KEY_ID, "POST", URL, headers, created=CREATED)
    check_request("POST", TARGET, signed, BODY, now=NOW)


@pytest.mark.parametrize(
    ("signature_input", "signature", "error"),
    [
        (
            'sig1=("@method" "@target-uri" "content-digest");created=1',
            "sig1=:AAAA:",
            MalformedSignature,
        ),
        ("sig1=(@method)", "sig1=:AAAA:", MalformedSignature),
        ('sig1=("@method")', "other=:AAAA:", MalformedSignature),
        ('sig1=("@method")', "sig1=AAAA", MalformedSignature),
        ("", "sig1=:AAAA:", MalformedSignature),
    ],
)
def test_malformed_headers_are_400(signature_input: str, signature: str, error: type) -> None:
    headers = {"Host": "local.example", "Signature-Input": signature_input, "Signature": signature}
    refused = refusal(headers)
    assert type(refused) is error
    assert status_of(refused) == 400


def test_signature_input_without_signature_is_not_signed() -> None:
    headers = {"Host": "local.example", "Signature-Input": 'sig1=("@method");created=1'}
    assert isinstance(refusal(headers), MissingSignature)


async def test_a_wrong_key_is_refused_after_one_refetch(
    private_key: RSAPrivateKey, other_key: RSAPrivateKey
) -> None:
    resolver = Resolver(other_key.public_key())
    with pytest.raises(BadSignature, match=KEY_ID):
        await verify_post(post(private_key), resolver)
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_an_alg_that_does_not_fit_the_key_is_refused(private_key: RSAPrivateKey) -> None:
    headers = post(private_key, alg="ed25519")
    with pytest.raises(BadSignature):
        await verify_post(headers, Resolver(private_key.public_key()))


def test_a_refusal_advertises_accept_signature(private_key: RSAPrivateKey) -> None:
    response = error_response(refusal(post(private_key, components=("@method",))))
    assert response.status_code == 401
    assert response.headers["accept-signature"] == (
        'sig1=("@method" "@target-uri" "content-digest");created;keyid'
    )


def test_cavage_requests_never_reach_the_9421_parser(private_key: RSAPrivateKey) -> None:
    """A Signature-Input is what sends a request down the RFC 9421 path, nothing else."""
    from tests.federation.test_verification import post_headers

    signed = check_request("POST", TARGET, post_headers(private_key), BODY, now=NOW)
    assert signed.algorithm == "draft-cavage"


# RFC 9421 Appendix B.2's body and its digests (RFC 9530).
RFC_BODY = b'{"hello": "world"}'
RFC_SHA256 = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
RFC_SHA512 = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+"
    "AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
)


def test_content_digest_values_are_the_rfcs() -> None:
    assert content_digest(RFC_BODY) == RFC_SHA256
    assert content_digest(RFC_BODY, "sha-512") == RFC_SHA512


@pytest.mark.parametrize(
    "header",
    [RFC_SHA256, RFC_SHA512, f"{RFC_SHA512}, {RFC_SHA256}", f"unixsum=:AAAA:,{RFC_SHA256}"],
)
def test_content_digest_accepts_either_hash_and_ignores_others(header: str) -> None:
    check_content_digest(header, RFC_BODY)


def test_content_digest_refuses_any_wrong_entry_of_a_known_hash() -> None:
    wrong = content_digest(b"other", "sha-512")
    with pytest.raises(DigestMismatch):
        check_content_digest(f"{RFC_SHA256}, {wrong}", RFC_BODY)


def test_an_overlong_signature_input_is_refused_before_it_is_parsed() -> None:
    headers = {"Host": "local.example", "Signature": "sig1=:AAAA:"}
    headers["Signature-Input"] = 'sig1=("@method");keyid="' + "k" * 9000 + '"'
    refused = refusal(headers)
    assert isinstance(refused, MalformedSignature)
    assert refused.reason == "Signature-Input is longer than 8192 characters"
