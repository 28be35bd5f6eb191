"""Finding the actor behind a handle (``@user@host``) with the host's WebFinger."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fedishare.context import Instance
from fedishare.federation.errors import FetchError
from fedishare.remote.fetch import JRD_TYPES, get_json

_JRD_ACCEPT = "application/jrd+json, application/json"
_UNSAFE = frozenset("/?# ")
_ACTOR_TYPES = frozenset({"application/activity+json", "application/ld+json"})


class WebFingerError(FetchError):
    """A handle that is malformed, unknown to its host, or that names no actor."""


def split_handle(handle: str) -> tuple[str, str]:
    """``@user@host``, ``user@host`` or ``acct:user@host`` -> (user, lower-case host)."""
    text = handle.strip().removeprefix("acct:").removeprefix("@")
    user, at, host = text.rpartition("@")
    if not at or not user or not host or "@" in user or ":" in user or _UNSAFE & set(text):
        raise WebFingerError(f"{handle!r} is not a handle like @user@host")
    return user, host.lower()


async def resolve_handle(inst: Instance, handle: str) -> str:
    """The actor id that ``handle``'s host names for it.

    Asks over our own scheme (https, or http for a local instance that allows insecure).
    """
    user, host = split_handle(handle)
    jrd = await account_document(inst, handle)
    actor_id = self_link(jrd)
    if actor_id is None:
        raise WebFingerError(f"{host} names no ActivityPub actor for {user}@{host}")
    return actor_id


async def account_document(inst: Instance, handle: str) -> dict[str, Any]:
    """The WebFinger document (JRD) that ``handle``'s host serves for it."""
    user, host = split_handle(handle)
    resource = quote(f"acct:{user}@{host}", safe=":@")
    url = f"{inst.config.instance.scheme}://{host}/.well-known/webfinger?resource={resource}"
    return await get_json(inst, url, accept=_JRD_ACCEPT, media_types=JRD_TYPES)


def self_link(jrd: dict[str, Any]) -> str | None:
    links = jrd.get("links")
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        media = str(link.get("type", "")).split(";")[0].strip().lower()
        href = link.get("href")
        if media in _ACTOR_TYPES and isinstance(href, str):
            return href
    return None
