"""Accepting one activity POSTed to an inbox: a checklist, each step raising its own error.

1. the body is JSON with an id, a type and an actor, the id on the actor's host (400)
2. the actor's host, and the signer's, may federate with us (403)
3. the HTTP signature verifies, the key refetched once if the actor rotated it (401; 400)
4. the signing key belongs to the activity's actor (401)
5. the activity is stored, once per activity id (a replay changes nothing)

Nothing is written before the last step, so a refusal leaves no trace. One exception to
step 3: a server deleting an account sends ``Delete`` of the actor itself, signed by a key
that is gone by the time we could fetch it. If we never knew that actor there is nothing to
delete: the activity is dropped unverified, and still answered 202, as Mastodon does.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import NamedTuple

from fedishare.context import Instance
from fedishare.core.activitystreams import NotHttpUrl, host_of, id_of
from fedishare.core.json_text import parse_json
from fedishare.core.types import JSON
from fedishare.federation.errors import MalformedSignature
from fedishare.federation.public_key import ResolvedKey
from fedishare.federation.verification import verify_request
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


async def receive(inst: Instance, writer: InboxWriter, delivery: Delivery) -> bool:
    """Check and store; True if stored (or stored before), False if dropped unverified."""
    activity = parse_activity(delivery.body)
    _check_host(inst, activity.actor_host)
    if _deletes_its_actor(activity) and await remote_actors.get(inst.db, activity.actor) is None:
        return False
    key = await verify_request(
        delivery.method,
        delivery.target,
        delivery.headers,
        delivery.body,
        resolve_key=partial(_permitted_key, inst, activity.actor_host),
        now=inst.clock(),
    )
    if key.owner != activity.actor:
        raise NotTheActor(f"signed by {key.owner}, not by the actor {activity.actor}")
    item = NewItem(activity.id, activity.actor, delivery.recipient_id, activity.text)
    try:
        await writer.store(item)
    except StoreUnavailable as exc:
        raise InboxUnavailable(str(exc)) from exc
    return True


def parse_activity(body: bytes) -> Activity:
    try:
        text = body.decode("utf-8")
        document = parse_json(body)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError alike
        raise BadActivity("the body is not JSON") from exc
    if not isinstance(document, dict):
        raise BadActivity("the body is not a JSON object")
    activity_id = document.get("id")
    kind = document.get("type")
    actor = id_of(document.get("actor"))
    if not isinstance(activity_id, str) or not activity_id:
        raise BadActivity("the activity has no id")
    if not isinstance(kind, str) or not kind:
        raise BadActivity("the activity has no type")
    if actor is None:
        raise BadActivity("the activity has no actor")
    try:
        actor_host = host_of(actor)
        same_origin = host_of(activity_id) == actor_host
    except NotHttpUrl as exc:
        raise BadActivity(f"the activity's id or actor is not an http(s) URL: {exc}") from exc
    if not same_origin:
        # Ids are unique per activity: another host must not claim one (a replay would
        # then be taken for the real thing and dropped).
        raise BadActivity("the activity's id is not on its actor's host")
    return Activity(activity_id, kind, actor, actor_host, document, text)


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
    if host != actor_host:  # the actor's host is checked already
        _check_host(inst, host)
    return await resolve_key(inst, key_id, refresh)


def _deletes_its_actor(activity: Activity) -> bool:
    return activity.type == "Delete" and id_of(activity.document.get("object")) == activity.actor
