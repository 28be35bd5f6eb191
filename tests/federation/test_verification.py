import base64
import hashlib
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from fedishare.federation.digest import body_digest
from fedishare.federation.errors import (
    BadSignature,
    DateOutOfRange,
    DigestMismatch,
    HeaderNotSigned,
    KeyUnavailable,
    MalformedSignature,
    MissingSignature,
    SignatureError,
    UnsupportedSignature,
)
from fedishare.federation.public_key import ResolvedKey
from fedishare.federation.signing import sign_headers
from fedishare.federation.verification import check_request, verify_request
from fedishare.http.errors import status_of
from tests.federation import mastodon

NOW = datetime(2024, 7, 2, 10, 0, tzinfo=UTC)
DATE = "Tue, 02 Jul 2024 10:00:00 GMT"
KEY_ID = "https://remote.example/users/bob#main-key"
OWNER = "https://remote.example/users/bob"
BODY = b'{"type":"Follow","actor":"https://remote.example/users/bob"}'
TARGET = "/users/alice/inbox"
POST_ORDER = ("(request-target)", "host", "date", "digest", "content-type")
GET_ORDER = ("(request-target)", "host", "date", "accept")


class Resolver:
    """resolve_key that hands out ``cached`` first and ``fresh`` on refresh=True."""

    def __init__(self, cached: RSAPublicKey, fresh: RSAPublicKey | None = None) -> None:
        self.cached = cached
        self.fresh = fresh or cached
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, refresh: bool) -> ResolvedKey:
        self.calls.append((key_id, refresh))
        return ResolvedKey(key_id, OWNER, self.fresh if refresh else self.cached)


def post_headers(
    key: RSAPrivateKey,
    *,
    covered: Sequence[str] = POST_ORDER,
    body: bytes = BODY,
    digest: str | None = None,
    date: str = DATE,
    target: str = TARGET,
    algorithm: str | None = "rsa-sha256",
) -> dict[str, str]:
    headers = {
        "Host": "local.example",
        "Date": date,
        "Digest": digest if digest is not None else body_digest(body),
        "Content-Type": "application/activity+json",
        "User-Agent": "Mastodon/4.3.0 (http.rb/5.2.0; +https://remote.example/)",
    }
    return mastodon.sign(key, KEY_ID, "POST", target, headers, covered, algorithm=algorithm)


def get_headers(
    key: RSAPrivateKey, *, covered: Sequence[str] = GET_ORDER, target: str = "/users/alice"
) -> dict[str, str]:
    headers = {"Host": "local.example", "Date": DATE, "Accept": "application/activity+json"}
    return mastodon.sign(key, KEY_ID, "GET", target, headers, covered)


async def verify_post(
    headers: dict[str, str],
    resolver: Resolver,
    *,
    body: bytes = BODY,
    target: str = TARGET,
    now: datetime = NOW,
) -> ResolvedKey:
    return await verify_request("POST", target, headers, body, resolve_key=resolver, now=now)


# --- accepted -------------------------------------------------------------------------


async def test_round_trip_post(private_key: RSAPrivateKey) -> None:
    url = "https://local.example/users/alice/inbox?via=relay"
    headers = sign_headers("POST", url, BODY, key_id=KEY_ID, private_key=private_key, now=NOW)
    resolver = Resolver(private_key.public_key())
    key = await verify_post(headers, resolver, target="/users/alice/inbox?via=relay")
    assert key == ResolvedKey(KEY_ID, OWNER, resolver.cached)
    assert resolver.calls == [(KEY_ID, False)]


async def test_round_trip_get(private_key: RSAPrivateKey) -> None:
    url = "https://local.example:8443/users/alice/outbox?page=1"
    headers = sign_headers("GET", url, None, key_id=KEY_ID, private_key=private_key, now=NOW)
    resolver = Resolver(private_key.public_key())
    key = await verify_request(
        "GET", "/users/alice/outbox?page=1", headers, b"", resolve_key=resolver, now=NOW
    )
    assert key.key_id == KEY_ID


@pytest.mark.parametrize(
    "covered",
    [
        POST_ORDER,
        ("(request-target)", "host", "date", "digest", "content-type", "user-agent"),
        ("host", "date", "(request-target)", "content-type", "digest"),
        ("digest", "content-type", "date", "host", "(request-target)"),
        ("(request-target)", "date", "digest"),
    ],
)
async def test_any_header_order(private_key: RSAPrivateKey, covered: Sequence[str]) -> None:
    await verify_post(
        post_headers(private_key, covered=covered), Resolver(private_key.public_key())
    )


@pytest.mark.parametrize(
    "covered",
    [
        GET_ORDER,
        ("host", "(request-target)", "date"),
        ("date", "host", "accept", "(request-target)"),
    ],
)
async def test_get_any_header_order(private_key: RSAPrivateKey, covered: Sequence[str]) -> None:
    await verify_request(
        "GET",
        "/users/alice",
        get_headers(private_key, covered=covered),
        b"",
        resolve_key=Resolver(private_key.public_key()),
        now=NOW,
    )


SHA256_B64 = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
SHA512_B64 = base64.b64encode(hashlib.sha512(BODY).digest()).decode()


@pytest.mark.parametrize(
    "digest",
    [
        f"SHA-256={SHA256_B64}",
        f"sha-256={SHA256_B64}",
        f"SHA-512={SHA512_B64},SHA-256={SHA256_B64}",
        f"sha-256={SHA256_B64}, sha-512={SHA512_B64}",
    ],
)
async def test_digest_variants(private_key: RSAPrivateKey, digest: str) -> None:
    await verify_post(post_headers(private_key, digest=digest), Resolver(private_key.public_key()))


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "RSA-SHA256", "hs2019", None])
async def test_algorithms_verified_as_rsa_sha256(
    private_key: RSAPrivateKey, algorithm: str | None
) -> None:
    headers = post_headers(private_key, algorithm=algorithm)
    if algorithm is None:
        assert "algorithm=" not in headers["Signature"]
    await verify_post(headers, Resolver(private_key.public_key()))


async def test_query_string_in_target(private_key: RSAPrivateKey) -> None:
    target = "/users/alice/inbox?a=1&b=%2F"
    headers = post_headers(private_key, target=target)
    await verify_post(headers, Resolver(private_key.public_key()), target=target)
    # The query is part of what was signed.
    with pytest.raises(BadSignature):
        await verify_post(headers, Resolver(private_key.public_key()), target=TARGET)


async def test_header_names_are_case_insensitive(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key)
    shouted = {name.upper(): value for name, value in headers.items()}
    lowered = {name.lower(): value for name, value in headers.items()}
    await verify_post(shouted, Resolver(private_key.public_key()))
    await verify_post(lowered, Resolver(private_key.public_key()))


async def test_method_case_does_not_matter(private_key: RSAPrivateKey) -> None:
    await verify_request(
        "post",
        TARGET,
        post_headers(private_key),
        BODY,
        resolve_key=Resolver(private_key.public_key()),
        now=NOW,
    )


async def test_spaced_signature_header(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key)
    parts = headers["Signature"].split(",")
    headers["Signature"] = " ,  ".join(reversed([p.replace("=", " = ", 1) for p in parts]))
    await verify_post(headers, Resolver(private_key.public_key()))


async def test_hs2019_with_created_instead_of_date(private_key: RSAPrivateKey) -> None:
    created = int(NOW.timestamp()) - 30
    covered = ("(request-target)", "(created)", "host", "digest")
    headers = {"Host": "local.example", "Digest": body_digest(BODY)}
    signed = mastodon.sign(
        private_key, KEY_ID, "POST", TARGET, headers, covered, algorithm="hs2019", created=created
    )
    await verify_post(signed, Resolver(private_key.public_key()))
    with pytest.raises(DateOutOfRange):
        await verify_post(signed, Resolver(private_key.public_key()), now=NOW + timedelta(hours=2))


async def test_date_window_edges(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key)
    resolver = Resolver(private_key.public_key())
    await verify_post(headers, resolver, now=NOW + timedelta(hours=1))
    await verify_post(headers, resolver, now=NOW - timedelta(hours=1))


async def test_httpsig_signer_is_accepted(private_key: RSAPrivateKey) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # httpsig imports pkg_resources
        from httpsig.sign import HeaderSigner

    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = HeaderSigner(
        KEY_ID, pem, algorithm="rsa-sha256", headers=list(POST_ORDER), sign_header="signature"
    )
    headers = {
        "Host": "local.example",
        "Date": DATE,
        "Digest": body_digest(BODY),
        "Content-Type": "application/activity+json",
    }
    signed = dict(signer.sign(headers, method="POST", path=TARGET))
    await verify_post(signed, Resolver(private_key.public_key()))


# --- key rotation ---------------------------------------------------------------------


async def test_rotation_refetches_once(
    private_key: RSAPrivateKey, other_key: RSAPrivateKey
) -> None:
    resolver = Resolver(cached=other_key.public_key(), fresh=private_key.public_key())
    key = await verify_post(post_headers(private_key), resolver)
    assert key.public_key is resolver.fresh
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_wrong_key_rejected_after_two_lookups(
    private_key: RSAPrivateKey, other_key: RSAPrivateKey
) -> None:
    resolver = Resolver(cached=other_key.public_key())
    with pytest.raises(BadSignature) as info:
        await verify_post(post_headers(private_key), resolver)
    assert status_of(info.value) == 401
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_resolver_errors_propagate(private_key: RSAPrivateKey) -> None:
    async def unavailable(key_id: str, refresh: bool) -> ResolvedKey:
        raise KeyUnavailable(f"cannot fetch {key_id}")

    with pytest.raises(KeyUnavailable):
        await verify_request(
            "POST", TARGET, post_headers(private_key), BODY, resolve_key=unavailable, now=NOW
        )


# --- rejected -------------------------------------------------------------------------


async def _rejects(
    headers: dict[str, str],
    key: RSAPrivateKey,
    error: type[SignatureError],
    *,
    method: str = "POST",
    body: bytes = BODY,
    target: str = TARGET,
    now: datetime = NOW,
) -> SignatureError:
    resolver = Resolver(key.public_key())
    with pytest.raises(error) as info:
        await verify_request(method, target, headers, body, resolve_key=resolver, now=now)
    if error is not BadSignature:
        assert resolver.calls == []  # cheap checks come before any key lookup
    assert info.value.reason
    return info.value


async def test_missing_signature(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key)
    del headers["Signature"]
    error = await _rejects(headers, private_key, MissingSignature)
    assert status_of(error) == 401


async def test_rfc9421_input_without_a_signature_is_missing(private_key: RSAPrivateKey) -> None:
    # RFC 9421 requests are verified (tests/federation/test_rfc9421.py); this one has no
    # Signature to verify.
    headers = {"Host": "local.example", "Signature-Input": 'sig1=("@method");keyid="k"'}
    await _rejects(headers, private_key, MissingSignature)


async def test_unsigned_digest_on_post(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key, covered=("(request-target)", "host", "date"))
    await _rejects(headers, private_key, HeaderNotSigned)


async def test_unsigned_host_on_get(private_key: RSAPrivateKey) -> None:
    headers = get_headers(private_key, covered=("(request-target)", "date", "accept"))
    await _rejects(
        headers, private_key, HeaderNotSigned, method="GET", body=b"", target="/users/alice"
    )


async def test_unsigned_request_target(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key, covered=("host", "date", "digest"))
    await _rejects(headers, private_key, HeaderNotSigned)


async def test_unsigned_date(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key, covered=("(request-target)", "host", "digest"))
    await _rejects(headers, private_key, HeaderNotSigned)


async def test_default_headers_list_is_date_only(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key, covered=("date",))
    headers["Signature"] = headers["Signature"].replace(',headers="date"', "")
    await _rejects(headers, private_key, HeaderNotSigned)


async def test_wrong_digest(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key, digest=body_digest(b"something else"))
    await _rejects(headers, private_key, DigestMismatch)


async def test_digest_without_sha256(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key, digest=f"SHA-512={SHA512_B64}")
    await _rejects(headers, private_key, DigestMismatch)


async def test_tampered_body(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key)
    await _rejects(headers, private_key, DigestMismatch, body=BODY.replace(b"Follow", b"Delete"))


async def test_tampered_signed_header(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key)
    headers["Content-Type"] = "text/plain"
    await _rejects(headers, private_key, BadSignature)


async def test_stale_date(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key)
    stale = NOW + timedelta(hours=1, seconds=1)
    await _rejects(headers, private_key, DateOutOfRange, now=stale)


async def test_future_date(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key)
    early = NOW - timedelta(hours=1, seconds=1)
    await _rejects(headers, private_key, DateOutOfRange, now=early)


async def test_unreadable_date(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key, date="yesterday")
    error = await _rejects(headers, private_key, MalformedSignature)
    assert status_of(error) == 400


async def test_created_with_rsa_sha256_is_an_error(private_key: RSAPrivateKey) -> None:
    created = int(NOW.timestamp())
    covered = ("(request-target)", "(created)", "host", "digest")
    headers = {"Host": "local.example", "Digest": body_digest(BODY)}
    signed = mastodon.sign(private_key, KEY_ID, "POST", TARGET, headers, covered, created=created)
    await _rejects(signed, private_key, MalformedSignature)


async def test_unsupported_algorithm(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key, algorithm="hmac-sha256")
    await _rejects(headers, private_key, UnsupportedSignature)


async def test_signed_header_absent(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key)
    del headers["Content-Type"]
    await _rejects(headers, private_key, BadSignature)


async def test_non_ascii_signed_header(private_key: RSAPrivateKey) -> None:
    headers = post_headers(private_key)
    headers["Content-Type"] = "application/activity+json; x=é"
    await _rejects(headers, private_key, MalformedSignature)


@pytest.mark.parametrize(
    "signature",
    [
        "garbage",
        'keyId="k"',
        'keyId="k",signature="***"',
        'keyId="k,signature="AAAA"',
        "",
    ],
)
async def test_malformed_signature_header(private_key: RSAPrivateKey, signature: str) -> None:
    headers = post_headers(private_key)
    headers["Signature"] = signature
    error = await _rejects(headers, private_key, MalformedSignature)
    assert status_of(error) == 400


async def test_naive_now_is_a_programming_error(private_key: RSAPrivateKey) -> None:
    with pytest.raises(ValueError):
        check_request("POST", TARGET, post_headers(private_key), BODY, now=datetime(2024, 7, 2))


async def test_signed_digest_is_checked_on_get_too(private_key: RSAPrivateKey) -> None:
    headers = {"Host": "local.example", "Date": DATE, "Digest": body_digest(b"not empty")}
    covered = ("(request-target)", "host", "date", "digest")
    signed = mastodon.sign(private_key, KEY_ID, "GET", "/users/alice", headers, covered)
    await _rejects(
        signed, private_key, DigestMismatch, method="GET", body=b"", target="/users/alice"
    )


async def test_signed_expires_is_enforced(private_key: RSAPrivateKey) -> None:
    created = int(NOW.timestamp())
    covered = ("(request-target)", "(created)", "(expires)", "host", "digest")
    headers = {"Host": "local.example", "Digest": body_digest(BODY)}
    signed = mastodon.sign(
        private_key,
        KEY_ID,
        "POST",
        TARGET,
        headers,
        covered,
        algorithm="hs2019",
        created=created,
        expires=created + 300,
    )
    await verify_post(signed, Resolver(private_key.public_key()))
    # Expiry gets the same one-hour skew margin as dates.
    late = NOW + timedelta(minutes=5 + 61)
    await _rejects(signed, private_key, DateOutOfRange, now=late)


async def test_starlette_headers_with_repeats(private_key: RSAPrivateKey) -> None:
    from starlette.datastructures import Headers

    covered = (*POST_ORDER, "x-repeated")
    headers = {
        "Host": "local.example",
        "Date": DATE,
        "Digest": body_digest(BODY),
        "Content-Type": "application/activity+json",
        "X-Repeated": "a, b",  # the draft joins repeated fields like this
    }
    signed = mastodon.sign(private_key, KEY_ID, "POST", TARGET, headers, covered)
    raw = [(k.lower().encode(), v.encode()) for k, v in signed.items() if k != "X-Repeated"]
    raw += [(b"x-repeated", b"a"), (b"x-repeated", b"b")]  # as two fields on the wire
    await verify_post(Headers(raw=raw), Resolver(private_key.public_key()))
