"""Reading one status from an app: the status, its thread (context), and who favourited or
boosted it. A status the caller may not see is a 404, as if it did not exist."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import optional_member
from fedishare.client_api.entities.account import render_accounts
from fedishare.client_api.entities.status import render_status, render_statuses
from fedishare.client_api.pagination import link_header, page_of
from fedishare.client_api.params import read_params
from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.ids import parse_id
from fedishare.http.requests import instance_of
from fedishare.statuses import timelines
from fedishare.statuses.visibility import visible
from fedishare.storage import reactions
from fedishare.storage import statuses as index
from fedishare.storage.actors import LocalActor
from fedishare.storage.statuses import StatusRow


async def _visible(request: Request) -> tuple[Instance, LocalActor | None, StatusRow]:
    inst = instance_of(request)
    viewer = await optional_member(request, "read:statuses")
    status_id = parse_id(str(request.path_params["id"]))
    if status_id is None:
        raise NotFound("Record not found")
    return inst, viewer, await visible(inst, viewer, status_id)


async def show(request: Request) -> Response:
    inst, viewer, row = await _visible(request)
    return JSONResponse(await render_status(inst, viewer, row))


async def context(request: Request) -> Response:
    inst, viewer, row = await _visible(request)
    ancestors, descendants = await timelines.context(inst, viewer, row)
    return JSONResponse(
        {
            "ancestors": await render_statuses(inst, viewer, ancestors),
            "descendants": await render_statuses(inst, viewer, descendants),
        }
    )


async def _reactors(request: Request, reaction_type: str) -> Response:
    inst, _, row = await _visible(request)
    if row.reblog_of is not None:
        original = await index.get(inst.db, row.reblog_of)
        row = original if original is not None else row
    async with read_params(request) as p:
        page = page_of(p, default=40, most=80)
    found = await reactions.reactors(inst.db, reaction_type, row.uri, page)
    accounts = await render_accounts(inst, [actor for _, actor in found])
    body = [accounts[actor] for _, actor in found if actor in accounts]
    return JSONResponse(body, headers=link_header(request, [i for i, _ in found]))


async def favourited_by(request: Request) -> Response:
    return await _reactors(request, "Like")


async def reblogged_by(request: Request) -> Response:
    return await _reactors(request, "Announce")


routes: list[BaseRoute] = [
    Route("/api/v1/statuses/{id}", show, methods=["GET"]),
    Route("/api/v1/statuses/{id}/context", context, methods=["GET"]),
    Route("/api/v1/statuses/{id}/favourited_by", favourited_by, methods=["GET"]),
    Route("/api/v1/statuses/{id}/reblogged_by", reblogged_by, methods=["GET"]),
]
