"""The author's side of responses, for apps: read them, write privately, answer.

GET  /api/listings/responses?id=LISTING   conversations (with messages) and comments
POST /api/listings/messages  {"listing", "responder", "content"}   a private message
POST /api/listings/answers   {"listing", "responder", "decision"}  accept|tentative|reject
GET  /api/listings/comments?id=LISTING    public comments, for anyone
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.context import Instance
from fedishare.core.errors import Invalid
from fedishare.core.types import JSON
from fedishare.http.auth import require_member
from fedishare.http.bodies import posted_json
from fedishare.http.responses import ActivityJSONResponse
from fedishare.listings import conversations as responses
from fedishare.storage.conversations import Comment, Message


def _message(m: Message) -> JSON:
    return {
        "id": m.object_id,
        "direction": m.direction,
        "kind": m.kind,
        "published": m.published,
        "content": m.document.get("content", ""),
    }


def _comment(c: Comment) -> JSON:
    return {
        "id": c.object_id,
        "author": c.author,
        "visibility": c.visibility,
        "published": c.published,
        "content": c.document.get("content", ""),
    }


def _field(body: JSON, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise Invalid(f"{key}: required")
    return value


async def listing_responses(request: Request) -> Response:
    inst: Instance = request.state.instance
    author = await require_member(request, "read:statuses")
    listing_id = request.query_params.get("id", "")
    conversations = []
    for c in await responses.list_conversations(inst, author, listing_id):
        messages = await responses.conversation_messages(inst, author, listing_id, c.responder)
        conversations.append(
            {
                "responder": c.responder,
                "answer": c.answer,
                "openedAt": c.opened_at,
                "lastAt": c.last_at,
                "messages": [_message(m) for m in messages],
            }
        )
    comments = await responses.list_comments(inst, author, listing_id)
    return JSONResponse(
        {"conversations": conversations, "comments": [_comment(c) for c in comments]}
    )


async def send_message(request: Request) -> Response:
    inst: Instance = request.state.instance
    author = await require_member(request, "write:statuses")
    body = await posted_json(request)
    activity = await responses.send_message(
        inst, author, _field(body, "listing"), _field(body, "responder"), _field(body, "content")
    )
    return ActivityJSONResponse(activity, status_code=201)


async def answer(request: Request) -> Response:
    inst: Instance = request.state.instance
    author = await require_member(request, "write:statuses")
    body = await posted_json(request)
    decision = _field(body, "decision")
    if decision not in responses.DECISIONS:
        raise Invalid("decision: " + ", ".join(responses.DECISIONS))
    activity = await responses.answer_response(
        inst,
        author,
        _field(body, "listing"),
        _field(body, "responder"),
        decision,
    )
    return ActivityJSONResponse(activity, status_code=201)


async def public_comments(request: Request) -> Response:
    inst: Instance = request.state.instance
    comments = await responses.public_comments(inst, request.query_params.get("id", ""))
    return JSONResponse({"comments": [_comment(c) for c in comments]})


routes = [
    Route("/api/listings/responses", listing_responses),
    Route("/api/listings/messages", send_message, methods=["POST"]),
    Route("/api/listings/answers", answer, methods=["POST"]),
    Route("/api/listings/comments", public_comments),
]
