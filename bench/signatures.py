"""How fast draft-cavage signing and verification run: ours, raw RSA, and httpsig.

Run: .venv/bin/python bench/signatures.py   (about 7 s; figures drift ±20% between runs)
"""

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from fedishare.federation.public_key import ResolvedKey
from fedishare.federation.signing import POST_SIGNED, sign_headers
from fedishare.federation.verification import verify_request

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # httpsig imports pkg_resources
    from httpsig.sign import HeaderSigner
    from httpsig.verify import HeaderVerifier

DURATION = 1.0
KEY_ID = "https://remote.example/users/bob#main-key"
URL = "https://local.example/users/alice/inbox"
TARGET = "/users/alice/inbox"
BODY = b'{"@context":"https://www.w3.org/ns/activitystreams","type":"Create"}' * 30  # ~2 KB


def rate(step: Callable[[], object]) -> float:
    """Calls per second of ``step``, timed in batches for about DURATION seconds."""
    calls, batch, start = 0, 16, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < DURATION:
        for _ in range(batch):
            step()
        calls += batch
    return calls / elapsed


async def async_rate(step: Callable[[], Awaitable[object]]) -> float:
    calls, batch, start = 0, 16, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < DURATION:
        for _ in range(batch):
            await step()
        calls += batch
    return calls / elapsed


async def main() -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_key = private_key.public_key()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = datetime.now(UTC)
    headers = sign_headers("POST", URL, BODY, key_id=KEY_ID, private_key=private_key, now=now)
    message = b"(request-target): post /inbox\nhost: local.example\ndate: x"
    signature = private_key.sign(message, PKCS1v15(), SHA256())
    cached = ResolvedKey(KEY_ID, "https://remote.example/users/bob", public_key)

    async def resolve_key(key_id: str, refresh: bool) -> ResolvedKey:
        return cached

    async def ours_verify() -> ResolvedKey:
        return await verify_request("POST", TARGET, headers, BODY, resolve_key=resolve_key, now=now)

    def httpsig_verify() -> None:
        verifier = HeaderVerifier(
            headers,
            public_pem,
            required_headers=list(POST_SIGNED),
            method="POST",
            path=TARGET,
            sign_header="signature",
        )
        if not verifier.verify():
            raise AssertionError("httpsig rejected our signature")

    signer = HeaderSigner(
        KEY_ID,
        private_pem,
        algorithm="rsa-sha256",
        headers=list(POST_SIGNED),
        sign_header="signature",
    )
    unsigned = {k: v for k, v in headers.items() if k != "Signature"}

    await ours_verify()  # fail loudly before timing anything
    httpsig_verify()

    raw_verify = rate(lambda: public_key.verify(signature, message, PKCS1v15(), SHA256()))
    our_verify = await async_rate(ours_verify)
    ref_verify = rate(httpsig_verify)
    raw_sign = rate(lambda: private_key.sign(message, PKCS1v15(), SHA256()))
    our_sign = rate(
        lambda: sign_headers("POST", URL, BODY, key_id=KEY_ID, private_key=private_key, now=now)
    )
    ref_sign = rate(lambda: signer.sign(unsigned, method="POST", path=TARGET))

    rows = [
        ("raw RSA-2048 verify (cryptography)", raw_verify, "1.00 x raw"),
        ("verify_request, cached key", our_verify, f"{our_verify / raw_verify:.2f} x raw"),
        ("httpsig 1.3.0 HeaderVerifier", ref_verify, f"{ref_verify / raw_verify:.2f} x raw"),
        ("  ours vs httpsig", None, f"{our_verify / ref_verify:.1f} x faster"),
        ("raw RSA-2048 sign (cryptography)", raw_sign, "1.00 x raw"),
        ("sign_headers (POST, 2 KB body)", our_sign, f"{our_sign / raw_sign:.2f} x raw"),
        ("httpsig 1.3.0 HeaderSigner", ref_sign, f"{ref_sign / raw_sign:.2f} x raw"),
        ("  ours vs httpsig", None, f"{our_sign / ref_sign:.1f} x faster"),
    ]
    print(f"{'operation':<38} {'per second':>12} {'µs each':>9}  ratio")
    for name, per_second, ratio in rows:
        if per_second is None:
            print(f"{name:<38} {'':>12} {'':>9}  {ratio}")
        else:
            print(f"{name:<38} {per_second:>12,.0f} {1e6 / per_second:>9.1f}  {ratio}")


if __name__ == "__main__":
    asyncio.run(main())
