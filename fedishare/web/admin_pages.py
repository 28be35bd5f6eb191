"""Admin pages: sign-up requests, members, listings, invites and blocked domains (reports are
fedishare.web.admin_reports). Every page and action is for admins only (`require_admin`)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedishare.accounts import registration
from fedishare.accounts.members import AccountError, set_member_disabled
from fedishare.core.errors import Conflict, Forbidden, Invalid, NotFound
from fedishare.core.listing import VISIBILITIES
from fedishare.http.requests import instance_of
from fedishare.listings.service import remove_listing
from fedishare.moderation import domain_blocks, reports
from fedishare.storage import actors as actor_store
from fedishare.storage import deliveries as delivery_store
from fedishare.storage import signups, stats
from fedishare.storage.listing_search import Query, search
from fedishare.web.form_fields import field_errors, text
from fedishare.web.pages import render, see_other
from fedishare.web.session import check_csrf, require_admin
from fedishare.web.times import when

LISTINGS_PAGE = 30


async def overview(request: Request) -> Response:
    await require_admin(request)
    inst = instance_of(request)
    counts = await stats.usage(inst.db, inst.clock())
    return await render(
        request,
        "admin.html",
        pending=await signups.count_pending(inst.db),
        policy=inst.config.registration,
        members=counts.members,
        listings=counts.local_listings,
        invites=len(await registration.outstanding_invites(inst)),
        reports=await reports.open_count(inst),  # the page is fedishare.web.admin_reports
    )


# --- sign-up requests -------------------------------------------------------------------------


async def requests_page(request: Request) -> Response:
    await require_admin(request)
    inst = instance_of(request)
    waiting = [
        {
            "id": r.id,
            "username": r.username,
            "created": when(r.created_at),
            "reason": [p for p in r.reason.split("\n\n") if p.strip()],
        }
        for r in await registration.pending_requests(inst)
    ]
    return await render(
        request,
        "admin_requests.html",
        requests=waiting,
        policy=inst.config.registration,
        notice=request.query_params.get("notice", ""),
    )


async def decide_request(request: Request) -> Response:
    await require_admin(request)
    await check_csrf(request, await request.form())
    inst = instance_of(request)
    request_id: int = request.path_params["id"]
    decision = request.path_params["decision"]
    if decision == "approve":
        await registration.approve(inst, request_id)
    elif decision == "refuse":
        await registration.refuse(inst, request_id)
    else:
        raise NotFound("no such page")
    return see_other(f"/admin/requests?notice={decision}d")


# --- members ----------------------------------------------------------------------------------


async def members_page(request: Request) -> Response:
    admin = await require_admin(request)
    inst = instance_of(request)
    people = [
        {
            "username": m.username,
            "display_name": m.display_name,
            "joined": m.created_at[:10],
            "admin": m.is_admin,
            "disabled": m.disabled,
            "deleted": m.is_deleted,
            "self": m.id == admin.id,
        }
        for m in await actor_store.list_members(inst.db)
    ]
    return await render(
        request, "admin_members.html", people=people, notice=request.query_params.get("notice", "")
    )


async def set_member_state(request: Request) -> Response:
    admin = await require_admin(request)
    await check_csrf(request, await request.form())
    username, change = request.path_params["username"], request.path_params["change"]
    if change not in ("disable", "enable"):
        raise NotFound("no such page")
    disable = change == "disable"
    if disable and username.lower() == admin.username.lower():
        raise Forbidden("you cannot disable your own account")
    try:
        await set_member_disabled(instance_of(request).db, username, disable)
    except AccountError as e:
        raise Conflict(str(e)) from None
    return see_other(f"/admin/members?notice={change}d")


# --- listings ---------------------------------------------------------------------------------


async def listings_page(request: Request) -> Response:
    await require_admin(request)
    inst = instance_of(request)
    words = request.query_params.get("q", "")[:200]
    try:
        offset = max(0, int(request.query_params.get("offset", "0")))
    except ValueError:
        offset = 0
    query = Query(
        origin="local",
        statuses=(),
        visibilities=VISIBILITIES,
        words=words,
        order="newest",
        limit=LISTINGS_PAGE,
        offset=offset,
    )
    hits = await search(inst.db, query)
    prefix = inst.urls.actor("")
    listings = [
        {
            "id": h.listing.id,
            "title": h.listing.title,
            "kind": h.listing.kind,
            "status": h.listing.status,
            "author": h.listing.author,
            "author_name": "@" + h.listing.author.removeprefix(prefix),
            "published": h.listing.published.strftime("%Y-%m-%d"),
        }
        for h in hits
    ]
    more = ""
    if len(hits) == LISTINGS_PAGE:
        more = "/admin/listings?" + urlencode({"q": words, "offset": offset + LISTINGS_PAGE})
    return await render(
        request,
        "admin_listings.html",
        listings=listings,
        words=words,
        more=more,
        notice=request.query_params.get("notice", ""),
    )


async def remove(request: Request) -> Response:
    admin = await require_admin(request)
    form = await request.form()
    await check_csrf(request, form)
    await remove_listing(instance_of(request), admin, text(form, "id"))
    return see_other("/admin/listings?notice=removed")


# --- invites ----------------------------------------------------------------------------------


async def _invites(request: Request, link: str = "") -> Response:
    inst = instance_of(request)
    by_id = {m.id: m.username for m in await actor_store.list_members(inst.db)}
    invites = [
        {
            "role": i.role,
            "created": when(i.created_at),
            "expires": when(i.expires_at),
            "by": "@" + by_id[i.created_by] if i.created_by in by_id else "fedishare",
        }
        for i in await registration.outstanding_invites(inst)
    ]
    return await render(
        request,
        "admin_invites.html",
        invites=invites,
        link=link,
        days=registration.INVITE_DAYS,
    )


async def invites_page(request: Request) -> Response:
    await require_admin(request)
    return await _invites(request)


async def make_invite(request: Request) -> Response:
    admin = await require_admin(request)
    form = await request.form()
    await check_csrf(request, form)
    inst = instance_of(request)
    code = await registration.make_invite(inst, admin, text(form, "role") or "member")
    # Answered with the page itself rather than a redirect: only a hash of the code is
    # kept, so this is the one response that can show the link.
    return await _invites(request, registration.invite_url(inst, code))


# --- domains ---------------------------------------------------------------------------------


async def _domains(
    request: Request,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    inst = instance_of(request)
    by_id = {m.id: m.username for m in await actor_store.list_members(inst.db)}
    blocks = [
        {
            "domain": b.domain,
            "severity": b.severity,  # suspend or silence (fedishare.web.admin_moderation)
            "reason": b.reason,
            "created": when(b.created_at),
            "by": "@" + by_id[b.created_by] if b.created_by in by_id else "",
        }
        for b in await domain_blocks.blocks(inst)
    ]
    federation = inst.config.federation
    now = inst.clock().timestamp()
    failing = [
        {
            "host": h["host"],
            "failures": h["failures"],
            "since": when(h["failing_since"]) if h["failing_since"] else "",
            "until": when(h["paused_until"]) if h["paused_until"] > now else "",
            "error": h["last_error"] or "",
        }
        for h in await delivery_store.failing_hosts(inst.db)
    ]
    return await render(
        request,
        "admin_domains.html",
        status_code=status,
        blocks=blocks,
        failing=failing,
        configured=federation.block,
        allowed=federation.allow,
        errors=errors or {},
        values=values or {},
        notice=request.query_params.get("notice", ""),
    )


async def domains_page(request: Request) -> Response:
    await require_admin(request)
    return await _domains(request)


async def block_domain(request: Request) -> Response:
    admin = await require_admin(request)
    form = await request.form()
    await check_csrf(request, form)
    values = {
        "domain": text(form, "domain"),
        "reason": text(form, "reason"),
        "severity": text(form, "severity") or "suspend",
    }
    try:
        await domain_blocks.block(
            instance_of(request), values["domain"], values["reason"], admin, values["severity"]
        )
    except Invalid as e:
        return await _domains(request, status=400, errors=field_errors(e), values=values)
    notice = "silenced" if values["severity"] == "silence" else "blocked"
    return see_other(f"/admin/domains?notice={notice}")


async def unblock_domain(request: Request) -> Response:
    await require_admin(request)
    form = await request.form()
    await check_csrf(request, form)
    await domain_blocks.unblock(instance_of(request), text(form, "domain"))
    return see_other("/admin/domains?notice=unblocked")


routes: list[BaseRoute] = [
    Route("/admin", overview, methods=["GET"]),
    Route("/admin/requests", requests_page, methods=["GET"]),
    Route("/admin/requests/{id:int}/{decision:str}", decide_request, methods=["POST"]),
    Route("/admin/members", members_page, methods=["GET"]),
    Route("/admin/members/{username}/{change}", set_member_state, methods=["POST"]),
    Route("/admin/listings", listings_page, methods=["GET"]),
    Route("/admin/listings/remove", remove, methods=["POST"]),
    Route("/admin/invites", invites_page, methods=["GET"]),
    Route("/admin/invites", make_invite, methods=["POST"]),
    Route("/admin/domains", domains_page, methods=["GET"]),
    Route("/admin/domains", block_domain, methods=["POST"]),
    Route("/admin/domains/unblock", unblock_domain, methods=["POST"]),
]
