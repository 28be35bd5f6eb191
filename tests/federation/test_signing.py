import base64
import re
import warnings
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.hashes import SHA256

from fedishare import __version__
from fedishare.federation.signing import request_host, sign_headers

NOW = datetime(2024, 7, 2, 10, 0, tzinfo=UTC)
KEY_ID = "https://local.example/users/alice#main-key"
BODY = b'{"type":"Follow"}'
DIGEST = "SHA-256=GYwYnH3BiO6aICFt0ThC5bUIJ4byvqdpWtR8m5fNkww="
ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
SIGNATURE = re.compile(
    r'keyId="(?P<key_id>[^"]*)",algorithm="rsa-sha256",'
    r'signature="(?P<signature>[A-Za-z0-9+/=]+)",headers="(?P<headers>[^"]*)"'
)


def _signed_bytes(headers: dict[str, str], key: RSAPrivateKey, expected: bytes) -> None:
    """Assert that the Signature is exactly an RSA signature over ``expected``."""
    match = SIGNATURE.fullmatch(headers["Signature"])
    assert match, headers["Signature"]
    signature = base64.b64decode(match["signature"])
    key.public_key().verify(signature, expected, PKCS1v15(), SHA256())
    # PKCS#1 v1.5 is deterministic, so the same key signs the same bytes identically.
    assert signature == key.sign(expected, PKCS1v15(), SHA256())


def test_post_headers_byte_exact(private_key: RSAPrivateKey) -> None:
    headers = sign_headers(
        "post",
        "https://remote.example:8443/users/bob/inbox?x=1&y=%2F",
        BODY,
        key_id=KEY_ID,
        private_key=private_key,
        now=NOW,
    )
    assert list(headers) == ["Host", "Date", "Digest", "Content-Type", "User-Agent", "Signature"]
    assert headers["Host"] == "remote.example:8443"
    assert headers["Date"] == "Tue, 02 Jul 2024 10:00:00 GMT"
    assert headers["Digest"] == DIGEST
    assert headers["Content-Type"] == "application/activity+json"
    assert headers["User-Agent"] == f"fedishare/{__version__}"
    match = SIGNATURE.fullmatch(headers["Signature"])
    assert match
    assert match["key_id"] == KEY_ID
    assert match["headers"] == "(request-target) host date digest content-type"
    expected = "\n".join(
        [
            "(request-target): post /users/bob/inbox?x=1&y=%2F",
            "host: remote.example:8443",
            "date: Tue, 02 Jul 2024 10:00:00 GMT",
            f"digest: {DIGEST}",
            "content-type: application/activity+json",
        ]
    ).encode()
    _signed_bytes(headers, private_key, expected)


def test_get_headers_byte_exact(private_key: RSAPrivateKey) -> None:
    headers = sign_headers(
        "GET",
        "https://remote.example/users/bob/outbox?page=true",
        None,
        key_id=KEY_ID,
        private_key=private_key,
        now=NOW,
    )
    assert list(headers) == ["Host", "Date", "Accept", "User-Agent", "Signature"]
    assert headers["Host"] == "remote.example"
    assert headers["Date"] == "Tue, 02 Jul 2024 10:00:00 GMT"
    assert headers["Accept"] == ACCEPT
    match = SIGNATURE.fullmatch(headers["Signature"])
    assert match
    assert match["headers"] == "(request-target) host date accept"
    expected = "\n".join(
        [
            "(request-target): get /users/bob/outbox?page=true",
            "host: remote.example",
            "date: Tue, 02 Jul 2024 10:00:00 GMT",
            f"accept: {ACCEPT}",
        ]
    ).encode()
    _signed_bytes(headers, private_key, expected)


def test_signature_covers_the_request(private_key: RSAPrivateKey) -> None:
    headers = sign_headers(
        "POST",
        "https://remote.example/inbox",
        BODY,
        key_id=KEY_ID,
        private_key=private_key,
        now=NOW,
    )
    with pytest.raises(InvalidSignature):
        _signed_bytes(headers, private_key, b"(request-target): post /other")


def test_caller_overrides(private_key: RSAPrivateKey) -> None:
    headers = sign_headers(
        "POST",
        "http://remote.example/inbox",
        None,
        key_id=KEY_ID,
        private_key=private_key,
        now=NOW,
        content_type='application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        user_agent="fedishare/9 (+https://local.example/)",
    )
    assert headers["Digest"] == "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    assert headers["Content-Type"].startswith("application/ld+json")
    assert headers["User-Agent"] == "fedishare/9 (+https://local.example/)"


def test_path_is_signed_as_httpx_sends_it(private_key: RSAPrivateKey) -> None:
    headers = sign_headers(
        "GET",
        "https://remote.example/a b/ü?q=x y",
        None,
        key_id=KEY_ID,
        private_key=private_key,
        now=NOW,
    )
    expected = "\n".join(
        [
            "(request-target): get /a%20b/%C3%BC?q=x%20y",
            "host: remote.example",
            "date: Tue, 02 Jul 2024 10:00:00 GMT",
            f"accept: {ACCEPT}",
        ]
    ).encode()
    _signed_bytes(headers, private_key, expected)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://remote.example/x", "remote.example"),
        ("https://remote.example:443/x", "remote.example"),
        ("http://remote.example:80/x", "remote.example"),
        ("http://remote.example:443/x", "remote.example:443"),
        ("https://remote.example:8443/x", "remote.example:8443"),
        ("https://REMOTE.Example/x", "remote.example"),
        ("http://127.0.0.1:8000/x", "127.0.0.1:8000"),
        ("http://[::1]:8080/x", "[::1]:8080"),
        ("https://bücher.example/x", "xn--bcher-kva.example"),
    ],
)
def test_request_host(url: str, host: str) -> None:
    assert request_host(url) == host


def test_refuses_other_methods_and_get_bodies(private_key: RSAPrivateKey) -> None:
    with pytest.raises(ValueError):
        sign_headers(
            "PUT", "https://r.example/", b"", key_id=KEY_ID, private_key=private_key, now=NOW
        )
    with pytest.raises(ValueError):
        sign_headers(
            "GET", "https://r.example/", b"x", key_id=KEY_ID, private_key=private_key, now=NOW
        )


def test_httpsig_reference_verifier_accepts_ours(private_key: RSAPrivateKey) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # httpsig imports pkg_resources
        from httpsig.verify import HeaderVerifier

    pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for method, body in (("POST", BODY), ("GET", None)):
        headers = sign_headers(
            method,
            "https://remote.example/inbox?a=1",
            body,
            key_id=KEY_ID,
            private_key=private_key,
            now=NOW,
        )
        verifier = HeaderVerifier(
            headers,
            pem,
            required_headers=["(request-target)", "host", "date"],
            method=method,
            path="/inbox?a=1",
            sign_header="signature",
        )
        assert verifier.verify()
