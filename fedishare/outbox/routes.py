"""Routes for actors' collections, the client-to-server outbox, and our objects and
activities at their ids. Every GET here passes `check_fetch` first (secure mode: signed GETs
only); a followers-only object goes only to servers that host one of its author's followers."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedishare.context import Instance
from fedishare.core.activitystreams import is_public
from fedishare.core.errors import Forbidden, Gone, Invalid, NotFound
from fedishare.core.posts import visibility_of
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.http.auth import authenticated, granted, member_of
from fedishare.http.bodies import posted_json
from fedishare.http.responses import ActivityJSONResponse
from fedishare.http.signed_fetch import (
    blocked_by_author,
    check_fetch,
    reads_followers_only,
)
from fedishare.outbox import collections
from fedishare.outbox.client_posts import post_to_outbox
from fedishare.storage import actors as actor_store
from fedishare.storage import objects as object_store
from fedishare.storage import outbox as outbox_store
from fedishare.storage.actors import LocalActor


async def _local_actor(request: Request) -> LocalActor:
    inst: Instance = request.state.instance
    username = request.path_params.get("username")
    if username is None:
        actor = await actor_store.find_by_kind(inst.db, "application")
    else:
        actor = await actor_store.find_by_username(inst.db, username)
        if actor is not None and actor.kind == "application":
            actor = None
    if actor is None:
        raise NotFound("no such actor")
    if actor.disabled:
        raise Gone("this account is disabled")
    return actor


def _page(request: Request) -> int | None:
    value = request.query_params.get("page")
    if value is None:
        return None
    if value == "true":  # Mastodon's spelling of "the first page"
        return 1
    if not value.isdigit() or int(value) < 1:
        raise Invalid("page must be a positive integer")
    return int(value)


async def outbox(request: Request) -> Response:
    inst: Instance = request.state.instance
    actor = await _local_actor(request)
    if request.method == "POST":
        return await _client_post(request, inst, actor)
    fetcher = await check_fetch(request)
    aid = actor_id(inst.urls, actor)
    if await blocked_by_author(request, fetcher, aid):  # an empty outbox, as Mastodon shows
        return ActivityJSONResponse(collections.empty(f"{aid}/outbox", _page(request)))
    doc = await collections.outbox(inst, actor, aid, _page(request))
    return ActivityJSONResponse(doc)


async def followers(request: Request) -> Response:
    inst: Instance = request.state.instance
    actor = await _local_actor(request)
    await check_fetch(request)
    return ActivityJSONResponse(
        await collections.followers(inst, actor_id(inst.urls, actor), _page(request))
    )


async def following(request: Request) -> Response:
    inst: Instance = request.state.instance
    actor = await _local_actor(request)
    await check_fetch(request)
    return ActivityJSONResponse(
        await collections.following(inst, actor_id(inst.urls, actor), _page(request))
    )


# What a posted activity does to the member's follows, not their posts; Undo undoes a Follow.
_FOLLOW_TYPES = frozenset({"Follow", "Undo", "Accept", "Reject"})


def _scope(posted: JSON) -> str:
    """The scope a token needs to post this, as for Mastodon's equivalent: follows (and
    answers to follow requests) or statuses (notes, listings)."""
    return "write:follows" if posted.get("type") in _FOLLOW_TYPES else "write:statuses"


async def _client_post(request: Request, inst: Instance, actor: LocalActor) -> Response:
    found = await authenticated(request)  # 401 before the body is read
    posted = await posted_json(request)
    member = member_of(granted(found, _scope(posted)))
    if member.id != actor.id:
        raise Forbidden("the token belongs to another account")
    activity = await post_to_outbox(inst, actor, posted)
    return ActivityJSONResponse(activity, status_code=201, headers={"Location": activity["id"]})


async def stored_activity(request: Request) -> Response:
    """Our public activities, dereferenceable at their ids."""
    inst: Instance = request.state.instance
    fetcher = await check_fetch(request)
    activity_id = f"{inst.urls.base}{request.url.path}"
    row = await outbox_store.get_activity(inst.db, activity_id)
    if row is None or not row["public"]:
        raise NotFound("no such activity")
    document = json.loads(row["document"])
    if await blocked_by_author(request, fetcher, str(document.get("actor"))):
        raise NotFound("no such activity")
    return ActivityJSONResponse(document)


async def stored_object(request: Request) -> Response:
    """Our objects at their ids; a deleted one answers 410 with its Tombstone."""
    inst: Instance = request.state.instance
    fetcher = await check_fetch(request)
    obj = await object_store.get(inst.db, f"{inst.urls.base}{request.url.path}")
    if (
        obj is None
        or not obj.is_local
        or await blocked_by_author(request, fetcher, obj.attributed_to)
    ):
        raise NotFound("no such object")
    if not (obj.deleted or is_public(obj.document)):
        # Followers-only objects go to their followers' servers; direct ones to nobody.
        author = obj.attributed_to
        private = visibility_of(obj.document, f"{author}/followers") == "private"
        if not (private and await reads_followers_only(request, author)):
            raise NotFound("no such object")
    status = 410 if obj.deleted else 200
    return ActivityJSONResponse(obj.document, status_code=status)


routes = [
    Route("/users/{username}/outbox", outbox, methods=["GET", "POST"]),
    Route("/users/{username}/followers", followers),
    Route("/users/{username}/following", following),
    Route("/actor/outbox", outbox),
    Route("/actor/followers", followers),
    Route("/actor/following", following),
    Route("/activities/{uuid}", stored_activity),
    Route("/objects/{uuid}", stored_object),
    Route("/objects/{uuid}/activity", stored_activity),
]
