"""Signing our outgoing requests: the full header set for a draft-cavage rsa-sha256 request."""

from collections.abc import Mapping
from datetime import datetime

import httpx
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.hashes import SHA256

from fedishare import __version__
from fedishare.federation.dates import http_date
from fedishare.federation.digest import body_digest
from fedishare.federation.signature_header import format_signature_header
from fedishare.federation.signing_string import build_signing_string

# What Mastodon expects us to sign, in the order it sends them itself.
POST_SIGNED = ("(request-target)", "host", "date", "digest", "content-type")
GET_SIGNED = ("(request-target)", "host", "date", "accept")

ACTIVITY_JSON = "application/activity+json"
ACCEPT_ACTIVITY = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
USER_AGENT = f"fedishare/{__version__}"


def request_host(url: str | httpx.URL) -> str:
    """The Host header httpx would send: IDNA host, port only when not the scheme's default."""
    return httpx.URL(url).netloc.decode("ascii")


def sign_headers(
    method: str,
    url: str | httpx.URL,
    body: bytes | None,
    *,
    key_id: str,
    private_key: RSAPrivateKey,
    now: datetime,
    content_type: str = ACTIVITY_JSON,
    accept: str = ACCEPT_ACTIVITY,
    user_agent: str = USER_AGENT,
) -> dict[str, str]:
    """The headers to send with a signed GET or POST, Signature included.

    POST sends Host, Date, Digest, Content-Type, User-Agent; GET sends Host, Date, Accept,
    User-Agent. Use as ``client.post(url, content=body, headers=sign_headers(...))``.
    """
    verb = method.upper()
    parsed = httpx.URL(url)
    headers: dict[str, str] = {
        "Host": parsed.netloc.decode("ascii"),
        "Date": http_date(now),
    }
    covered: tuple[str, ...]
    if verb == "POST":
        covered = POST_SIGNED
        headers["Digest"] = body_digest(body or b"")
        headers["Content-Type"] = content_type
    elif verb == "GET":
        if body:
            raise ValueError("a signed GET has no body")
        covered = GET_SIGNED
        headers["Accept"] = accept
    else:
        raise ValueError(f"only GET and POST are signed, not {method!r}")
    headers["User-Agent"] = user_agent
    message = build_signing_string(
        covered,
        method=verb,
        # raw_path is the path and query percent-encoded exactly as httpx puts them on the wire.
        target=parsed.raw_path.decode("ascii"),
        headers=_lower(headers),
    )
    signature = private_key.sign(message, PKCS1v15(), SHA256())
    headers["Signature"] = format_signature_header(key_id, "rsa-sha256", covered, signature)
    return headers


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
