"""Fetching JSON documents from other servers: signed GETs of ActivityStreams objects (as
secure-mode Mastodon demands) and plain GETs for WebFinger.

Every refusal is a FetchError: a blocked or malformed URL, a transport failure, a non-2xx
answer, an unexpected content type, a body over ``limits.max_fetch_bytes`` or one that is not
a JSON object. Redirects are not followed: an actor's id must equal the URL it is served at.
"""

from __future__ import annotations

import json
from collections.abc import Collection

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from fedishare.context import Instance
from fedishare.core.activitystreams import NotHttpUrl, host_of
from fedishare.core.bounded_read import read_bounded
from fedishare.core.types import JSON
from fedishare.core.urls import Urls
from fedishare.federation.errors import FetchError
from fedishare.federation.signing import sign_headers
from fedishare.storage import actors

ACTIVITY_TYPES = frozenset({"application/activity+json", "application/ld+json"})
JRD_TYPES = frozenset({"application/jrd+json", "application/json"})


async def signed_get(inst: Instance, url: str) -> JSON:
    """GET an ActivityStreams document, signed by our instance actor."""
    check_url(inst, url)
    key_id, private_key = await _instance_key(inst)
    headers = sign_headers(
        "GET", url, None, key_id=key_id, private_key=private_key, now=inst.clock()
    )
    return await _get_json(inst, url, headers, ACTIVITY_TYPES)


async def get_json(inst: Instance, url: str, *, accept: str, media_types: Collection[str]) -> JSON:
    """An unsigned GET of a JSON object served as one of ``media_types`` (e.g. WebFinger)."""
    check_url(inst, url)
    return await _get_json(inst, url, {"Accept": accept}, media_types)


def check_url(inst: Instance, url: str) -> None:
    """Refuse (FetchError) a URL this instance may not fetch: not http(s), plain http where
    it is not allowed, or a host it does not federate with."""
    try:
        host = host_of(url)
    except NotHttpUrl as exc:
        raise FetchError(str(exc)) from None
    if url.startswith("http:") and not inst.config.instance.allow_insecure:
        raise FetchError(f"plain http is not allowed: {url}")
    if not inst.domains.permits(host):
        raise FetchError(f"{host} is not allowed to federate with us")


async def _instance_key(inst: Instance) -> tuple[str, RSAPrivateKey]:
    actor = await actors.find_by_kind(inst.db, "application")
    if actor is None:
        raise FetchError("the instance actor does not exist yet")
    return Urls.key_id(inst.urls.instance_actor), inst.keys.get(actor.id, actor.private_key_pem)


async def _get_json(
    inst: Instance, url: str, headers: dict[str, str], media_types: Collection[str]
) -> JSON:
    limit = inst.config.limits.max_fetch_bytes
    try:
        async with inst.http.stream("GET", url, headers=headers) as response:
            if not 200 <= response.status_code < 300:
                raise FetchError(
                    f"{url} answered {response.status_code}", status=response.status_code
                )
            media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type not in media_types:
                raise FetchError(
                    f"{url} is served as {media_type or 'nothing'!r}, not JSON we read"
                )
            body = await read_bounded(
                response.headers.get("content-length", ""),
                response.aiter_bytes(),
                limit,
                lambda: FetchError(f"{url} is larger than {limit} bytes"),
            )
    except httpx.HTTPError as exc:
        raise FetchError(f"{url} is unreachable: {exc or type(exc).__name__}") from exc
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(f"{url} is not valid JSON") from exc
    if not isinstance(document, dict):
        raise FetchError(f"{url} is not a JSON object")
    return document
