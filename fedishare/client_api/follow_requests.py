"""Follow requests of a locked account, as Mastodon apps list and answer them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.client_api.auth import require_member
from fedishare.client_api.entities.account import account_uri, render_accounts
from fedishare.client_api.entities.relationship import render_relationships
from fedishare.client_api.pagination import link_header, page_of
from fedishare.client_api.params import read_params
from fedishare.core.errors import NotFound
from fedishare.federation.actor_document import actor_id
from fedishare.follows.followers import approve_follow, reject_follow
from fedishare.http.requests import instance_of
from fedishare.storage import follow_pages


async def follow_requests(request: Request) -> Response:
    inst = instance_of(request)
    member = await require_member(request, "read:follows")
    async with read_params(request) as p:
        page = page_of(p, default=40, most=80)
    found = await follow_pages.followers_page(
        inst.db, actor_id(inst.urls, member), page, state="pending"
    )
    rendered = await render_accounts(inst, [uri for _, uri in found])
    body = [rendered[uri] for _, uri in found if uri in rendered]
    return JSONResponse(body, headers=link_header(request, [i for i, _ in found]))


async def _answer(request: Request, *, accept: bool) -> Response:
    inst = instance_of(request)
    member = await require_member(request, "write:follows")
    uri = await account_uri(inst, request.path_params["id"])
    if uri is None:
        raise NotFound("Record not found")
    answered = await (approve_follow if accept else reject_follow)(inst, member, uri)
    if answered is None:
        raise NotFound("Record not found")  # no request from this account
    return JSONResponse((await render_relationships(inst, member, [uri]))[0])


async def authorize(request: Request) -> Response:
    return await _answer(request, accept=True)


async def reject(request: Request) -> Response:
    return await _answer(request, accept=False)


routes = [
    Route("/api/v1/follow_requests", follow_requests),
    Route("/api/v1/follow_requests/{id}/authorize", authorize, methods=["POST"]),
    Route("/api/v1/follow_requests/{id}/reject", reject, methods=["POST"]),
]
