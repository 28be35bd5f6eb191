"""Conversations (the apps' direct messages): a member's private conversations about
listings, theirs or ones they answered, and their threads of direct statuses, each with
the other parties and the latest status. Writing in one is `POST /api/v1/statuses` with
visibility direct, in reply to its last status."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import require_member
from fedishare.client_api.entities.account import render_accounts
from fedishare.client_api.entities.status import render_statuses
from fedishare.client_api.pagination import link_header, page_of
from fedishare.client_api.params import read_params
from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.ids import parse_id
from fedishare.core.types import JSON
from fedishare.statuses import conversation_list
from fedishare.statuses.conversation_list import Entry
from fedishare.storage.actors import LocalActor


def _inst(request: Request) -> Instance:
    inst: Instance = request.state.instance
    return inst


def _id(request: Request) -> int:
    found = parse_id(str(request.path_params["id"]))
    if found is None:
        raise NotFound("Record not found")
    return found


async def render_conversations(
    inst: Instance, member: LocalActor, entries: list[Entry]
) -> list[JSON]:
    accounts = await render_accounts(inst, sorted({uri for e in entries for uri in e.others}))
    rows = [e.last_status for e in entries if e.last_status is not None]
    rendered = dict(
        zip([r.id for r in rows], await render_statuses(inst, member, rows), strict=True)
    )
    return [
        {
            "id": str(e.id),
            "unread": e.unread,
            "accounts": [accounts[uri] for uri in e.others if uri in accounts],
            "last_status": None if e.last_status is None else rendered[e.last_status.id],
        }
        for e in entries
    ]


async def list_conversations(request: Request) -> Response:
    member = await require_member(request, "read:statuses")
    inst = _inst(request)
    async with read_params(request) as params:
        page = page_of(params, default=20, most=40)
    entries = await conversation_list.page_of(inst, member, page)
    body = await render_conversations(inst, member, entries)
    return JSONResponse(body, headers=link_header(request, [e.position for e in entries]))


async def read(request: Request) -> Response:
    member = await require_member(request, "write:conversations")
    inst = _inst(request)
    entry = await conversation_list.mark_read(inst, member, _id(request))
    return JSONResponse((await render_conversations(inst, member, [entry]))[0])


async def remove(request: Request) -> Response:
    member = await require_member(request, "write:conversations")
    await conversation_list.remove(_inst(request), member, _id(request))
    return JSONResponse({})


routes: list[BaseRoute] = [
    Route("/api/v1/conversations", list_conversations),
    Route("/api/v1/conversations/{id}/read", read, methods=["POST"]),
    Route("/api/v1/conversations/{id}", remove, methods=["DELETE"]),
]
