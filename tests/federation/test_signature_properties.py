"""Whatever a request's signature headers say, verification answers with one of our
SignatureErrors (a 400 or 401 with a reason) or a verified key, never anything else."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fedishare.federation.content_digest import check_content_digest
from fedishare.federation.errors import DigestMismatch, MalformedSignature, SignatureError
from fedishare.federation.public_key import ResolvedKey
from fedishare.federation.signature_header import parse_signature_header
from fedishare.federation.signature_input import (
    _parsed_inputs,
    _quick_inputs,
    parse_message_signatures,
)
from fedishare.federation.verification import check_request, verify_request
from fedishare.http.errors import status_of
from tests.federation import rfc9421

NOW = datetime(2024, 7, 2, 10, 0, tzinfo=UTC)
CREATED = int(NOW.timestamp())
URL = "https://local.example/users/alice/inbox"
TARGET = "/users/alice/inbox"
BODY = b'{"type":"Follow"}'
KEY = Ed25519PrivateKey.generate()  # fast to make and to use: many examples per second
KEY_ID = "https://remote.example/users/bob#main-key"

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Header text as it arrives (latin-1 from ASGI), and anything else a caller might pass.
header_text = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=120),
    st.text(max_size=60),
)
# Text that looks like what it parses: the characters signature headers are made of.
signature_like = st.text(alphabet='sig1=();:"@-,. \tkeyidcreatd0123456789abAZ+/\\?*', max_size=120)


def _only_ours(call: object) -> SignatureError | None:
    try:
        call()  # type: ignore[operator]
    except SignatureError as exc:
        assert exc.reason
        assert status_of(exc) in (400, 401)
        return exc
    return None


@FAST
@given(st.one_of(header_text, signature_like))
@example('keyId="a",signature="AAAA",headers="(request-target) date"')
@example('keyId="a",signature="AAAA",keyId="b"')
@example('keyId="a\\"b",signature="AAAA"')
def test_the_signature_header_parser_raises_only_malformed(value: str) -> None:
    try:
        parse_signature_header(value)
    except MalformedSignature as exc:
        assert exc.reason


@FAST
@given(st.one_of(header_text, signature_like), st.one_of(header_text, signature_like))
@example('sig1=("@method");created=1;keyid="k"', "sig1=:AAAA:")
@example('sig1=("@method" "@method")', "sig1=:AAAA:")
@example("sig1=?1", "sig1=:AAAA:")
@example('sig1=("a";x="\\"")', "sig1=:AAAA:")
def test_the_signature_input_parser_raises_only_malformed(inputs: str, signature: str) -> None:
    try:
        found = parse_message_signatures(inputs, signature)
    except MalformedSignature as exc:
        assert exc.reason
    else:
        assert found and all(isinstance(s.signature, bytes) for s in found)


labels = st.builds(str.__add__, st.sampled_from("as*"), st.text("a1_-.*z", max_size=5))
names = st.sampled_from(
    ["@method", "@target-uri", "@authority", "@path", "content-digest", "date", "host", "x"]
)
strings = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
param_values = st.one_of(st.integers(-(10**15) + 1, 10**15 - 1), strings)


@st.composite
def signature_inputs(draw: st.DrawFn) -> str:
    members = []
    for label in draw(st.lists(labels, min_size=1, max_size=3, unique=True)):
        components = draw(st.lists(names, max_size=5, unique=True))
        params = draw(st.dictionaries(labels, param_values, max_size=4))
        text = "(" + " ".join(f'"{name}"' for name in components) + ")"
        for key, value in params.items():
            if isinstance(value, int):
                text += f";{key}={value}"
            else:
                quoted = value.replace("\\", "\\\\").replace('"', '\\"')
                text += f';{key}="{quoted}"'
        members.append(f"{label}={text}")
    return draw(st.sampled_from([", ", ",", " ,\t"])).join(members)


@settings(FAST, max_examples=60)
@given(signature_inputs())
def test_the_quick_signature_input_reader_agrees_with_http_sf(value: str) -> None:
    quick = _quick_inputs(value)
    parsed = _parsed_inputs(value)
    if quick is not None:
        assert quick == parsed


def test_the_quick_reader_takes_what_mastodon_sends() -> None:
    value = 'sig1=("@method" "@target-uri" "content-digest");created=1719914400;keyid="k#a"'
    assert _quick_inputs(value) == _parsed_inputs(value)
    assert _quick_inputs(value) is not None


def _post_headers(**options: object) -> dict[str, str]:
    return rfc9421.signed_post(KEY, KEY_ID, URL, BODY, created=CREATED, **options)  # type: ignore[arg-type]


SIGNED = _post_headers()
NAMES = ["signature-input", "signature", "content-digest", "host", "date", "digest"]


@FAST
@given(
    st.dictionaries(st.sampled_from(NAMES), st.one_of(header_text, signature_like), max_size=6),
    st.sampled_from(["POST", "GET", "PUT", "post"]),
    st.text(max_size=40),
    st.binary(max_size=40),
)
def test_check_request_raises_only_signature_errors(
    headers: dict[str, str], method: str, target: str, body: bytes
) -> None:
    _only_ours(lambda: check_request(method, target or "/", headers, body, now=NOW))


async def _resolve(key_id: str, refresh: bool) -> ResolvedKey:
    return ResolvedKey(key_id, "https://remote.example/users/bob", KEY.public_key())  # type: ignore[arg-type]


@FAST
@given(
    st.sampled_from(sorted(SIGNED)),
    st.one_of(header_text, signature_like),
    st.binary(max_size=30),
)
def test_a_signed_request_with_any_one_value_changed_verifies_or_is_refused(
    name: str, value: str, body: bytes
) -> None:
    headers = {**SIGNED, name: value}

    def verify() -> ResolvedKey:
        return asyncio.run(
            verify_request("POST", TARGET, headers, body or BODY, resolve_key=_resolve, now=NOW)
        )

    refused = _only_ours(verify)
    if headers == SIGNED and not body:
        assert refused is None


@FAST
@given(st.one_of(header_text, signature_like), st.binary(max_size=30))
@example("sha-256=:" + base64.b64encode(b"\0" * 32).decode() + ":", b"")
@example("sha-256=:AAAA:, sha-256=:AAAA:", b"")
def test_content_digest_raises_only_mismatch_or_malformed(header: str, body: bytes) -> None:
    with pytest.raises((DigestMismatch, MalformedSignature)):
        check_content_digest(header, body)
