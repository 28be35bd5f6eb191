"""Sign requests with RFC 9421 HTTP Message Signatures the way Mastodon 4.5 does, written
from the RFC independently of fedishare's verifying code (it shares none of it)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, PSS, PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.hashes import SHA256, SHA512

MASTODON_POST = ("@method", "@target-uri", "content-digest")
MASTODON_GET = ("@method", "@target-uri")


def digest_header(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def signature_base(
    components: Sequence[str], method: str, url: str, headers: Mapping[str, str], params: str
) -> bytes:
    """The signature base (RFC 9421 §2.5) for plain components, ``params`` being the
    serialized ``@signature-params`` value."""
    parts = urlsplit(url)
    lower = {name.lower(): value.strip() for name, value in headers.items()}
    derived = {
        "@method": method,
        "@target-uri": url,
        "@authority": parts.netloc.lower(),
        "@scheme": parts.scheme,
        "@path": parts.path or "/",
        "@query": "?" + parts.query,
        "@request-target": (parts.path or "/") + ("?" + parts.query if parts.query else ""),
    }
    lines = [
        f'"{name}": {derived[name] if name in derived else lower[name]}' for name in components
    ]
    lines.append(f'"@signature-params": {params}')
    return "\n".join(lines).encode("ascii")


def sign(
    key: RSAPrivateKey | Ed25519PrivateKey,
    key_id: str,
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    created: int,
    components: Sequence[str] = MASTODON_POST,
    expires: int | None = None,
    alg: str | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """``headers`` with ``Signature-Input`` and ``Signature`` added. RSA keys sign with
    RSASSA-PKCS1-v1_5 and SHA-256 unless ``alg`` is ``rsa-pss-sha512``."""
    params = "(" + " ".join(f'"{name}"' for name in components) + f");created={created}"
    if expires is not None:
        params += f";expires={expires}"
    params += f';keyid="{key_id}"'
    if alg is not None:
        params += f';alg="{alg}"'
    base = signature_base(components, method, url, headers, params)
    if isinstance(key, Ed25519PrivateKey):
        signature = key.sign(base)
    elif alg == "rsa-pss-sha512":
        signature = key.sign(base, PSS(mgf=MGF1(SHA512()), salt_length=64), SHA512())
    else:
        signature = key.sign(base, PKCS1v15(), SHA256())
    return {
        **headers,
        "Signature-Input": f"{label}={params}",
        "Signature": f"{label}=:{base64.b64encode(signature).decode()}:",
    }


def signed_post(
    key: RSAPrivateKey | Ed25519PrivateKey,
    key_id: str,
    url: str,
    body: bytes,
    *,
    created: int,
    components: Sequence[str] = MASTODON_POST,
    extra: Mapping[str, str] | None = None,
    **options: object,
) -> dict[str, str]:
    """The headers of an activity POST as Mastodon 4.5 signs it (Host, Content-Type and
    Content-Digest, then ``extra``, then the signature)."""
    headers = {
        "Host": urlsplit(url).netloc,
        "Content-Type": "application/activity+json",
        "Content-Digest": digest_header(body),
        **(extra or {}),
    }
    return sign(
        key, key_id, "POST", url, headers, created=created, components=components, **options
    )  # type: ignore[arg-type]
