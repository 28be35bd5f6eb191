"""Reporting from the board: a member tells the admins about a listing (ours or another
server's) or an account.

GET  /report?listing=ID     the form for a listing the member can see
GET  /report?account=ID     the form for an account (ours, or one this server knows)
POST /report                listing or account, comment, category, rule_ids, forward
GET  /report/sent           what happens next

`fedishare.moderation.reports` does the rest (the same as POST /api/v1/reports): a report of
another server's account goes there too, from this server's actor, when `forward` is ticked.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none
from fedishare.core.errors import NotFound, Refusal
from fedishare.http.errors import status_of
from fedishare.moderation import reports
from fedishare.statuses.visibility import visible_rows
from fedishare.storage import listings, remote_actors, statuses
from fedishare.storage.actors import LocalActor
from fedishare.storage.statuses import StatusRow
from fedishare.web.form_fields import field_errors, text
from fedishare.web.pages import render, see_other
from fedishare.web.people import describe
from fedishare.web.session import check_csrf, require_member

CHOICES = ("spam", "legal", "other")  # `violation` is chosen by ticking rules


class _Subject:
    """What the form reports: an account, and the listing of theirs when it is one."""

    def __init__(self, target: str, posts: list[StatusRow], title: str, field: str) -> None:
        self.target = target
        self.posts = posts
        self.title = title
        self.field = field  # "listing" or "account": the form's hidden field
        self.value = posts[0].uri if posts else target


async def _subject(inst: Instance, member: LocalActor, field: str, value: str) -> _Subject:
    if field == "listing":
        listing = await listings.get(inst.db, value)
        row = await statuses.by_uri(inst.db, value)
        if listing is None or row is None or not await visible_rows(inst, member, [row]):
            raise NotFound("no such listing")
        return _Subject(listing.author, [row], listing.title, field)
    if field == "account":
        local = await local_actor_for(inst, value)
        known = local is not None and local.kind != "application"
        if not known and await remote_actors.get(inst.db, value) is None:
            raise NotFound("no such account")
        return _Subject(value, [], "", field)
    raise NotFound("say which listing or account to report")


def _asked(params: Any) -> tuple[str, str]:
    for field in ("listing", "account"):
        value = params.get(field)
        if isinstance(value, str) and value:
            return field, value
    return "", ""


async def _page(
    request: Request,
    subject: _Subject,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    inst: Instance = request.state.instance
    person = await describe(inst, subject.target)
    remote = not inst.urls.is_ours(subject.target)
    return await render(
        request,
        "report.html",
        status_code=status,
        subject=subject,
        person=person,
        host=host_or_none(subject.target) if remote else None,
        rules=list(enumerate(inst.config.community.rules, start=1)),
        choices=CHOICES,
        most=reports.MAX_COMMENT,
        values=values or {"category": "other", "rule_ids": []},
        errors=errors or {},
    )


async def report_form(request: Request) -> Response:
    member = await require_member(request)
    inst: Instance = request.state.instance
    field, value = _asked(request.query_params)
    return await _page(request, await _subject(inst, member, field, value))


async def submit(request: Request) -> Response:
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    inst: Instance = request.state.instance
    subject = await _subject(inst, member, *_asked(form))
    values = _values(form)
    try:
        await reports.file_report(
            inst,
            member,
            subject.target,
            subject.posts,
            comment=values["comment"],
            category=values["category"],
            rule_ids=values["rule_ids"],
            forward=values["forward"],
        )
    except Refusal as e:
        return await _page(
            request, subject, status=status_of(e), values=values, errors=field_errors(e)
        )
    return see_other("/report/sent")


def _values(form: FormData) -> dict[str, Any]:
    return {
        "comment": text(form, "comment"),
        "category": text(form, "category") or "other",
        "rule_ids": [r for r in form.getlist("rule_ids") if isinstance(r, str)],
        "forward": text(form, "forward") == "on",
    }


async def sent(request: Request) -> Response:
    await require_member(request)
    return await render(request, "report_sent.html")


routes: list[BaseRoute] = [
    Route("/report", report_form, methods=["GET"]),
    Route("/report", submit, methods=["POST"]),
    Route("/report/sent", sent, methods=["GET"]),
]
