"""The board: the neighbourhood's and the network's listings, filtered, on a list and a map; tags;
the Atom feed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedishare.accounts import profiles
from fedishare.context import Instance
from fedishare.storage.actors import LocalActor
from fedishare.storage.listing_search import Hit, search
from fedishare.web import board_filters, feeds
from fedishare.web.cards import card, marker
from fedishare.web.pages import render
from fedishare.web.session import current_member


async def board(request: Request) -> Response:
    return await _board(request, action="/board")


async def tag_board(request: Request) -> Response:
    tag = str(request.path_params["name"])
    return await _board(request, action=f"/tags/{tag}", tag=tag)


async def _board(request: Request, *, action: str, tag: str | None = None) -> Response:
    inst: Instance = request.state.instance
    cfg = inst.config
    member = await current_member(request)
    filters = board_filters.read(request.query_params, tag=tag, place=default_place(inst, member))
    query = filters.query
    if query is not None and member is not None:
        # The member also sees the followers-only listings of the authors they follow (and
        # their own), and a silenced author's listings if they follow the author.
        query = replace(query, viewer=inst.urls.actor(member.username))
    hits: list[Hit] = [] if query is None else await search(inst.db, query)
    now = inst.clock()
    cards = [card(hit, now) for hit in hits]
    more = None
    if query is not None and len(hits) == query.limit:
        more = filters.link(action, offset=str(query.offset + query.limit), tag=None)
    context: dict[str, Any] = {}
    if tag is None:
        context = {
            "description": [p for p in cfg.community.description.split("\n\n") if p.strip()],
            "community_url": inst.urls.actor(cfg.community.handle),
            "rules": cfg.community.rules,
            "registration": cfg.registration,
        }
    map_view = None
    if cfg.map.tiles and cards:
        markers = [m for m in (marker(c) for c in cards) if m is not None]
        centre = query.near if query is not None and query.near else cfg.community.centre
        map_view = {
            "tiles": cfg.map.tiles,
            "attribution": cfg.map.attribution,
            "markers": markers,
            "centre": list(centre) if centre else None,
        }
    return await render(
        request,
        "board.html",
        status_code=200 if query is not None else 400,
        tag=tag,
        action=action,
        values=filters.params,
        errors=filters.errors,
        refined=filters.refined,
        cards=cards,
        more_url=more,
        feed_url=filters.link("/board.atom", offset=None),
        tabs=_tabs(filters, action),
        map=map_view,
        **context,
    )


def default_place(inst: Instance, member: LocalActor | None) -> tuple[float, float] | None:
    """Where distances count from before anyone says: the member's neighbourhood, else the
    community's centre."""
    place = None if member is None else profiles.default_place(member)
    if place is not None and place.latitude is not None and place.longitude is not None:
        return place.latitude, place.longitude
    return inst.config.community.centre


def _tabs(filters: board_filters.BoardFilters, action: str) -> list[dict[str, Any]]:
    """Quick links: everything, offers, requests, stays (the other filters kept)."""
    purpose, kind = filters.params.get("purpose"), filters.params.get("kind")
    choices: list[tuple[str, str | None, str | None]] = [
        ("all", None, None),
        ("offer", "offer", None),
        ("request", "request", None),
        ("stay", None, "stay"),
    ]
    return [
        {
            "name": name,
            "href": filters.link(action, purpose=p, kind=k, offset=None, tag=None),
            "current": (purpose, kind) == (p, k),
        }
        for name, p, k in choices
    ]


routes: list[BaseRoute] = [
    Route("/", board),
    Route("/board", board),
    Route("/board.atom", feeds.board_feed),
    Route("/tags/{name}", tag_board),
]
