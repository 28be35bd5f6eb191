"""Build signed requests the way Mastodon does, independently of our own signing code."""

import base64
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.hashes import SHA256


def signing_string(
    covered: Sequence[str],
    method: str,
    target: str,
    headers: dict[str, str],
    created: int | None = None,
    expires: int | None = None,
) -> bytes:
    lower = {name.lower(): value for name, value in headers.items()}
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name == "(created)":
            lines.append(f"(created): {created}")
        elif name == "(expires)":
            lines.append(f"(expires): {expires}")
        else:
            lines.append(f"{name}: {lower[name]}")
    return "\n".join(lines).encode("ascii")


def signature_header(
    key: RSAPrivateKey,
    key_id: str,
    covered: Sequence[str],
    message: bytes,
    *,
    algorithm: str | None = "rsa-sha256",
    created: int | None = None,
    expires: int | None = None,
) -> str:
    signature = base64.b64encode(key.sign(message, PKCS1v15(), SHA256())).decode("ascii")
    parts = [f'keyId="{key_id}"']
    if algorithm is not None:
        parts.append(f'algorithm="{algorithm}"')
    if created is not None:
        parts.append(f"created={created}")
    if expires is not None:
        parts.append(f"expires={expires}")
    parts.append(f'headers="{" ".join(covered)}"')
    parts.append(f'signature="{signature}"')
    return ",".join(parts)


def sign(
    key: RSAPrivateKey,
    key_id: str,
    method: str,
    target: str,
    headers: dict[str, str],
    covered: Sequence[str],
    *,
    algorithm: str | None = "rsa-sha256",
    created: int | None = None,
    expires: int | None = None,
) -> dict[str, str]:
    """``headers`` plus a Signature over ``covered``, in that order."""
    message = signing_string(covered, method, target, headers, created, expires)
    signed = dict(headers)
    signed["Signature"] = signature_header(
        key, key_id, covered, message, algorithm=algorithm, created=created, expires=expires
    )
    return signed
