"""A member's bookmarks and favourites as Mastodon lists them: newest first, paged by the
bookmark's (or favourite's) own id, which the `Link` header carries."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import require_member
from fedishare.client_api.entities.status import render_statuses
from fedishare.client_api.pagination import link_header, page_of
from fedishare.client_api.params import read_params
from fedishare.http.requests import instance_of
from fedishare.statuses import saved
from fedishare.statuses.visibility import visible_rows


async def bookmarks(request: Request) -> Response:
    member = await require_member(request, "read:bookmarks")
    inst = instance_of(request)
    async with read_params(request) as p:
        page = page_of(p)
    entries = await saved.bookmarked(inst, member, page)
    body = await render_statuses(
        inst, member, await visible_rows(inst, member, [row for _, row in entries])
    )
    return JSONResponse(body, headers=link_header(request, [e for e, _ in entries]))


async def favourites(request: Request) -> Response:
    member = await require_member(request, "read:favourites")
    inst = instance_of(request)
    async with read_params(request) as p:
        page = page_of(p)
    entries = await saved.favourited(inst, member, page)
    body = await render_statuses(
        inst, member, await visible_rows(inst, member, [row for _, row in entries])
    )
    return JSONResponse(body, headers=link_header(request, [e for e, _ in entries]))


routes: list[BaseRoute] = [
    Route("/api/v1/bookmarks", bookmarks, methods=["GET"]),
    Route("/api/v1/favourites", favourites, methods=["GET"]),
]
