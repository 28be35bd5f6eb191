"""Our actors at their URLs: ActivityStreams JSON for servers, a page for browsers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedishare.accounts.profiles import actor_json
from fedishare.context import Instance
from fedishare.core.errors import Gone, NotFound, Unavailable
from fedishare.federation.actor_document import actor_id
from fedishare.http.negotiation import wants_activity_json
from fedishare.http.responses import ActivityJSONResponse
from fedishare.http.signed_fetch import check_fetch
from fedishare.storage import actors as store
from fedishare.storage.actors import LocalActor
from fedishare.web.profile_pages import actor_page

_VARY = {"Vary": "Accept"}


async def instance_actor(request: Request) -> Response:
    """Public even in secure mode: its key verifies our own signed fetches."""
    inst: Instance = request.state.instance
    actor = await store.find_by_kind(inst.db, "application")
    if actor is None:
        raise Unavailable("the instance is starting")
    return await _render(request, inst, actor)


async def member_or_group(request: Request) -> Response:
    inst: Instance = request.state.instance
    username = request.path_params["username"]
    actor = await store.find_by_username(inst.db, username)
    if actor is None or actor.kind == "application":
        raise NotFound("no such actor")
    if actor.disabled:
        raise Gone("this account is disabled")
    if username != username.lower():
        # The canonical id is lower-case; Mastodon requires id == fetched URL.
        return Response(status_code=301, headers={"Location": actor_id(inst.urls, actor)})
    return await _render(request, inst, actor)


async def _render(request: Request, inst: Instance, actor: LocalActor) -> Response:
    if wants_activity_json(request):
        if actor.kind != "application":
            await check_fetch(request)
        rules = inst.config.community.rules if actor.kind == "group" else ()
        document = await actor_json(inst, actor, rules=rules)
        return ActivityJSONResponse(document, headers=_VARY)
    response = await actor_page(request, actor)
    response.headers.update(_VARY)
    return response


routes = [
    Route("/actor", instance_actor),
    Route("/users/{username}", member_or_group),
]
