"""Signatures made in the signing child process, and the POST headers split around them."""

from __future__ import annotations

import asyncio
import io
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from fedishare.federation.signer import (
    ProcessSigner,
    SignerUnavailable,
    post_headers,
    with_signature,
)
from fedishare.federation.signing import sign_headers
from fedishare.federation.signing_child import serve

NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
KEY_ID = "https://oak.example/users/alice#main-key"


def pem(key: RSAPrivateKey) -> str:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def verifies(key: RSAPrivateKey, signature: bytes, message: bytes) -> bool:
    key.public_key().verify(signature, message, PKCS1v15(), SHA256())
    return True


@pytest.fixture
async def signer() -> AsyncIterator[ProcessSigner]:
    s = ProcessSigner()
    yield s
    await s.aclose()


def test_split_headers_are_exactly_those_of_sign_headers(private_key: RSAPrivateKey) -> None:
    url = httpx.URL("https://elm.example/users/b%C3%B6b/inbox?x=1")
    body = b'{"type":"Create","object":"\xc3\xa9"}'
    headers, message = post_headers(url, body, NOW)
    assert message == (
        b"(request-target): post /users/b%C3%B6b/inbox?x=1\n"
        b"host: elm.example\n"
        b"date: Sun, 22 Nov 2026 10:00:00 GMT\n"
        b"digest: " + headers["Digest"].encode() + b"\n"
        b"content-type: application/activity+json"
    )
    # PKCS#1 v1.5 signatures are deterministic, so the whole header set can be compared.
    signature = private_key.sign(message, PKCS1v15(), SHA256())
    assert with_signature(headers, KEY_ID, signature) == sign_headers(
        "POST", url, body, key_id=KEY_ID, private_key=private_key, now=NOW
    )


async def test_the_child_signs_with_each_key(
    signer: ProcessSigner, private_key: RSAPrivateKey, other_key: RSAPrivateKey
) -> None:
    messages = [b"message %d" % i for i in range(40)]
    keys = [private_key, other_key] * 20
    signatures = await asyncio.gather(
        *(signer.sign(pem(k), m) for k, m in zip(keys, messages, strict=True))
    )
    for key, message, signature in zip(keys, messages, signatures, strict=True):
        assert signature == key.sign(message, PKCS1v15(), SHA256())


async def test_a_dead_child_fails_what_waits_and_is_replaced(
    signer: ProcessSigner, private_key: RSAPrivateKey
) -> None:
    key = pem(private_key)
    await signer.sign(key, b"first")
    process = signer._child.process if signer._child else None
    assert process is not None
    waiting = [asyncio.ensure_future(signer.sign(key, b"m%d" % i)) for i in range(300)]
    await asyncio.sleep(0)
    process.send_signal(signal.SIGKILL)
    results = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 10)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert failed, "the kill came after every signature was made"
    assert all(isinstance(r, SignerUnavailable) for r in failed)
    signature = await asyncio.wait_for(signer.sign(key, b"again"), timeout=10)
    assert verifies(private_key, signature, b"again")
    assert signer._child is not None and signer._child.process is not process


async def test_a_cancelled_request_does_not_shift_the_answers(
    signer: ProcessSigner, private_key: RSAPrivateKey
) -> None:
    key = pem(private_key)
    await signer.sign(key, b"warm up")
    first = asyncio.ensure_future(signer.sign(key, b"cancelled"))
    second = asyncio.ensure_future(signer.sign(key, b"kept"))
    await asyncio.sleep(0)
    first.cancel()
    assert verifies(private_key, await second, b"kept")


async def test_closing_is_idempotent_and_a_closed_signer_starts_again(
    signer: ProcessSigner, private_key: RSAPrivateKey
) -> None:
    await signer.aclose()
    assert verifies(private_key, await signer.sign(pem(private_key), b"x"), b"x")
    await signer.aclose()
    await signer.aclose()


def test_the_child_loop_reports_errors_in_band(private_key: RSAPrivateKey) -> None:
    key = pem(private_key).encode()
    frames = (
        b"K" + (4 + len(key)).to_bytes(4, "big") + (0).to_bytes(4, "big") + key
        + b"S" + (4 + 2).to_bytes(4, "big") + (0).to_bytes(4, "big") + b"hi"
        + b"S" + (4 + 2).to_bytes(4, "big") + (9).to_bytes(4, "big") + b"no"
    )  # fmt: skip
    out = io.BytesIO()
    serve(io.BytesIO(frames), out)
    answers = out.getvalue()
    assert answers[:5] == b"s" + (256).to_bytes(4, "big")
    assert verifies(private_key, answers[5:261], b"hi")
    assert answers[261:262] == b"e" and b"KeyError" in answers[266:]
