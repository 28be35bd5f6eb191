"""ActivityStreams vocabulary shared by every layer: the context and Public addresses, ids and
times as they go on the wire, references read from documents, and hosts of URLs."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from fedishare.core.types import JSON

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# How servers write the Public address (compacted forms included).
PUBLIC_FORMS = frozenset({PUBLIC, "as:Public", "Public"})
ACTOR_TYPES = frozenset({"Application", "Group", "Organization", "Person", "Service"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class NotHttpUrl(ValueError):
    """A value that should be an absolute http(s) URL is not one."""


def iso(dt: datetime) -> str:
    """A time as ActivityStreams documents carry it: UTC, to the second, with a Z."""
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: Any) -> datetime | None:
    """An ISO 8601 time with its zone (`Z` or an offset), as documents and our rows carry
    them; None for anything else: not text, not a time, or a time without a zone, which
    names no moment (and could not be compared with one that does)."""
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text)  # `Z` included, since Python 3.11
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def new_id(base: str, kind: str = "activities") -> str:
    """A fresh id for one of our objects: `base/kind/uuid`."""
    return f"{base}/{kind}/{uuid.uuid4()}"


def id_of(value: Any) -> str | None:
    """The id of a reference given inline (`{"id": …}`) or as a bare URL."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def ids_of(value: Any) -> list[str]:
    """The ids of a property that may be one reference or a list of them."""
    items = value if isinstance(value, list) else [value]
    return [i for i in (id_of(item) for item in items) if i is not None]


def is_public(activity: JSON) -> bool:
    """Whether an activity, or the object it carries, is addressed to Public."""
    audience: list[Any] = []
    for doc in (activity, activity.get("object")):
        if isinstance(doc, dict):
            for key in ("to", "cc"):
                value = doc.get(key, [])
                audience += value if isinstance(value, list) else [value]
    return any(isinstance(a, str) and a in PUBLIC_FORMS for a in audience)


def host_of(url: str) -> str:
    """host[:port] of an absolute http(s) URL, lower-case, without a default port;
    NotHttpUrl for anything else.

    Every inbox POST asks this of three URLs (the activity's id, its actor, the signing
    key) that share a few origins, so the answer is cached per ``scheme://authority``
    prefix: a regex match and a dict hit, where parsing costs ~7 µs.
    """
    origin = _ORIGIN.match(url) if isinstance(url, str) else None
    # Anything unusual (leading spaces, control characters) is parsed whole.
    return _host_of_origin(origin[0] if origin else url)


def host_or_none(url: Any) -> str | None:
    """`host_of(url)`, or None if `url` is not an http(s) URL."""
    try:
        return host_of(url)
    except NotHttpUrl:
        return None


def same_host(a: Any, b: Any) -> bool:
    """Whether two values are http(s) URLs on one host."""
    host = host_or_none(a)
    return host is not None and host == host_or_none(b)


# What urlsplit takes for scheme and netloc, so that the prefix parses exactly as the URL.
_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


@lru_cache(maxsize=4096)
def _host_of_origin(url: str) -> str:
    # urlsplit, as httpx.URL costs ~50 µs.
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError, AttributeError) as exc:
        raise NotHttpUrl(f"not a URL: {url!r}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotHttpUrl(f"not an http(s) URL: {url!r}")
    host = parts.netloc.rpartition("@")[2].lower()
    if port is not None and port == _DEFAULT_PORTS[parts.scheme]:
        host = host.rpartition(":")[0]
    return host
