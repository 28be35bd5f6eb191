"""The timelines apps read: home (who the member follows, communities' announces as
boosts), public (`local`, `remote`, `only_media`; readable without a token, as Mastodon
allows by default), a hashtag's (`any[]`, `all[]`, `none[]`) and direct (the member's
direct statuses). Each page carries a `Link` header built from the ids it holds."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import optional_member, require_member
from fedishare.client_api.entities.status import render_statuses
from fedishare.client_api.pagination import link_header, page_of
from fedishare.client_api.params import Params, read_params
from fedishare.context import Instance
from fedishare.statuses import timelines
from fedishare.statuses.visibility import visible_rows
from fedishare.storage.actors import LocalActor
from fedishare.storage.statuses import StatusRow


async def answer(
    request: Request, viewer: LocalActor | None, rows: Sequence[StatusRow]
) -> Response:
    """The statuses of a page, with the Link header of its ids."""
    inst: Instance = request.state.instance
    body = await render_statuses(inst, viewer, await visible_rows(inst, viewer, rows))
    # Paged by what the query walked, so that a page whose last rows are left out still
    # leads on past them.
    return JSONResponse(body, headers=link_header(request, [row.id for row in rows]))


def _locality(p: Params) -> bool | None:
    """`local=true`: ours only; `remote=true`: other servers' only; else both."""
    if p.flag("local"):
        return True
    if p.flag("remote"):
        return False
    return None


async def home(request: Request) -> Response:
    member = await require_member(request, "read:statuses")
    async with read_params(request) as p:
        page = page_of(p)
    rows = await timelines.home(request.state.instance, member, page)
    return await answer(request, member, rows)


async def direct(request: Request) -> Response:
    """Removed from Mastodon in 3.0 (conversations replaced it); some apps still call it."""
    member = await require_member(request, "read:statuses")
    async with read_params(request) as p:
        page = page_of(p)
    rows = await timelines.direct(request.state.instance, member, page)
    return await answer(request, member, rows)


async def public(request: Request) -> Response:
    viewer = await optional_member(request, "read:statuses")
    async with read_params(request) as p:
        page = page_of(p)
        local, only_media = _locality(p), p.flag("only_media")
    rows = await timelines.public(request.state.instance, page, local, only_media, viewer=viewer)
    return await answer(request, viewer, rows)


async def hashtag(request: Request) -> Response:
    viewer = await optional_member(request, "read:statuses")
    async with read_params(request) as p:
        page = page_of(p)
        local, only_media = _locality(p), p.flag("only_media")
        any_of, all_of, none_of = p.texts("any"), p.texts("all"), p.texts("none")
    rows = await timelines.tag(
        request.state.instance,
        str(request.path_params["hashtag"]),
        page,
        local,
        only_media,
        any_of=any_of,
        all_of=all_of,
        none_of=none_of,
        viewer=viewer,
    )
    return await answer(request, viewer, rows)


routes: list[BaseRoute] = [
    Route("/api/v1/timelines/home", home, methods=["GET"]),
    Route("/api/v1/timelines/public", public, methods=["GET"]),
    Route("/api/v1/timelines/direct", direct, methods=["GET"]),
    Route("/api/v1/timelines/tag/{hashtag}", hashtag, methods=["GET"]),
]
