"""Accepting one activity POSTed to an inbox: a checklist, each step raising its own error.

0. (in `routes`) the sender is not over its rate (429), the inbox exists (404), the body is
   no larger than ``limits.max_body_bytes`` (413; refused before it is read whole)
1. the body is an activity (400, the reason naming the field; `parse_activity`): sent
   as JSON (a Content-Type, when there is one, of a JSON type: a form is no activity),
   UTF-8, nested no deeper than `json_depth.MAX_DEPTH` levels (checked before anything
   parses it), JSON, an object; ``id`` an http(s) URL on the actor's host; ``type`` a
   string; ``actor`` one actor (an id, or an object with one); ``to``, ``cc``, ``bto``,
   ``bcc`` and ``audience`` ids, objects or lists of them; for the types we act on, an
   ``object`` that is an id or an object, and for Create, Update and Delete one whose id
   is on the actor's host too (an Announce or a Like names others' objects: that is what
   boosts are). Types we do not act on are accepted and stored, and the worker ignores them.
2. the actor's host may federate with us, and an admin has not blocked the actor (403)
3. the HTTP signature verifies (401; 400 for a malformed Signature header): it is there,
   covers what it must, its date is neither stale nor in the future, the Digest matches the
   body, and the key verifies it, refetched once if the actor rotated it. The keyId must be
   on the actor's host, checked before anything is fetched for it (401): a key elsewhere
   cannot be the actor's, and a forged one must not make us fetch and cache a stranger.
4. the signing key belongs to the activity's actor (401)
5. the activity is stored, once per activity id (a replay changes nothing; 202), unless the
   store cannot take it now (503)

Nothing is written before the last step, so a refusal leaves no trace. One exception to
step 3: a server deleting an account sends ``Delete`` of the actor itself, signed by a key
that is gone by the time we could fetch it. If we never knew that actor there is nothing to
delete: the activity is dropped unverified, and still answered 202, as Mastodon does.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, NamedTuple

from fedishare.context import Instance
from fedishare.core.activitystreams import NotHttpUrl, host_of, id_of
from fedishare.core.json_depth import MAX_DEPTH, TooDeep
from fedishare.core.json_text import parse_json
from fedishare.core.types import JSON
from fedishare.federation.errors import MalformedSignature
from fedishare.federation.public_key import ResolvedKey
from fedishare.federation.verification import verify_request
from fedishare.inbox.dispatch import HANDLERS
from fedishare.inbox.errors import BadActivity, HostRefused, InboxUnavailable, NotTheActor
from fedishare.inbox.store import InboxWriter, StoreUnavailable
from fedishare.remote.actors import resolve_key
from fedishare.storage import remote_actors
from fedishare.storage.inbox_items import NewItem


class Activity(NamedTuple):  # built for every inbox POST: cheaper than a dataclass
    id: str
    type: str
    actor: str
    actor_host: str
    document: JSON
    text: str  # the body as received, stored as is


class Delivery(NamedTuple):  # built for every inbox POST: cheaper than a dataclass
    """One POST to one of our inboxes."""

    method: str
    target: str  # path and query exactly as sent
    headers: Mapping[str, str]
    body: bytes
    recipient_id: int | None  # None for the shared inbox


async def receive(inst: Instance, writer: InboxWriter, delivery: Delivery) -> str | None:
    """Check and store; the host of the key that verified it (the actor's) if stored (or
    stored before), None if dropped unverified."""
    content_type = delivery.headers.get("content-type")
    if content_type not in _USUAL_TYPES:
        _check_content_type(content_type)
    activity = parse_activity(delivery.body)
    _check_host(inst, activity.actor_host)
    if inst.domains.refuses_actor(activity.actor):  # an admin blocked the account
        raise HostRefused(f"{activity.actor} is blocked on this instance")
    if _deletes_its_actor(activity) and await remote_actors.get(inst.db, activity.actor) is None:
        return None
    key = await verify_request(
        delivery.method,
        delivery.target,
        delivery.headers,
        delivery.body,
        resolve_key=partial(_permitted_key, inst, activity.actor_host),
        now=inst.clock(),
        scheme=inst.config.instance.scheme,
    )
    if key.owner != activity.actor:
        raise NotTheActor(f"signed by {key.owner}, not by the actor {activity.actor}")
    item = NewItem(activity.id, activity.actor, delivery.recipient_id, activity.text)
    try:
        await writer.store(item)
    except StoreUnavailable as exc:
        raise InboxUnavailable(str(exc)) from exc
    # The key's host is the actor's (`_permitted_key` refused any other).
    return activity.actor_host


def parse_activity(body: bytes) -> Activity:
    """Step 1 of the checklist: the activity in `body`, or BadActivity naming what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadActivity("the body is not JSON: it is not UTF-8") from exc
    try:
        document = parse_json(body)
    except TooDeep as exc:
        raise BadActivity(f"the body nests deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:
        raise BadActivity("the body is not JSON") from exc
    if not isinstance(document, dict):
        raise BadActivity("the body is not a JSON object")
    # Every inbox POST comes here: the usual values are taken in line, the rest (and every
    # refusal) by the helpers below, which name what is wrong.
    activity_id = document.get("id")
    if not isinstance(activity_id, str) or not activity_id:
        raise BadActivity(_not_a_string("id", activity_id))
    kind = document.get("type")
    if not isinstance(kind, str) or not kind:
        raise BadActivity(_not_a_string("type", kind))
    actor = document.get("actor")
    if not isinstance(actor, str) or not actor:
        actor = _actor(actor)
    actor_host = _host(actor, "actor")
    # A URL starting with the actor's scheme, authority and a slash is on its host.
    origin = _origin(actor)
    if not _on_origin(activity_id, origin) and _host(activity_id, "id") != actor_host:
        # Ids are unique per activity: another host must not claim one (a replay would
        # then be taken for the real thing and dropped).
        raise BadActivity("id: not on its actor's host")
    for field in _AUDIENCE:
        if field in document:
            value = document[field]
            if not isinstance(value, _REFERENCE) and not _are_references(value):
                raise BadActivity(f"{field}: must be an id, an object or a list of them")
    if kind in _HANDLED:
        _check_object(document.get("object"), kind, actor_host, origin)
    return Activity(activity_id, kind, actor, actor_host, document, text)


def _check_content_type(value: str | None) -> None:
    """A body sent as a form or as text is not an activity, whatever it holds (servers send
    application/activity+json, application/ld+json with a profile, or application/json)."""
    if value is None:
        return
    media_type = value.partition(";")[0].strip().lower()
    if not (media_type.endswith("/json") or media_type.endswith("+json")):
        raise BadActivity(f"Content-Type: {media_type or 'empty'!r} is not JSON")


# The longest id taken: far beyond any real one (Mastodon's are under 100 characters).
MAX_ID_LENGTH = 2048
_AUDIENCE = ("to", "cc", "bto", "bcc", "audience")
_HANDLED = frozenset(HANDLERS)  # the types the worker acts on: each has an object
_OWN_OBJECT = frozenset({"Create", "Update", "Delete"})  # only of the actor's own objects
_REFERENCE = (str, dict)  # an id or an object
# Content-Types that servers send, each of a JSON type (any other is checked in full).
_USUAL_TYPES = frozenset(
    {
        None,
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/json",
    }
)


def _not_a_string(field: str, value: Any) -> str:
    if value is None or value == "":
        return f"{field}: required"
    return f"{field}: must be a string"


def _host(url: str, field: str) -> str:
    if len(url) > MAX_ID_LENGTH:
        raise BadActivity(f"{field}: longer than {MAX_ID_LENGTH} characters")
    try:
        return host_of(url)
    except NotHttpUrl as exc:
        raise BadActivity(f"{field}: not an http(s) URL") from exc


def _origin(url: str) -> str | None:
    """``scheme://authority/`` of an http(s) URL written plainly, else None."""
    if url.startswith("https://"):
        end = url.find("/", 8)
    elif url.startswith("http://"):
        end = url.find("/", 7)
    else:
        return None
    return url[: end + 1] if end > 0 else None


def _on_origin(url: str, origin: str | None) -> bool:
    """Whether `url` (no longer than MAX_ID_LENGTH) starts with `origin` (from `_origin`),
    which puts it on that origin's host as `host_of` finds it."""
    return origin is not None and len(url) <= MAX_ID_LENGTH and url.startswith(origin)


def _actor(value: Any) -> str:
    if isinstance(value, list):
        if len(value) != 1:
            raise BadActivity(f"actor: must be one actor, not a list of {len(value)}")
        value = value[0]
    if value is None or value == "":
        raise BadActivity("actor: required")
    actor = id_of(value)
    if actor is None:
        raise BadActivity("actor: must be an id, or an object with one")
    return actor


def _are_references(value: Any) -> bool:
    """An id, an object, or a list of those (what the audience fields may hold)."""
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, _REFERENCE):
                return False
        return True
    return isinstance(value, _REFERENCE)


def _check_object(value: Any, kind: str, actor_host: str, origin: str | None = None) -> None:
    if value is None or value == "" or value == []:
        raise BadActivity("object: required")
    if kind not in _OWN_OBJECT:
        if not _are_references(value):  # a Flag names several objects
            raise BadActivity("object: must be an id, an object or a list of them")
        return
    if not isinstance(value, _REFERENCE):
        raise BadActivity("object: must be an id or an object")
    object_id = id_of(value)
    if object_id is None:
        raise BadActivity("object: has no id")
    if not _on_origin(object_id, origin) and _host(object_id, "object") != actor_host:
        raise BadActivity("object: its id is not on its actor's host")


def _check_host(inst: Instance, host: str) -> None:
    if not inst.domains.permits(host):
        raise HostRefused(f"{host} may not federate with this instance")


async def _permitted_key(
    inst: Instance, actor_host: str, key_id: str, refresh: bool
) -> ResolvedKey:
    try:
        host = host_of(key_id)
    except NotHttpUrl as exc:
        raise MalformedSignature(f"keyId is not an http(s) URL: {key_id!r}") from exc
    if host != actor_host:  # before any fetch: a key elsewhere cannot be the actor's
        raise NotTheActor(f"keyId {key_id} is not on the actor's host {actor_host}")
    return await resolve_key(inst, key_id, refresh)


def _deletes_its_actor(activity: Activity) -> bool:
    return activity.type == "Delete" and id_of(activity.document.get("object")) == activity.actor
