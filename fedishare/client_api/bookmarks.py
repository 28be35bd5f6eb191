"""A member's bookmarks and favourites as Mastodon lists them: newest first, paged by the
bookmark's (or favourite's) own id, which the `Link` header carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import require_member
from fedishare.client_api.entities.status import render_statuses
from fedishare.client_api.pagination import link_header, page_of
from fedishare.client_api.params import read_params
from fedishare.context import Instance
from fedishare.core.paging import Page
from fedishare.http.requests import instance_of
from fedishare.statuses import saved
from fedishare.statuses.visibility import visible_rows
from fedishare.storage.actors import LocalActor
from fedishare.storage.statuses import StatusRow

_Reader = Callable[[Instance, LocalActor, Page], Awaitable[list[tuple[int, StatusRow]]]]


async def _saved(request: Request, scope: str, read: _Reader) -> Response:
    """The statuses `read` finds for the member, paged by the ids of its own entries."""
    member = await require_member(request, scope)
    inst = instance_of(request)
    async with read_params(request) as p:
        page = page_of(p)
    entries = await read(inst, member, page)
    body = await render_statuses(
        inst, member, await visible_rows(inst, member, [row for _, row in entries])
    )
    return JSONResponse(body, headers=link_header(request, [e for e, _ in entries]))


async def bookmarks(request: Request) -> Response:
    return await _saved(request, "read:bookmarks", saved.bookmarked)


async def favourites(request: Request) -> Response:
    return await _saved(request, "read:favourites", saved.favourited)


routes: list[BaseRoute] = [
    Route("/api/v1/bookmarks", bookmarks, methods=["GET"]),
    Route("/api/v1/favourites", favourites, methods=["GET"]),
]
