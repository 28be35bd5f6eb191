"""`GET /api/follow_requests`: who asks to follow the token holder (a locked account answers
with an Accept or Reject posted to its outbox)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.context import Instance
from fedishare.federation.actor_document import actor_id
from fedishare.http.auth import require_member
from fedishare.storage import follows


async def follow_requests(request: Request) -> Response:
    """The token holder's pending follow requests."""
    inst: Instance = request.state.instance
    member = await require_member(request, "read:follows")
    pending = await follows.followers(
        inst.db, actor_id(inst.urls, member), limit=500, state="pending"
    )
    return JSONResponse({"requests": pending})


routes = [Route("/api/follow_requests", follow_requests)]
