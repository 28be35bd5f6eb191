"""Posting and acting on statuses from an app: POST, PUT and DELETE /api/v1/statuses, the
source and history of a status, and favourite, reblog, bookmark and their undos.

fedishare has no polls, scheduled posts, pins or conversation mutes: those are refused with
a 422 that says so, rather than accepted and silently not kept.
"""

from __future__ import annotations

import re
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import caller, optional_member, require_member
from fedishare.client_api.entities.status import render_status
from fedishare.client_api.params import Params, read_params
from fedishare.context import Instance
from fedishare.core.errors import NotFound, Unprocessable
from fedishare.core.ids import parse_id
from fedishare.core.types import JSON
from fedishare.http.requests import instance_of
from fedishare.statuses import interactions, posting
from fedishare.statuses.posting import Draft
from fedishare.statuses.visibility import visible
from fedishare.storage import statuses as status_index
from fedishare.storage.actors import LocalActor
from fedishare.storage.statuses import StatusRow


def _status_id(request: Request) -> int:
    status_id = parse_id(str(request.path_params["id"]))
    if status_id is None:
        raise NotFound("Record not found")
    return status_id


def _media_ids(p: Params) -> tuple[int, ...]:
    ids = [parse_id(i) for i in p.texts("media_ids")]
    if None in ids:
        raise Unprocessable("media_ids: ids of your uploads")
    return tuple(i for i in ids if i is not None)


# ISO 639 (two or three letters), with a region or script as apps sometimes add (pt-BR).
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][a-z0-9]{2,8})?", re.IGNORECASE)


def _language(p: Params) -> str | None:
    language = (p.text("language") or "").strip()
    if language and not _LANGUAGE.fullmatch(language):
        raise Unprocessable("language: an ISO 639 code such as en")
    return language or None


def _spoiler(request: Request, p: Params) -> str:
    """The content warning, which counts towards the status's length, as Mastodon's does."""
    spoiler = p.text("spoiler_text", "") or ""
    most = instance_of(request).config.limits.max_listing_chars
    if spoiler and len(spoiler) + len(p.text("status", "") or "") > most:
        raise Unprocessable(f"spoiler_text: with the text, longer than {most} characters")
    return spoiler


def _refuse_unsupported(p: Params) -> None:
    if any(name == "poll" or name.startswith("poll[") for name in p.values):
        raise Unprocessable("polls are not supported")
    if p.text("scheduled_at"):
        raise Unprocessable("scheduled posts are not supported")


def _draft(request: Request, p: Params) -> Draft:
    reply = p.text("in_reply_to_id")
    reply_id = parse_id(reply) if reply else None
    if reply and reply_id is None:
        raise NotFound("Record not found")
    return Draft(
        text=p.text("status", "") or "",
        visibility=p.text("visibility") or None,  # None: the member's default
        in_reply_to_id=reply_id,
        media_ids=_media_ids(p),
        spoiler_text=_spoiler(request, p),
        sensitive=p.flag("sensitive"),
        language=_language(p),
        idempotency_key=request.headers.get("idempotency-key") or None,
    )


async def _answer(inst: Instance, member: LocalActor | None, row: StatusRow) -> Response:
    return JSONResponse(await render_status(inst, member, row))


async def create(request: Request) -> Response:
    who = await caller(request, "write:statuses")
    member = who.member
    if member is None:
        raise Unprocessable("This method requires an authenticated user")
    async with read_params(request) as p:
        _refuse_unsupported(p)
        draft = _draft(request, p)
    draft = replace(draft, app_id=who.app_id)
    inst = instance_of(request)
    return await _answer(inst, member, await posting.post_status(inst, member, draft))


async def edit(request: Request) -> Response:
    member = await require_member(request, "write:statuses")
    status_id = _status_id(request)
    async with read_params(request) as p:
        _refuse_unsupported(p)
        draft = _draft(request, p)
    inst = instance_of(request)
    return await _answer(inst, member, await posting.edit_status(inst, member, status_id, draft))


async def delete(request: Request) -> Response:
    """The deleted status, with the `text` it was written as (apps offer "delete and
    redraft" from it)."""
    member = await require_member(request, "write:statuses")
    inst = instance_of(request)
    status_id = _status_id(request)
    source = await posting.status_source(inst, member, status_id)
    row = await status_index.get(inst.db, status_id)
    assert row is not None  # status_source found it
    body: JSON = await render_status(inst, member, row)
    await posting.delete_status(inst, member, status_id)
    body["text"] = source.text
    body["spoiler_text"] = source.spoiler_text or body.get("spoiler_text", "")
    return JSONResponse(body)


async def source(request: Request) -> Response:
    member = await require_member(request, "read:statuses")
    inst = instance_of(request)
    status_id = _status_id(request)
    found = await posting.status_source(inst, member, status_id)
    return JSONResponse(
        {"id": str(status_id), "text": found.text, "spoiler_text": found.spoiler_text}
    )


async def history(request: Request) -> Response:
    """Earlier versions are not kept: the history is the status as it is now."""
    viewer = await optional_member(request, "read:statuses")
    inst = instance_of(request)
    row = await visible(inst, viewer, _status_id(request))
    status = await render_status(inst, viewer, row)
    edit = {
        "content": status["content"],
        "spoiler_text": status["spoiler_text"],
        "sensitive": status["sensitive"],
        "created_at": status.get("edited_at") or status["created_at"],
        "account": status["account"],
        "media_attachments": status["media_attachments"],
        "emojis": status["emojis"],
    }
    return JSONResponse([edit])


async def _act(request: Request, scope: str) -> tuple[Instance, LocalActor, int]:
    member = await require_member(request, scope)
    return instance_of(request), member, _status_id(request)


async def favourite(request: Request) -> Response:
    inst, member, status_id = await _act(request, "write:favourites")
    return await _answer(inst, member, await interactions.favourite(inst, member, status_id))


async def unfavourite(request: Request) -> Response:
    inst, member, status_id = await _act(request, "write:favourites")
    return await _answer(inst, member, await interactions.unfavourite(inst, member, status_id))


async def reblog(request: Request) -> Response:
    inst, member, status_id = await _act(request, "write:statuses")
    async with read_params(request) as p:
        visibility = p.text("visibility") or "public"
    boost = await interactions.reblog(inst, member, status_id, visibility)
    return await _answer(inst, member, boost)


async def unreblog(request: Request) -> Response:
    inst, member, status_id = await _act(request, "write:statuses")
    return await _answer(inst, member, await interactions.unreblog(inst, member, status_id))


async def bookmark(request: Request) -> Response:
    inst, member, status_id = await _act(request, "write:bookmarks")
    return await _answer(inst, member, await interactions.bookmark(inst, member, status_id))


async def unbookmark(request: Request) -> Response:
    inst, member, status_id = await _act(request, "write:bookmarks")
    return await _answer(inst, member, await interactions.unbookmark(inst, member, status_id))


async def pin(request: Request) -> Response:
    await _act(request, "write:accounts")
    raise Unprocessable("pinning is not supported")


async def mute(request: Request) -> Response:
    await _act(request, "write:mutes")
    raise Unprocessable("muting conversations is not supported")


routes: list[BaseRoute] = [
    Route("/api/v1/statuses", create, methods=["POST"]),
    Route("/api/v1/statuses/{id}", edit, methods=["PUT"]),
    Route("/api/v1/statuses/{id}", delete, methods=["DELETE"]),
    Route("/api/v1/statuses/{id}/source", source, methods=["GET"]),
    Route("/api/v1/statuses/{id}/history", history, methods=["GET"]),
    Route("/api/v1/statuses/{id}/favourite", favourite, methods=["POST"]),
    Route("/api/v1/statuses/{id}/unfavourite", unfavourite, methods=["POST"]),
    Route("/api/v1/statuses/{id}/reblog", reblog, methods=["POST"]),
    Route("/api/v1/statuses/{id}/unreblog", unreblog, methods=["POST"]),
    Route("/api/v1/statuses/{id}/bookmark", bookmark, methods=["POST"]),
    Route("/api/v1/statuses/{id}/unbookmark", unbookmark, methods=["POST"]),
    Route("/api/v1/statuses/{id}/pin", pin, methods=["POST"]),
    Route("/api/v1/statuses/{id}/unpin", pin, methods=["POST"]),
    Route("/api/v1/statuses/{id}/mute", mute, methods=["POST"]),
    Route("/api/v1/statuses/{id}/unmute", mute, methods=["POST"]),
]
