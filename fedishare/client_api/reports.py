"""POST /api/v1/reports: a member reports an account, and some of its statuses, to the admins
(and, with `forward`, to the account's server). Answered with Mastodon's Report entity.

Parameters as Mastodon takes them: `account_id` (required), `status_ids[]`, `comment` (at
most 1000 characters), `forward`, `category` (spam, legal, violation, other) and `rule_ids[]`
(the community's rules, numbered as /api/v1/instance/rules has them). Mastodon.py posts to
`/api/v1/reports/`, with the trailing slash, which is answered the same. Statuses that the
member cannot see, or that are not the account's, are answered 404 as Mastodon does.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.client_api.auth import require_member
from fedishare.client_api.entities.account import account_uri, render_account
from fedishare.client_api.entities.times import mastodon_time
from fedishare.client_api.params import read_params
from fedishare.context import Instance
from fedishare.core.errors import Invalid, NotFound, Unprocessable
from fedishare.core.ids import parse_id
from fedishare.core.types import JSON
from fedishare.http.requests import instance_of
from fedishare.moderation import reports
from fedishare.statuses.visibility import visible_rows
from fedishare.storage import reports as report_store
from fedishare.storage import statuses
from fedishare.storage.actors import LocalActor
from fedishare.storage.reports import Report
from fedishare.storage.statuses import StatusRow

RECORD_NOT_FOUND = "Record not found"


async def create(request: Request) -> Response:
    member = await require_member(request, "write:reports")
    inst = instance_of(request)
    async with read_params(request) as p:
        target = await account_uri(inst, p.text("account_id") or "")
        status_ids = p.ids("status_ids", reports.MOST_POSTS + 1)
        comment = p.text("comment") or ""
        category = p.text("category") or "other"
        rule_ids = p.texts("rule_ids")
        forward = p.flag("forward") or bool(p.texts("forward_to_domains"))
    if target is None:
        raise NotFound(RECORD_NOT_FOUND)
    posts = await _posts(inst, member, status_ids)
    try:
        report = await reports.file_report(
            inst,
            member,
            target,
            posts,
            comment=comment,
            category=category,
            rule_ids=rule_ids,
            forward=forward,
        )
    except Invalid as e:  # Mastodon answers a failed validation 422
        raise Unprocessable(e.reason) from None
    return JSONResponse(await render_report(inst, report))


async def _posts(inst: Instance, member: LocalActor, ids: list[str]) -> list[StatusRow]:
    """The statuses of `ids`, each one the member can see; 404 for any other."""
    numbers = [parse_id(i) for i in ids]
    if any(n is None for n in numbers):
        raise NotFound(RECORD_NOT_FOUND)
    found = await statuses.get_many(inst.db, [n for n in numbers if n is not None])
    rows = [found[n] for n in numbers if n is not None and n in found]
    if len(rows) != len(numbers):
        raise NotFound(RECORD_NOT_FOUND)
    if len(await visible_rows(inst, member, rows)) != len(rows):
        raise NotFound(RECORD_NOT_FOUND)
    return rows


async def render_report(inst: Instance, report: Report) -> JSON:
    """Mastodon's Report entity: the reported account, the statuses attached (those still
    in the index), and whether it was forwarded and resolved."""
    posts = (await report_store.posts_of(inst.db, [report.id]))[report.id]
    resolved = report.resolved_at
    return {
        "id": str(report.id),
        "action_taken": resolved is not None,
        "action_taken_at": None if resolved is None else mastodon_time(resolved),
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded,
        "created_at": mastodon_time(report.created_at),
        "status_ids": [str(p.status_id) for p in posts if p.status_id is not None],
        "rule_ids": report.rules or None,
        "collection_ids": [],
        "target_account": await render_account(inst, report.target),
    }


routes: list[BaseRoute] = [
    Route("/api/v1/reports", create, methods=["POST"]),
    Route("/api/v1/reports/", create, methods=["POST"]),
]
