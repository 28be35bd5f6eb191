"""Reading references in incoming activities: ids, hosts, and which of them are ours."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fedishare.context import Instance
from fedishare.storage import actors
from fedishare.storage.actors import LocalActor

ACTOR_TYPES = frozenset({"Application", "Group", "Organization", "Person", "Service"})


def id_of(value: Any) -> str | None:
    """The id of a reference given inline (`{"id": …}`) or as a bare URL."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def ids_of(value: Any) -> list[str]:
    """The ids of a property that may be one reference or a list of them."""
    items = value if isinstance(value, list) else [value]
    return [i for i in (id_of(item) for item in items) if i is not None]


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def is_ours(inst: Instance, url: str) -> bool:
    return url.startswith(inst.urls.base + "/")


async def local_actor_for(inst: Instance, url: str | None) -> LocalActor | None:
    """The local actor whose id `url` is (the instance actor included), if any."""
    if url is None:
        return None
    if url == inst.urls.instance_actor:
        return await actors.find_by_kind(inst.db, "application")
    prefix = inst.urls.base + "/users/"
    username = url[len(prefix) :] if url.startswith(prefix) else ""
    if not username or "/" in username or "#" in username or "?" in username:
        return None
    actor = await actors.find_by_username(inst.db, username)
    if actor is None or actor.kind == "application" or username != actor.username.lower():
        return None
    return actor
