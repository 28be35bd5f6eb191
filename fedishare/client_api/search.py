"""`GET /api/v2/search`: accounts, statuses and hashtags for what a member typed; with
`resolve`, handles and URLs of other servers are fetched (only for a signed-in caller, as
Mastodon allows). The answer always has all three lists."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.client_api.auth import optional_member
from fedishare.client_api.entities.account import render_accounts
from fedishare.client_api.entities.status import render_statuses
from fedishare.client_api.entities.tag import render_tag
from fedishare.client_api.params import read_params
from fedishare.core.errors import Invalid
from fedishare.http.requests import instance_of
from fedishare.statuses import search as searching


async def search(request: Request) -> Response:
    inst = instance_of(request)
    viewer = await optional_member(request, "read:search")
    async with read_params(request) as p:
        text = p.text("q") or ""
        kind = p.text("type") or None
        limit = p.integer("limit", 20, lowest=1, highest=40) or 20
        offset = p.integer("offset", 0, lowest=0) or 0
        resolve = p.flag("resolve") and viewer is not None
    if kind is not None and kind not in searching.TYPES:
        raise Invalid(f"type: one of {', '.join(searching.TYPES)}")
    found = await searching.search(
        inst,
        text,
        kind=kind,
        resolve_remote=resolve,
        limit=limit,
        offset=offset,
        viewer=viewer,
    )
    accounts = await render_accounts(inst, found.accounts)
    return JSONResponse(
        {
            "accounts": [accounts[u] for u in found.accounts if u in accounts],
            "statuses": await render_statuses(inst, viewer, found.statuses),
            "hashtags": [render_tag(inst, name) for name in found.hashtags],
        }
    )


routes = [Route("/api/v2/search", search)]
