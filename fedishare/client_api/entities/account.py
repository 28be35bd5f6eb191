"""Mastodon's Account entity for our actors (members, the community Group, the instance
Application) and other servers' actors, with the ids apps know them by.

Every image is a URL (a generated one when the actor has none), every list is a list and
every count a number: apps crash on nulls where Mastodon never sends one. Counts are what
this server knows: follows recorded here and statuses indexed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from fedishare.accounts.members import APPLICATION_USERNAME
from fedishare.client_api.entities.emoji import emojis_of, link_of
from fedishare.client_api.entities.html import plain_html
from fedishare.client_api.entities.times import mastodon_date, mastodon_day
from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.ids import parse_id
from fedishare.core.types import JSON
from fedishare.listings.sanitize import clean_html
from fedishare.storage import account_ids, account_reads
from fedishare.storage.account_reads import LocalAccount
from fedishare.storage.remote_actors import RemoteActor

DEFAULT_HEADER = "/static/header.png"
_BOT_TYPES = ("Application", "Service")
# Mastodon's built-in roles: everyone's (may invite) and the administrators'.
_MEMBER_ROLE = {"id": "-99", "name": "", "color": "", "permissions": "65536", "highlighted": False}
_ADMIN_ROLE = {"id": "3", "name": "Admin", "color": "", "permissions": "1", "highlighted": True}


async def account_id(inst: Instance, uri: str) -> str:
    """The id apps know the actor at `uri` by, given now if it has none yet."""
    return (await account_ids_of(inst, [uri]))[uri]


async def account_ids_of(inst: Instance, uris: Sequence[str]) -> dict[str, str]:
    given = await account_ids.give(inst.db, uris)
    return {uri: str(number) for uri, number in given.items()}


def _number(account_id: str) -> int | None:
    """An id as apps send it, or None for text that cannot be one of ours."""
    return parse_id(account_id)


async def account_uri(inst: Instance, account_id: str) -> str | None:
    """The actor URI of an id that apps send; None for anything not given out."""
    number = _number(account_id)
    return None if number is None else await account_ids.uri_of(inst.db, number)


async def account_uris(inst: Instance, ids: Sequence[str]) -> list[str]:
    """The actor URIs of ids that apps send, in their order, in one read; ids not given
    out are left out."""
    numbers = [n for n in map(_number, ids) if n is not None]
    found = await account_ids.uris_of(inst.db, numbers)
    return list(dict.fromkeys(found[n] for n in numbers if n in found))


async def render_account(inst: Instance, uri: str, *, source: bool = False) -> JSON:
    """The Account of the actor at `uri` (with `source` and `role`, for the member's own
    verify_credentials); NotFound when no such actor is known here."""
    found = await render_accounts(inst, [uri], source=source)
    if uri not in found:
        raise NotFound("Record not found")
    return found[uri]


async def render_accounts(
    inst: Instance, uris: Sequence[str], *, source: bool = False
) -> dict[str, JSON]:
    """The Accounts of those `uris` that are known actors, by URI, in a handful of queries."""
    wanted = list(dict.fromkeys(uris))
    names = {uri: name for uri in wanted if (name := _local_name(inst, uri)) is not None}
    local = {
        row.actor.username.lower(): row
        for row in await account_reads.local_actors(inst.db, list(names.values()))
    }
    remote = await account_reads.remote_actors(inst.db, [u for u in wanted if u not in names])
    entities: dict[str, JSON] = {}
    for uri in wanted:
        if uri in names and names[uri] in local:
            entities[uri] = _local(inst, uri, local[names[uri]])
        elif uri in remote:
            entities[uri] = _remote(inst, *remote[uri])
    if not entities:
        return {}
    known = list(entities)
    ids = await account_ids_of(inst, known)
    follows = await account_reads.follow_counts(inst.db, known)
    statuses = await account_reads.status_counts(inst.db, known)
    for uri, entity in entities.items():
        followers, following = follows[uri]
        count, newest = statuses[uri]
        entity |= {
            "id": ids[uri],
            "followers_count": followers,
            "following_count": following,
            "statuses_count": count,
            "last_status_at": None if newest is None else mastodon_date(newest),
        }
    if source:
        for uri in names:
            if uri in entities and names[uri] in local:
                entities[uri] |= await _credentials(inst, uri, local[names[uri]])
    return entities


def _local_name(inst: Instance, uri: str) -> str | None:
    """The username (lowercased) of our actor at `uri`, if `uri` is one of ours."""
    if uri == inst.urls.instance_actor:
        return APPLICATION_USERNAME.lower()
    name = inst.urls.username_of(uri)
    return None if name is None else name.lower()


def _local(inst: Instance, uri: str, account: LocalAccount) -> JSON:
    actor = account.actor
    base = inst.urls.base
    avatar = (
        f"{uri}/avatar/{actor.avatar_media_id}"
        if actor.avatar_media_id is not None
        else f"{base}/avatars/{actor.kind}.png"
    )
    header = base + (
        DEFAULT_HEADER if account.header_path is None else f"/media/{account.header_path}"
    )
    discoverable = actor.discoverable and actor.kind != "application" and not actor.disabled
    return {
        "username": actor.username,
        "acct": actor.username,
        "display_name": actor.display_name,
        "locked": actor.manually_approves_followers,
        "bot": actor.bot or actor.kind == "application",
        "group": actor.kind == "group",
        "discoverable": discoverable,
        "indexable": discoverable,
        "created_at": mastodon_day(actor.created_at),
        "note": plain_html(actor.summary, tag_base=base),
        "url": uri,
        "uri": uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "emojis": [],
        "fields": [
            {
                "name": str(f.get("name", "")),
                "value": plain_html(str(f.get("value", "")), tag_base=base)
                .removeprefix("<p>")
                .removesuffix("</p>"),
                "verified_at": None,
            }
            for f in account.fields
        ],
        "roles": [],
    }


def _remote(inst: Instance, actor: RemoteActor, doc: JSON) -> JSON:
    base = inst.urls.base
    avatar = link_of(doc.get("icon")) or f"{base}/avatars/person.png"
    header = link_of(doc.get("image")) or base + DEFAULT_HEADER
    published = doc.get("published")
    try:
        created = mastodon_day(published) if isinstance(published, str) else None
    except ValueError:
        created = None
    discoverable = doc.get("discoverable")
    return {
        "username": actor.preferred_username,
        "acct": f"{actor.preferred_username}@{actor.host}",
        "display_name": actor.name or _text(doc.get("name")),
        "locked": doc.get("manuallyApprovesFollowers") is True,
        "bot": actor.type in _BOT_TYPES,
        "group": actor.type == "Group",
        "discoverable": discoverable if isinstance(discoverable, bool) else None,
        "indexable": doc.get("indexable") is True,
        "created_at": created or mastodon_day(datetime.fromtimestamp(actor.fetched_at, tz=UTC)),
        "note": clean_html(_text(doc.get("summary"))),
        "url": link_of(doc.get("url")) or actor.id,
        "uri": actor.id,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "emojis": emojis_of(doc),
        "fields": _remote_fields(doc),
    }


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _remote_fields(doc: JSON) -> list[JSON]:
    attachments = doc.get("attachment")
    if not isinstance(attachments, list):
        return []
    return [
        {
            "name": _text(a.get("name")),
            "value": clean_html(_text(a.get("value"))),
            "verified_at": None,
        }
        for a in attachments
        if isinstance(a, dict) and a.get("type") == "PropertyValue"
    ]


async def _credentials(inst: Instance, uri: str, account: LocalAccount) -> JSON:
    """What only the member sees of their own account: the sources to edit, and their role."""
    actor = account.actor
    prefs = actor.preferences
    requests = await account_reads.follow_requests_count(inst.db, uri)
    language = prefs.get("posting:default:language")
    discoverable = actor.discoverable and actor.kind != "application"
    return {
        "source": {
            "privacy": prefs.get("posting:default:visibility") or "public",
            "sensitive": prefs.get("posting:default:sensitive") is True,
            "language": language if isinstance(language, str) else None,
            "note": actor.summary,
            "fields": [
                {
                    "name": str(f.get("name", "")),
                    "value": str(f.get("value", "")),
                    "verified_at": None,
                }
                for f in account.fields
            ],
            "follow_requests_count": requests,
            "discoverable": discoverable,
            "indexable": discoverable,
            "hide_collections": False,
            "attribution_domains": [],
        },
        "role": dict(_ADMIN_ROLE if actor.is_admin else _MEMBER_ROLE),
    }


def stand_in(inst: Instance, uri: str, account_id: str) -> JSON:
    """An Account for an actor known only by its URI (its document not kept here), so that
    a status of theirs can still be shown: the name is the last part of the URI's path."""
    parts = urlsplit(uri)
    username = parts.path.rstrip("/").rsplit("/", 1)[-1].lstrip("@") or parts.netloc
    avatar = f"{inst.urls.base}/avatars/person.png"
    header = inst.urls.base + DEFAULT_HEADER
    return {
        "id": account_id,
        "username": username,
        "acct": f"{username}@{parts.netloc}",
        "display_name": "",
        "locked": False,
        "bot": False,
        "group": False,
        "discoverable": None,
        "indexable": False,
        "created_at": mastodon_day(datetime(1970, 1, 1, tzinfo=UTC)),
        "note": "",
        "url": uri,
        "uri": uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "emojis": [],
        "fields": [],
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": 0,
        "last_status_at": None,
    }
