"""Markers: where the member stopped reading their home timeline and their notifications,
shared between their apps (`GET` with `timeline[]`, `POST` with `home[last_read_id]` and
`notifications[last_read_id]`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import require_member
from fedishare.client_api.entities.times import mastodon_time
from fedishare.client_api.params import read_params
from fedishare.core.types import JSON
from fedishare.http.requests import instance_of
from fedishare.notifications.markers import markers_of, set_markers
from fedishare.storage.markers import TIMELINES, Marker


def _render(found: list[Marker]) -> JSON:
    return {
        m.timeline: {
            "last_read_id": m.last_read_id,
            "version": m.version,
            "updated_at": mastodon_time(m.updated_at),
        }
        for m in found
    }


async def get_markers(request: Request) -> Response:
    member = await require_member(request, "read:statuses")
    inst = instance_of(request)
    async with read_params(request) as params:
        timelines = params.texts("timeline")
    return JSONResponse(_render(await markers_of(inst, member, timelines)))


async def post_markers(request: Request) -> Response:
    member = await require_member(request, "write:statuses")
    inst = instance_of(request)
    async with read_params(request) as params:
        positions = {
            timeline: text
            for timeline in TIMELINES
            if (text := params.text(f"{timeline}[last_read_id]")) is not None
        }
    return JSONResponse(_render(await set_markers(inst, member, positions)))


routes: list[BaseRoute] = [
    Route("/api/v1/markers", get_markers),
    Route("/api/v1/markers", post_markers, methods=["POST"]),
]
