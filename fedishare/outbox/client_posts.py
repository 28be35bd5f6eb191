"""Client-to-server posting: what a member's app sends to their outbox.

Supported: `Follow` (an actor URL or `@user@host`), `Undo` of a Follow, and `Create` of a
`Note` (or a bare Note, wrapped in a Create). The server assigns ids and `published`,
stores the result and queues its delivery.
"""

from __future__ import annotations

from typing import Any

from fedishare.context import Instance
from fedishare.core.activitystreams import PUBLIC
from fedishare.core.errors import Invalid, NotFound, Unprocessable
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.follows.followers import approve_follow, reject_follow
from fedishare.follows.following import follow_actor, unfollow_actor
from fedishare.listings.client_posts import is_listing_activity, post_listing_activity
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.webfinger import resolve_handle
from fedishare.statuses.notes import publish_note
from fedishare.storage import follows
from fedishare.storage.actors import LocalActor

MAX_NOTE_CHARS = 5_000
_NOTE_FIELDS = ("content", "to", "cc", "inReplyTo", "tag", "summary", "sensitive", "attachment")


async def post_to_outbox(inst: Instance, member: LocalActor, posted: JSON) -> JSON:
    if is_listing_activity(inst, posted):
        return await post_listing_activity(inst, member, posted)
    kind = posted.get("type")
    if kind == "Follow":
        return await _follow(inst, member, posted)
    if kind == "Undo":
        return await _undo(inst, member, posted)
    if kind in ("Accept", "Reject"):
        return await _answer_follow(inst, member, posted)
    if kind == "Create":
        obj = posted.get("object")
        if not isinstance(obj, dict):
            raise Invalid("Create needs an embedded object")
        return await _create_note(inst, member, obj, posted)
    if kind == "Note":
        return await _create_note(inst, member, posted, {})
    raise Invalid(
        f"unsupported activity type {kind!r} (Follow, Undo, Accept, Reject, Create, Note, Listing)"
    )


async def _target_actor(inst: Instance, target: Any) -> str:

    if isinstance(target, dict):
        target = target.get("id")
    if not isinstance(target, str) or not target:
        raise Invalid("object must be an actor URL or @user@host")
    try:
        if not target.startswith(("https://", "http://")):
            target = str(await resolve_handle(inst, target))
        if target.startswith(inst.urls.base + "/"):
            return str(target)  # one of ours
        return (await get_remote_actor(inst, target)).id
    except FetchError as e:
        raise Unprocessable(f"cannot reach {target}: {e}") from None


async def _follow(inst: Instance, member: LocalActor, posted: JSON) -> JSON:

    target = await _target_actor(inst, posted.get("object"))
    if target == actor_id(inst.urls, member):
        raise Invalid("an account cannot follow itself")
    return await follow_actor(inst, member, target)


async def _undo(inst: Instance, member: LocalActor, posted: JSON) -> JSON:

    obj = posted.get("object")
    me = actor_id(inst.urls, member)
    target: str | None = None
    if isinstance(obj, str):
        follow = await follows.find_by_activity(inst.db, obj)
        if follow is not None and follow.follower == me:
            target = follow.followee
    elif isinstance(obj, dict) and obj.get("type") == "Follow":
        target = await _target_actor(inst, obj.get("object"))
    if target is None:
        raise Invalid("Undo takes one of your Follows (its id, or the Follow embedded)")
    undone = await unfollow_actor(inst, member, target)
    if undone is None:
        raise NotFound("you do not follow that actor")
    return undone


async def _answer_follow(inst: Instance, member: LocalActor, posted: JSON) -> JSON:
    """A locked member lets a follower in (Accept) or refuses or removes one (Reject). The
    object is the Follow (its id, or embedded) or the follower's actor id."""

    obj = posted.get("object")
    target = obj.get("id") if isinstance(obj, dict) else obj
    if not isinstance(target, str) or not target:
        raise Invalid("object: the Follow (its id) or the follower's actor id")
    follow = await follows.find_by_activity(inst.db, target)
    follower = follow.follower if follow is not None else target
    decide = approve_follow if posted["type"] == "Accept" else reject_follow
    answer = await decide(inst, member, follower)
    if answer is None:
        raise NotFound("no such follow request")
    return answer


async def _create_note(inst: Instance, member: LocalActor, obj: JSON, wrapper: JSON) -> JSON:

    if obj.get("type", "Note") != "Note":
        raise Invalid("only Notes can be created here")
    content = obj.get("content")
    if not isinstance(content, str) or not content.strip():
        raise Invalid("a Note needs content")
    if len(content) > MAX_NOTE_CHARS:
        raise Invalid(f"content is longer than {MAX_NOTE_CHARS} characters")
    me = actor_id(inst.urls, member)
    to = _audience(obj.get("to", wrapper.get("to")), default=[PUBLIC])
    cc = _audience(
        obj.get("cc", wrapper.get("cc")), default=[f"{me}/followers"] if PUBLIC in to else []
    )
    fields: JSON = {k: obj[k] for k in _NOTE_FIELDS if k in obj}
    return await publish_note(inst, member, fields | {"to": to, "cc": cc})


def _audience(value: Any, *, default: list[str]) -> list[str]:
    if value is None:
        return default
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid("to and cc must be lists of actor or collection URLs")
    return list(value)
