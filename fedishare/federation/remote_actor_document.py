"""Reading an actor document fetched from another server, by Mastodon's rules: its ``id`` is
the URL it was fetched from, it has an inbox, and its public key names it as the owner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from fedishare.core.activitystreams import host_or_none
from fedishare.core.types import JSON
from fedishare.federation.errors import FetchError, KeyUnavailable
from fedishare.federation.public_key import load_public_key
from fedishare.storage.remote_actors import RemoteActor


class InvalidActor(FetchError):
    """A fetched document is not an actor we can use."""


@dataclass(frozen=True)
class ParsedActor:
    actor: RemoteActor
    public_key: RSAPublicKey


def is_actor_document(document: JSON) -> bool:
    """An actor has an inbox; a bare key document (``owner``, ``publicKeyPem``) has not."""
    return "inbox" in document


def parse_actor(
    document: JSON, url: str, *, fetched_at: float, key_id: str | None = None
) -> ParsedActor:
    """Check ``document`` as the actor served at ``url``; raise InvalidActor otherwise.

    With several keys, the one with id ``key_id`` is kept if present, else the first.
    """
    actor_id = document.get("id")
    if actor_id != url:
        raise InvalidActor(f"actor id {actor_id!r} is not the URL it was fetched from, {url}")
    host = host_or_none(url)
    kind = document.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidActor(f"{url} has no type")
    inbox = _optional_url(document.get("inbox"))
    if inbox is None:
        raise InvalidActor(f"{url} has no inbox URL")
    endpoints = document.get("endpoints")
    shared = _optional_url(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    key = _choose_key(document.get("publicKey"), url, key_id)
    key_url = key.get("id")
    if not isinstance(key_url, str) or host is None or host_or_none(key_url) != host:
        raise InvalidActor(f"the key of {url} is not on its host")
    pem = key.get("publicKeyPem")
    if not isinstance(pem, str):
        raise InvalidActor(f"the key of {url} has no publicKeyPem")
    try:
        public_key = load_public_key(pem)
    except KeyUnavailable as exc:
        raise InvalidActor(f"the key of {url}: {exc.reason}") from exc
    actor = RemoteActor(
        id=url,
        host=host,
        type=kind,
        preferred_username=_text(document.get("preferredUsername")),
        name=_text(document.get("name")),
        inbox=inbox,
        shared_inbox=shared,
        followers=_optional_url(document.get("followers")),
        key_id=key_url,
        public_key_pem=pem,
        fetched_at=fetched_at,
    )
    return ParsedActor(actor, public_key)


def _choose_key(value: Any, url: str, key_id: str | None) -> JSON:
    candidates = value if isinstance(value, list) else [value]
    keys = [k for k in candidates if isinstance(k, dict) and k.get("owner") == url]
    if not keys:
        raise InvalidActor(f"{url} has no publicKey owned by itself")
    for key in keys:
        if key.get("id") == key_id:
            return key
    return keys[0]


def _optional_url(value: Any) -> str | None:
    """An http(s) URL, or None for anything else (optional fields are not worth refusing
    an actor over)."""
    if not isinstance(value, str):
        return None
    return value if host_or_none(value) is not None else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
