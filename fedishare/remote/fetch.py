"""Fetching JSON documents from other servers: signed GETs of ActivityStreams objects (as
secure-mode Mastodon demands) and plain GETs for WebFinger.

Every refusal is a FetchError: a blocked or malformed URL, a transport failure (an address
that is not public among them: fedishare.federation.addresses), a non-2xx answer, an unexpected
content type, a body over ``limits.max_fetch_bytes`` or one that is not a JSON object.

At most MAX_REDIRECTS redirects are followed, each target checked again like the first URL
(and by the transport, like every connection). An ActivityStreams document is followed only
to its own server: callers hold it to be the document whose id is the URL they asked for
(an actor's id must equal the URL it is served at), and a redirect to another server, from
an open redirector say, would let that server speak for the first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from fedishare.context import Instance
from fedishare.core.activitystreams import NotHttpUrl, host_of
from fedishare.core.bounded_read import read_bounded
from fedishare.core.json_depth import check_depth
from fedishare.core.types import JSON
from fedishare.core.urls import Urls
from fedishare.federation.errors import FetchError
from fedishare.federation.signing import sign_headers
from fedishare.storage import actors

ACTIVITY_TYPES = frozenset({"application/activity+json", "application/ld+json"})
JRD_TYPES = frozenset({"application/jrd+json", "application/json"})
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def signed_get(inst: Instance, url: str) -> JSON:
    """GET an ActivityStreams document, signed by our instance actor."""
    check_url(inst, url)
    key_id, private_key = await _instance_key(inst)

    def signed(target: str) -> dict[str, str]:
        return sign_headers(
            "GET", target, None, key_id=key_id, private_key=private_key, now=inst.clock()
        )

    return await _get_json(inst, url, signed, ACTIVITY_TYPES, same_server=True)


async def get_json(inst: Instance, url: str, *, accept: str, media_types: Collection[str]) -> JSON:
    """An unsigned GET of a JSON object served as one of ``media_types`` (e.g. WebFinger)."""
    check_url(inst, url)
    headers = {"Accept": accept}
    return await _get_json(inst, url, lambda _: headers, media_types, same_server=False)


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


@dataclass(frozen=True, slots=True)
class _Redirect:
    location: str


async def _get_body(
    inst: Instance, url: str, headers: dict[str, str], media_types: Collection[str]
) -> bytes | _Redirect:
    limit = inst.config.limits.max_fetch_bytes
    try:
        async with inst.http.stream("GET", url, headers=headers) as response:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                return _Redirect(location)
            if not 200 <= response.status_code < 300:
                raise FetchError(
                    f"{url} answered {response.status_code}", status=response.status_code
                )
            media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type not in media_types:
                raise FetchError(
                    f"{url} is served as {media_type or 'nothing'!r}, not JSON we read"
                )
            return await read_bounded(
                response.headers.get("content-length", ""),
                response.aiter_bytes(),
                limit,
                lambda: FetchError(f"{url} is larger than {limit} bytes"),
            )
    except httpx.HTTPError as exc:
        raise FetchError(f"{url} is unreachable: {exc or type(exc).__name__}") from exc


def _server(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


async def _get_json(
    inst: Instance,
    url: str,
    headers_for: Callable[[str], dict[str, str]],
    media_types: Collection[str],
    *,
    same_server: bool,
) -> JSON:
    target = url
    for _ in range(MAX_REDIRECTS + 1):
        check_url(inst, target)
        body = await _get_body(inst, target, headers_for(target), media_types)
        if isinstance(body, bytes):
            break
        target = urljoin(target, body.location)
        if same_server and _server(target) != _server(url):
            raise FetchError(f"{url} redirects to another server: {target}")
    else:
        raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times")
    try:
        check_depth(body)  # TooDeep, a ValueError, before json recurses into it
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(f"{url} is not valid JSON") from exc
    if not isinstance(document, dict):
        raise FetchError(f"{url} is not a JSON object")
    return document
