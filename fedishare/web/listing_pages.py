"""A listing's page (and its ActivityStreams document at the same URL), the forms that post
and edit listings, and the author's actions.

GET  /listings/ID                 the page to browsers (Accept: text/html); the Note (410:
                                  its Tombstone) to servers and any other client
GET  /listings/new?purpose=P      the form for an offer, a request or a stay
POST /listings/new?purpose=P      post it (multipart: the fields, up to four photos)
GET  /listings/ID/edit            the author's form for the listing
POST /listings/ID/edit
POST /listings/ID/status          the author's status change: status (open, reserved,
                                  taken, received, withdrawn) and reserved_for
POST /listings/ID/delete          the author deletes it

Everything a form posts goes to the services that apps use (`fedishare.listings.service`
for the listing, `fedishare.listings.client_posts` for status changes and deletion, which
also tells the other responders when a listing has gone). Answering a listing is
fedishare/web/conversation_pages.py's (/listings/ID/respond).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedishare.accounts import profiles
from fedishare.context import Instance
from fedishare.core.errors import Forbidden, Gone, Invalid, NotFound, Refusal
from fedishare.core.listing import Listing
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.http.errors import status_of
from fedishare.http.responses import ActivityJSONResponse
from fedishare.http.signed_fetch import (
    blocked_by_author,
    check_fetch,
    reads_followers_only,
)
from fedishare.listings import service
from fedishare.listings.audience import may_see
from fedishare.listings.client_posts import post_listing_activity
from fedishare.listings.lifecycle import check_editable
from fedishare.media.uploads import size_text
from fedishare.storage import conversations as conversation_store
from fedishare.storage import listings as store
from fedishare.storage.actors import LocalActor
from fedishare.web import listing_form as forms
from fedishare.web import listing_view, photos
from fedishare.web.error_pages import wants_html
from fedishare.web.form_uploads import posted_photos, read_form
from fedishare.web.listing_form import PagePurpose, Slot
from fedishare.web.pages import render, see_other
from fedishare.web.people import describe
from fedishare.web.session import check_csrf, current_member, require_member

_VARY = {"Vary": "Accept"}


def listing_id(inst: Instance, uuid: str) -> str:
    return f"{inst.urls.base}/listings/{uuid}"


def page_path(listing: Listing) -> str:
    """Our listing's page as a path (it works under any address the site is reached at)."""
    return "/listings/" + listing.id.rsplit("/", 1)[1]


# The listing at its id


async def listing(request: Request) -> Response:
    """The page to browsers (they ask for text/html first); the document to everything else.
    Unlike actors, a listing was served as JSON to any client before it had a page, so an
    app or script that sends no Accept header keeps getting the JSON."""
    inst: Instance = request.state.instance
    found_id = listing_id(inst, request.path_params["uuid"])
    if wants_html(request):
        response = await _page(request, inst, found_id)
    else:
        response = await _document(request, inst, found_id)
    response.headers.update(_VARY)
    return response


async def _document(request: Request, inst: Instance, found_id: str) -> Response:
    """One of our listings as its Note; a deleted one answers 410 with its Tombstone. In
    secure mode only to signed requests; a followers-only listing only to servers hosting
    one of the author's followers, and 404 to anyone else (see fedishare.http.signed_fetch)."""
    fetcher = await check_fetch(request)
    stored = await store.get_document(inst.db, found_id)
    if stored is None:
        raise NotFound("no such listing")
    document, deleted = stored
    if deleted:
        return ActivityJSONResponse(document, status_code=410)
    found = await store.get(inst.db, document["id"])
    if (
        found is None
        or not found.is_local
        or await blocked_by_author(request, fetcher, found.author)
    ):
        raise NotFound("no such listing")
    if found.visibility == "followers" and not await reads_followers_only(request, found.author):
        raise NotFound("no such listing")
    return ActivityJSONResponse(document)


async def _page(request: Request, inst: Instance, found_id: str) -> Response:
    stored = await store.get_document(inst.db, found_id)
    if stored is not None and stored[1]:
        raise Gone("this listing was deleted")
    found = await store.get(inst.db, found_id)
    if found is None or not found.is_local:
        raise NotFound("no such listing")
    member = await current_member(request)
    me = None if member is None else actor_id(inst.urls, member)
    is_author = me == found.author
    if not await may_see(inst.db, me, found):
        raise NotFound("no such listing")
    path = page_path(found)
    context = listing_view.shown(found, inst.clock()) | {
        "author": await describe(inst, found.author),
        "is_author": is_author,
        "own_conversation": None,
        "respond_url": f"{path}/respond",
        "status_url": f"{path}/status",
        "edit_url": f"{path}/edit",
        "delete_url": f"{path}/delete",
    }
    if member is not None and is_author:
        context |= await listing_view.responses(inst, member, found)
    elif me is not None:
        mine = await conversation_store.find_conversation(inst.db, found.id, me)
        context["own_conversation"] = None if mine is None else f"/conversations/{mine.id}"
    return await render(request, "listing.html", **context)


# The author's actions


async def _authored(request: Request, inst: Instance, member: LocalActor) -> Listing:
    """The listing of the path, which `member` must have written (the services check it
    again on every change; this decides what a page shows)."""
    found = await store.get(inst.db, listing_id(inst, request.path_params["uuid"]))
    if found is None or not found.is_local:
        raise NotFound("no such listing")
    if found.author != actor_id(inst.urls, member):
        raise Forbidden("only the author can change a listing")
    return found


async def change_status(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    found = await _authored(request, inst, member)
    # The API's own checks say what is wrong with a status (one source of truth).
    change: JSON = {"id": found.id, "listingStatus": form.get("status")}
    who = form.get("reserved_for")
    if isinstance(who, str) and who:
        change["reservedFor"] = who
    await post_listing_activity(inst, member, {"type": "Update", "object": change})
    return see_other(page_path(found))


async def delete(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    found = await _authored(request, inst, member)
    await post_listing_activity(inst, member, {"type": "Delete", "object": found.id})
    return see_other(f"/users/{member.username}")


# Posting and editing


async def new_listing(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    chosen = forms.chosen_purpose(request.query_params.get("purpose"))
    if chosen is None:
        return await render(request, "listing_choose.html")
    if request.method == "GET":
        values = forms.blank_values(chosen, profiles.default_place(member))
        return await _form(request, inst, chosen, values, forms.fill_slots([]))
    async with read_form(request, inst) as form:
        await check_csrf(request, form)
        values = forms.posted_values(form)
        slots, images, refusal = await posted_photos(inst, member, form)
    if refusal is None:
        try:
            change = await service.create_listing(
                inst, member, forms.draft(values, chosen, images, None)
            )
        except Invalid as exc:
            refusal = exc
        else:
            return see_other(page_path(change.listing))
    return await _form(request, inst, chosen, values, slots, refusal)


async def edit_listing(request: Request) -> Response:
    inst: Instance = request.state.instance
    member = await require_member(request)
    found = await _authored(request, inst, member)
    check_editable(found)  # the service's rule, asked before the form is shown
    purpose = forms.page_purpose(found)
    if request.method == "GET":
        values = forms.listing_values(found)
        return await _form(request, inst, purpose, values, forms.listing_slots(found), None, found)
    async with read_form(request, inst) as form:
        await check_csrf(request, form)
        values = forms.posted_values(form)
        slots, images, refusal = await posted_photos(inst, member, form)
    if refusal is None:
        try:
            await service.edit_listing(
                inst, member, found.id, forms.draft(values, purpose, images, found)
            )
        except Invalid as exc:
            refusal = exc
        else:
            return see_other(page_path(found))
    return await _form(request, inst, purpose, values, slots, refusal, found)


async def _form(
    request: Request,
    inst: Instance,
    purpose: PagePurpose,
    values: dict[str, str],
    slots: list[Slot],
    refusal: Refusal | None = None,
    editing: Listing | None = None,
) -> Response:
    errors: dict[str, str] = {}
    if refusal is not None:
        field, message = forms.field_error(refusal.reason)
        errors[field] = message
    slots = [Slot(s.number, s.image, s.alt, errors.get(f"photo_{s.number}")) for s in slots]
    if editing is None:
        action = f"/listings/new?purpose={purpose}"
    else:
        action = page_path(editing) + "/edit"
    return await render(
        request,
        "listing_form.html",
        status_code=200 if refusal is None else status_of(refusal),
        purpose=purpose,
        kinds=forms.KINDS[purpose],
        values=values,
        errors=errors,
        slots=slots,
        action=action,
        editing=editing,
        cancel=page_path(editing) if editing is not None else "/board",
        max_upload=size_text(inst.config.limits.max_upload_bytes),
    )


routes: list[BaseRoute] = [
    *photos.routes,
    Route("/listings/new", new_listing, methods=["GET", "POST"]),
    Route("/listings/{uuid}", listing),
    Route("/listings/{uuid}/edit", edit_listing, methods=["GET", "POST"]),
    Route("/listings/{uuid}/status", change_status, methods=["POST"]),
    Route("/listings/{uuid}/delete", delete, methods=["POST"]),
]
