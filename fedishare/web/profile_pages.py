"""Profiles: members' and the community's pages, remote follow, followers, following and follow
requests.

GET  /users/NAME (for browsers)        the profile: avatar, bio, open listings, follow forms
POST /users/NAME/remote-follow         account=@you@your.server: off to their server's
                                       follow page (303), or the profile with the error
POST /users/NAME/follow, /unfollow     a signed-in member follows or stops following NAME
GET  /users/NAME/people                the member's own: follow requests, followers, following
POST /users/NAME/follow-requests       follower=ACTOR, decision=approve|refuse

`/users/NAME/followers` and `/following` stay ActivityStreams collections, for servers.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.context import Instance
from fedishare.core.errors import Forbidden, Gone, Invalid, NotFound, Unprocessable
from fedishare.federation.actor_document import actor_document, actor_id
from fedishare.follows.followers import approve_follow, reject_follow
from fedishare.follows.following import follow_actor, unfollow_actor
from fedishare.http.errors import status_of
from fedishare.remote.remote_follow import follow_page
from fedishare.storage import actors as actor_store
from fedishare.storage import follows
from fedishare.storage.actors import LocalActor
from fedishare.storage.listing_search import Query, search
from fedishare.web.cards import Card, card
from fedishare.web.form_fields import field_errors
from fedishare.web.pages import render, see_other
from fedishare.web.people import describe_all
from fedishare.web.session import check_csrf, current_member, require_member

KINDS = {"person": "Member", "group": "Community", "application": "Instance"}
MAX_LISTINGS = 50
MAX_PEOPLE = 500
DECISIONS = ("approve", "refuse")


async def _actor(request: Request) -> LocalActor:
    """The member or community named in the path."""
    inst: Instance = request.state.instance
    actor = await actor_store.find_by_username(inst.db, request.path_params["username"])
    if actor is None or actor.kind == "application":
        raise NotFound("no such actor")
    if actor.disabled:
        raise Gone("this account is disabled")
    return actor


async def _open_listings(
    inst: Instance, actor: LocalActor, viewer: LocalActor | None
) -> list[Card]:
    """A member's open listings, newest first; for the community, the neighbourhood's. The
    followers-only ones show to the member and to their followers (`viewer`)."""
    if actor.kind not in ("person", "group"):
        return []
    query = Query(
        statuses=("open", "reserved"),
        origin="local",
        author=actor_id(inst.urls, actor) if actor.kind == "person" else None,
        order="newest",
        limit=MAX_LISTINGS,
        viewer=None if viewer is None else actor_id(inst.urls, viewer),
    )
    now = inst.clock()
    return [card(hit, now) for hit in await search(inst.db, query)]


async def actor_page(
    request: Request,
    actor: LocalActor,
    *,
    status_code: int = 200,
    account: str = "",
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    """The profile page of one of our actors (the instance actor's too)."""
    inst: Instance = request.state.instance
    aid = actor_id(inst.urls, actor)
    rules = inst.config.community.rules if actor.kind == "group" else ()
    viewer = await current_member(request)
    following = None
    if viewer is not None and viewer.id != actor.id and actor.kind != "application":
        found = await follows.find(inst.db, actor_id(inst.urls, viewer), aid)
        following = "no" if found is None or found.state == "rejected" else found.state
    return await render(
        request,
        "actor.html",
        status_code=status_code,
        username=actor.username,
        name=actor.display_name,
        handle=f"{actor.username}@{inst.config.instance.domain}",
        kind=KINDS[actor.kind],
        followable=actor.kind != "application",
        locked=actor.manually_approves_followers,
        actor_id=aid,
        icon=actor_document(inst.urls, actor)["icon"]["url"],
        summary=[p for p in actor.summary.split("\n\n") if p.strip()],
        rules=rules,
        listings=await _open_listings(inst, actor, viewer),
        is_self=viewer is not None and viewer.id == actor.id,
        following=following,
        followers=await follows.count_followers(inst.db, aid),
        follows_count=await follows.count_following(inst.db, aid),
        account=account,
        errors=errors or {},
    )


async def remote_follow(request: Request) -> Response:
    inst: Instance = request.state.instance
    form = await request.form()
    await check_csrf(request, form)
    actor = await _actor(request)
    account = str(form.get("account", "")).strip()
    try:
        page = await follow_page(inst, account, actor_id(inst.urls, actor))
    except (Invalid, Unprocessable) as e:
        return await actor_page(
            request,
            actor,
            status_code=status_of(e),
            account=account,
            errors=field_errors(e, "account"),
        )
    return see_other(page)


async def follow(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    actor = await _actor(request)
    await follow_actor(inst, member, actor_id(inst.urls, actor))
    return see_other(f"/users/{actor.username}")


async def unfollow(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    actor = await _actor(request)
    await unfollow_actor(inst, member, actor_id(inst.urls, actor))
    return see_other(f"/users/{actor.username}")


async def _own_page(request: Request) -> LocalActor:
    """The signed-in member, who must be the one named in the path."""
    member = await require_member(request)
    if member.username.lower() != str(request.path_params["username"]).lower():
        raise Forbidden("only the member can see whom they follow and who follows them")
    return member


async def people(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await _own_page(request)
    me = actor_id(inst.urls, member)
    asking = await follows.followers(inst.db, me, limit=MAX_PEOPLE, state="pending")
    followers = await follows.followers(inst.db, me, limit=MAX_PEOPLE)
    followed = [
        f
        for f in await follows.following(inst.db, me, limit=MAX_PEOPLE, state=None)
        if f.state != "rejected"
    ]
    named = await describe_all(inst, [*asking, *followers, *(f.followee for f in followed)])
    return await render(
        request,
        "people.html",
        username=member.username,
        locked=member.manually_approves_followers,
        requests=[named[a] for a in asking],
        followers=[named[a] for a in followers],
        following=[(named[f.followee], f.state) for f in followed],
    )


async def answer_follow_request(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await _own_page(request)
    form = await request.form()
    await check_csrf(request, form)
    follower, decision = str(form.get("follower", "")), form.get("decision")
    if decision not in DECISIONS:
        raise Invalid("decision: approve or refuse")
    if decision == "approve":
        answered = await approve_follow(inst, member, follower)
    else:
        answered = await reject_follow(inst, member, follower)
    if answered is None:
        raise NotFound("no such follow request")
    return see_other(f"/users/{member.username}/people")


routes: list[BaseRoute] = [
    Route("/users/{username}/remote-follow", remote_follow, methods=["POST"]),
    Route("/users/{username}/follow", follow, methods=["POST"]),
    Route("/users/{username}/unfollow", unfollow, methods=["POST"]),
    Route("/users/{username}/people", people),
    Route("/users/{username}/follow-requests", answer_follow_request, methods=["POST"]),
]
