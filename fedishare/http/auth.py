"""Who is calling: the member a bearer token belongs to."""

from __future__ import annotations

import json

from starlette.requests import Request

from fedishare.context import Instance
from fedishare.core.errors import Invalid, Unauthenticated
from fedishare.core.types import JSON
from fedishare.http.bodies import read_limited
from fedishare.storage import actors, tokens
from fedishare.storage.actors import LocalActor


async def bearer_member(request: Request) -> LocalActor:
    inst: Instance = request.state.instance
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer token is required (fedishare account token NAME)")
    owner = await tokens.actor_for(inst.db, token.strip())
    member = None if owner is None else await actors.find_by_id(inst.db, owner)
    if member is None:
        raise Unauthenticated("the token is not valid")
    return member


async def json_object(request: Request) -> JSON:
    """The request body as a JSON object, within the size limit."""
    inst: Instance = request.state.instance
    body = await read_limited(request, inst.config.limits.max_body_bytes)
    try:
        posted = json.loads(body)
    except ValueError:
        raise Invalid("the body is not JSON") from None
    if not isinstance(posted, dict):
        raise Invalid("the body must be a JSON object")
    return posted
