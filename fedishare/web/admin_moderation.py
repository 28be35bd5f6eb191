"""Admin pages for moderation short of reports: changing a domain block's severity and
reason, importing a Mastodon domain blocklist (CSV) on the domains page (which
`fedishare.web.admin_pages` shows), blocking remote accounts, and suspending members.
Every page and action is for admins only (`require_admin`)."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedishare.accounts import suspension
from fedishare.core.errors import Invalid, TooLarge
from fedishare.http.bodies import bounded_form
from fedishare.http.requests import instance_of
from fedishare.listings.suspension import suspend
from fedishare.moderation import account_blocks, blocklist_import, domain_blocks
from fedishare.storage import actors as actor_store
from fedishare.web.admin_pages import _domains
from fedishare.web.form_fields import field_errors, text
from fedishare.web.pages import render, see_other
from fedishare.web.session import check_csrf, require_admin
from fedishare.web.times import when

_FORM_ROOM = 16_384  # the form's other fields beside the file


# --- domains ----------------------------------------------------------------------------------


async def change_domain(request: Request) -> Response:
    await require_admin(request)
    form = await request.form()
    await check_csrf(request, form)
    inst = instance_of(request)
    try:
        await domain_blocks.change(
            inst, text(form, "domain"), text(form, "severity"), text(form, "reason")
        )
    except Invalid as e:
        return await _domains(request, status=400, errors=field_errors(e))
    return see_other("/admin/domains?notice=changed")


async def import_domains(request: Request) -> Response:
    admin = await require_admin(request)
    limit = blocklist_import.MAX_BYTES + _FORM_ROOM
    refusal = TooLarge(f"file: at most {blocklist_import.MAX_BYTES // 1_000_000} MB")
    async with bounded_form(request, limit, refusal, max_files=1, max_fields=4) as form:
        await check_csrf(request, form)
        upload = form.get("file")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        if not data:
            raise Invalid("file: choose a CSV file exported from Mastodon")
        await blocklist_import.import_csv(instance_of(request), data, admin)
    except Invalid as e:
        return await _domains(request, status=400, errors=field_errors(e))
    return see_other("/admin/domains?notice=imported")


# --- remote accounts --------------------------------------------------------------------------


async def _accounts(
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
            "uri": b.uri,
            "reason": b.reason,
            "created": when(b.created_at),
            "by": "@" + by_id[b.created_by] if b.created_by in by_id else "",
        }
        for b in await account_blocks.blocks(inst)
    ]
    return await render(
        request,
        "admin_accounts.html",
        status_code=status,
        blocks=blocks,
        errors=errors or {},
        values=values or {},
        notice=request.query_params.get("notice", ""),
    )


async def accounts_page(request: Request) -> Response:
    await require_admin(request)
    return await _accounts(request)


async def block_account(request: Request) -> Response:
    admin = await require_admin(request)
    form = await request.form()
    await check_csrf(request, form)
    values = {"account": text(form, "account"), "reason": text(form, "reason")}
    try:
        await account_blocks.block(instance_of(request), values["account"], values["reason"], admin)
    except Invalid as e:
        return await _accounts(request, status=400, errors=field_errors(e), values=values)
    return see_other("/admin/accounts?notice=blocked")


async def unblock_account(request: Request) -> Response:
    await require_admin(request)
    form = await request.form()
    await check_csrf(request, form)
    await account_blocks.unblock(instance_of(request), text(form, "account"))
    return see_other("/admin/accounts?notice=unblocked")


# --- suspended members ------------------------------------------------------------------------


async def _suspensions(
    request: Request,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    inst = instance_of(request)
    by_id = {m.id: m.username for m in await actor_store.list_members(inst.db)}
    suspended = [
        {
            "username": member.username,
            "reason": entry.reason,
            "created": when(entry.created_at),
            "by": "@" + by_id[entry.created_by] if entry.created_by in by_id else "",
        }
        for member, entry in await suspension.suspensions(inst)
    ]
    return await render(
        request,
        "admin_suspensions.html",
        status_code=status,
        suspended=suspended,
        errors=errors or {},
        values=values or {},
        notice=request.query_params.get("notice", ""),
    )


async def suspensions_page(request: Request) -> Response:
    await require_admin(request)
    return await _suspensions(request)


async def suspend_member(request: Request) -> Response:
    admin = await require_admin(request)
    form = await request.form()
    await check_csrf(request, form)
    values = {
        "username": text(form, "username").strip().removeprefix("@"),
        "reason": text(form, "reason"),
    }
    if not values["username"]:
        errors = {"username": "required"}
        return await _suspensions(request, status=400, errors=errors, values=values)
    try:
        await suspend(instance_of(request), values["username"], values["reason"], admin)
    except Invalid as e:
        return await _suspensions(request, status=400, errors=field_errors(e), values=values)
    return see_other("/admin/suspensions?notice=suspended")


async def lift_suspension(request: Request) -> Response:
    await require_admin(request)
    form = await request.form()
    await check_csrf(request, form)
    await suspension.unsuspend(instance_of(request), text(form, "username"))
    return see_other("/admin/suspensions?notice=lifted")


routes: list[BaseRoute] = [
    Route("/admin/domains/change", change_domain, methods=["POST"]),
    Route("/admin/domains/import", import_domains, methods=["POST"]),
    Route("/admin/accounts", accounts_page, methods=["GET"]),
    Route("/admin/accounts", block_account, methods=["POST"]),
    Route("/admin/accounts/unblock", unblock_account, methods=["POST"]),
    Route("/admin/suspensions", suspensions_page, methods=["GET"]),
    Route("/admin/suspensions", suspend_member, methods=["POST"]),
    Route("/admin/suspensions/lift", lift_suspension, methods=["POST"]),
]
