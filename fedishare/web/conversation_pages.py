"""Conversations: a member's private conversations about listings, answering a listing, and
replying from the page.

GET  /conversations                   the member's conversations, newest activity first
GET  /conversations/ID                one conversation, with a reply form
POST /conversations/ID                reply (content, csrf_token)
GET  /listings/UUID/respond           the form answering one of our listings
POST /listings/UUID/respond           answer it (content, csrf_token)
GET  /conversations/new?listing=ID    the same for any listing we know, other servers' too
POST /conversations/new?listing=ID

Pages are for the two parties of a conversation only; a listing's author answers from their
conversations, never their own listing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedishare.context import Instance
from fedishare.core.errors import Invalid, NotFound
from fedishare.core.listing import Listing
from fedishare.federation.actor_document import actor_id
from fedishare.listings import answering, member_conversations
from fedishare.listings.content import text_html
from fedishare.listings.member_conversations import Side
from fedishare.listings.sanitize import clean_html
from fedishare.storage import listings
from fedishare.storage.actors import LocalActor
from fedishare.storage.conversations import Message
from fedishare.web.form_fields import field_errors
from fedishare.web.pages import render, see_other
from fedishare.web.people import Person, describe, describe_all
from fedishare.web.session import check_csrf, require_member
from fedishare.web.times import moment


def respond_url(inst: Instance, listing: Listing) -> str:
    """Where a listing's page sends its answer form."""
    ours = f"{inst.urls.base}/listings/"
    if listing.id.startswith(ours) and "/" not in listing.id[len(ours) :]:
        return f"/listings/{listing.id[len(ours) :]}/respond"
    return "/conversations/new?listing=" + quote(listing.id, safe="")


def conversation_url(conversation_id: int) -> str:
    return f"/conversations/{conversation_id}"


# The inbox


async def inbox(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    try:
        page = max(0, int(request.query_params.get("page", "0")))
    except ValueError:
        raise Invalid("page: a number") from None
    sides = await member_conversations.inbox(inst, member, page=page)
    people = await describe_all(inst, [s.other for s in sides])
    items = [
        {
            "url": conversation_url(s.id),
            "title": s.about.title,
            "role": s.role,
            "other": people[s.other],
            "when": moment(s.about.last_at),
            "status": s.about.status,
            "deleted": s.about.deleted,
            "answer": s.about.answer,
        }
        for s in sides
    ]
    older = f"/conversations?page={page + 1}" if len(sides) == member_conversations.PAGE else None
    newer = f"/conversations?page={page - 1}" if page > 0 else None
    return await render(request, "conversations.html", items=items, older=older, newer=newer)


# One conversation


def _message(m: Message, side: Side, me: Person, other: Person) -> dict[str, Any]:
    # "in" comes from the responder, "out" from the listing's author.
    mine = (m.direction == "out") == (side.role == "author")
    content = m.document.get("content")
    return {
        "id": m.object_id,
        "mine": mine,
        "sender": me if mine else other,
        "when": moment(m.published),
        "published": m.published,
        "kind": m.kind,
        "html": Markup(clean_html(content)) if isinstance(content, str) else None,
    }


async def _show(
    request: Request,
    member: LocalActor,
    side: Side,
    *,
    status_code: int = 200,
    content: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    inst: Instance = request.state.instance
    me = await describe(inst, actor_id(inst.urls, member))
    other = await describe(inst, side.other)
    messages = await member_conversations.messages(inst, side)
    return await render(
        request,
        "conversation.html",
        status_code=status_code,
        side=side,
        title=side.about.title,
        listing_url=side.about.listing_id,
        other=other,
        messages=[_message(m, side, me, other) for m in messages],
        can_reply=not side.about.deleted,
        action=conversation_url(side.id),
        content=content,
        errors=errors or {},
    )


async def conversation(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    side = await member_conversations.conversation(inst, member, request.path_params["id"])
    return await _show(request, member, side)


async def reply(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    conversation_id: int = request.path_params["id"]
    side = await member_conversations.conversation(inst, member, conversation_id)
    text = str(form.get("content", ""))
    try:
        await member_conversations.reply(inst, member, conversation_id, text_html(text))
    except Invalid as e:
        return await _show(
            request, member, side, status_code=400, content=text, errors=field_errors(e, "content")
        )
    return see_other(conversation_url(conversation_id) + "#latest")


# Answering a listing


async def _listing(request: Request) -> Listing:
    inst: Instance = request.state.instance
    if "uuid" in request.path_params:
        listing_id = f"{inst.urls.base}/listings/{request.path_params['uuid']}"
    else:
        listing_id = request.query_params.get("listing", "")
    listing = await listings.get(inst.db, listing_id)
    if listing is None:
        raise NotFound("no such listing")
    return listing


async def _respond_form(
    request: Request,
    listing: Listing,
    *,
    status_code: int = 200,
    content: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    inst: Instance = request.state.instance
    return await render(
        request,
        "respond.html",
        status_code=status_code,
        listing=listing,
        author=await describe(inst, listing.author),
        action=respond_url(inst, listing),
        content=content,
        errors=errors or {},
    )


async def respond_form(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    listing = await _listing(request)
    await answering.answerable(inst, member, listing.id)
    return await _respond_form(request, listing)


async def respond(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    listing = await _listing(request)
    text = str(form.get("content", ""))
    try:
        found = await answering.answer_listing(inst, member, listing.id, text_html(text))
    except Invalid as e:
        return await _respond_form(
            request, listing, status_code=400, content=text, errors=field_errors(e, "content")
        )
    return see_other(conversation_url(found.id) + "#latest")


routes: list[BaseRoute] = [
    Route("/conversations", inbox),
    Route("/conversations/new", respond_form),
    Route("/conversations/new", respond, methods=["POST"]),
    Route("/conversations/{id:int}", conversation),
    Route("/conversations/{id:int}", reply, methods=["POST"]),
    Route("/listings/{uuid}/respond", respond_form),
    Route("/listings/{uuid}/respond", respond, methods=["POST"]),
]
