"""Uploading photos for statuses: POST /api/v2/media (and v1), then GET and PUT
/api/v1/media/:id to read it back and change its description (alt text).

Photos are processed as the web board processes them, at once: v2 answers 200 with the
finished attachment rather than 202 and a URL to poll. `focus` is accepted and not kept
(every photo is cropped around its centre). Anything but a photo is refused with a 422.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import require_member
from fedishare.client_api.entities.media import render_media
from fedishare.client_api.params import read_params
from fedishare.core.errors import NotFound, Unprocessable
from fedishare.core.ids import parse_id
from fedishare.http.requests import instance_of
from fedishare.media.uploads import check_size
from fedishare.statuses import uploads


def _media_id(request: Request) -> int:
    found = parse_id(str(request.path_params["id"]))
    if found is None:
        raise NotFound("Record not found")
    return found


async def create(request: Request) -> Response:
    member = await require_member(request, "write:media")
    inst = instance_of(request)
    async with read_params(request) as p:
        file = p.file("file")
        if file is None:
            raise Unprocessable("file: a photo is required")
        name = file.filename or "the file"
        if file.size is not None:
            check_size(inst, name, file.size)
        data = await file.read()
        media = await uploads.upload(
            inst,
            member,
            data,
            name=name,
            content_type=file.content_type,
            description=p.text("description", "") or "",
        )
    return JSONResponse(render_media(inst, media))


async def show(request: Request) -> Response:
    member = await require_member(request, "write:media")
    inst = instance_of(request)
    media = await uploads.own_upload(inst, member, _media_id(request))
    return JSONResponse(render_media(inst, media))


async def update(request: Request) -> Response:
    member = await require_member(request, "write:media")
    inst = instance_of(request)
    media_id = _media_id(request)
    async with read_params(request) as p:
        description = p.text("description")
    if description is None:
        media = await uploads.own_upload(inst, member, media_id)
    else:
        media = await uploads.describe(inst, member, media_id, description)
    return JSONResponse(render_media(inst, media))


routes: list[BaseRoute] = [
    Route("/api/v2/media", create, methods=["POST"]),
    Route("/api/v1/media", create, methods=["POST"]),
    Route("/api/v1/media/{id}", show, methods=["GET"]),
    Route("/api/v1/media/{id}", update, methods=["PUT"]),
]
