"""Notifications as Mastodon apps read them: the list (filtered by `types[]`,
`exclude_types[]`, `account_id`; paged, with a Link header), one, dismissing one, clearing
all, the unread count, and the grouped list of /api/v2."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import require_member
from fedishare.client_api.entities.account import account_uri
from fedishare.client_api.entities.notification import render_groups, render_notifications
from fedishare.client_api.pagination import link_header, page_of
from fedishare.client_api.params import Params, read_params
from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.ids import parse_id
from fedishare.http.requests import instance_of
from fedishare.notifications import reading
from fedishare.storage.actors import LocalActor
from fedishare.storage.notifications import Filter, Notification


def _id(request: Request) -> int:
    found = parse_id(str(request.path_params["id"]))
    if found is None:
        raise NotFound("Record not found")
    return found


async def _filter(inst: Instance, params: Params) -> Filter:
    from_actor = None
    account = params.text("account_id")
    if account:
        from_actor = await account_uri(inst, account)
        if from_actor is None:
            raise NotFound("Record not found")
    return Filter(params.texts("types"), params.texts("exclude_types"), from_actor)


async def _page(request: Request) -> tuple[Instance, LocalActor, list[Notification]]:
    """The member's notifications of the page and filter the request asks for."""
    member = await require_member(request, "read:notifications")
    inst = instance_of(request)
    async with read_params(request) as params:
        page = page_of(params, default=40, most=80)
        which = await _filter(inst, params)
    return inst, member, await reading.page_of(inst, member, page, which)


async def list_notifications(request: Request) -> Response:
    inst, member, found = await _page(request)
    body = await render_notifications(inst, member, found)
    return JSONResponse(body, headers=link_header(request, [n.id for n in found]))


async def grouped_notifications(request: Request) -> Response:
    inst, member, found = await _page(request)
    body = await render_groups(inst, member, found)
    return JSONResponse(body, headers=link_header(request, [n.id for n in found]))


async def one_notification(request: Request) -> Response:
    member = await require_member(request, "read:notifications")
    inst = instance_of(request)
    found = await reading.one(inst, member, _id(request))
    rendered = await render_notifications(inst, member, [found])
    if not rendered:
        raise NotFound("Record not found")
    return JSONResponse(rendered[0])


async def dismiss(request: Request) -> Response:
    member = await require_member(request, "write:notifications")
    await reading.dismiss(instance_of(request), member, _id(request))
    return JSONResponse({})


async def clear(request: Request) -> Response:
    member = await require_member(request, "write:notifications")
    await reading.clear(instance_of(request), member)
    return JSONResponse({})


async def unread_count(request: Request) -> Response:
    member = await require_member(request, "read:notifications")
    inst = instance_of(request)
    async with read_params(request) as params:
        most = params.integer("limit", 100, lowest=1, highest=1000) or 100
        which = await _filter(inst, params)
    return JSONResponse({"count": await reading.unread_count(inst, member, which, most=most)})


_N = "/api/v1/notifications"

routes: list[BaseRoute] = [
    Route(_N, list_notifications),
    Route(f"{_N}/clear", clear, methods=["POST"]),
    Route(f"{_N}/unread_count", unread_count),
    Route(f"{_N}/{{id}}", one_notification),
    Route(f"{_N}/{{id}}/dismiss", dismiss, methods=["POST"]),
    Route("/api/v2/notifications", grouped_notifications),
    Route("/api/v2/notifications/unread_count", unread_count),
]
