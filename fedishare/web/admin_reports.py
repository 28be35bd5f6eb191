"""The admins' reports page: what members and other servers reported, open ones first in the
order they came, and the resolved ones apart.

GET  /admin/reports[?state=resolved]   each report: the account, the posts as they read
                                       when reported, the comment, who it came from
                                       (PAGE at a time, then &offset=N)
POST /admin/reports/ID/resolve         done with it (reopen: /admin/reports/ID/reopen)

What to do about a report is done with the other admin pages (a member suspended or
disabled, an account or a domain blocked); each report links to the ones that concern it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none
from fedishare.core.errors import NotFound
from fedishare.http.requests import instance_of
from fedishare.moderation import reports
from fedishare.storage import actors as actor_store
from fedishare.storage import reports as store
from fedishare.storage.reports import Report, ReportedPost
from fedishare.web.pages import render, see_other
from fedishare.web.people import describe
from fedishare.web.session import check_csrf, require_admin
from fedishare.web.times import moment

PAGE = 50


async def reports_page(request: Request) -> Response:
    await require_admin(request)
    inst = instance_of(request)
    resolved = request.query_params.get("state") == "resolved"
    try:
        offset = max(0, int(request.query_params.get("offset", "0")))
    except ValueError:
        offset = 0
    found = await store.listed(inst.db, resolved=resolved, limit=PAGE, offset=offset)
    more = ""
    if len(found) == PAGE:
        more = "/admin/reports?" + urlencode(
            {"state": "resolved" if resolved else "open", "offset": offset + PAGE}
        )
    posts = await store.posts_of(inst.db, [r.id for r in found])
    shown = [await _shown(inst, r, posts[r.id]) for r in found]
    return await render(
        request,
        "admin_reports.html",
        reports=shown,
        resolved=resolved,
        open_count=await reports.open_count(inst),
        ever=bool(found or offset or await store.listed(inst.db, resolved=not resolved, limit=1)),
        notice=request.query_params.get("notice", ""),
        more=more,
    )


async def _shown(inst: Instance, report: Report, posts: list[ReportedPost]) -> dict[str, Any]:
    target = await describe(inst, report.target)
    member = None
    if report.reporter_member_id is not None:
        member = await actor_store.find_by_id(inst.db, report.reporter_member_id)
    rules = inst.config.community.rules
    return {
        "id": report.id,
        "created": moment(report.created_at),
        "resolved": moment(report.resolved_at) if report.resolved_at else "",
        "target": target,
        "target_host": None if target.local else host_or_none(report.target),
        "target_name": inst.urls.username_of(report.target) if target.local else None,
        "by_member": None if member is None else member.username,
        "reporter": report.reporter,
        "reporter_host": None if report.is_local else host_or_none(report.reporter),
        "comment": [p for p in report.comment.split("\n\n") if p.strip()],
        "category": report.category,
        "rules": [rules[int(n) - 1] for n in report.rules if 0 < int(n) <= len(rules)],
        "forwarded": report.forwarded,
        "posts": [
            {
                "href": _href(inst, p.uri),
                "title": p.title,
                "text": [t for t in p.text.split("\n\n") if t.strip()],
            }
            for p in posts
        ],
    }


def _href(inst: Instance, uri: str) -> str:
    """Where an admin reads a post: our page of it (a path) or its own address."""
    return uri.removeprefix(inst.urls.base) if inst.urls.is_ours(uri) else uri


async def decide(request: Request) -> Response:
    admin = await require_admin(request)
    await check_csrf(request, await request.form())
    inst = instance_of(request)
    report_id: int = request.path_params["id"]
    decision = request.path_params["decision"]
    if decision == "resolve":
        await reports.resolve(inst, report_id, admin)
    elif decision == "reopen":
        await reports.reopen(inst, report_id)
    else:
        raise NotFound("no such page")
    return see_other(f"/admin/reports?notice={decision}")


routes: list[BaseRoute] = [
    Route("/admin/reports", reports_page, methods=["GET"]),
    Route("/admin/reports/{id:int}/{decision:str}", decide, methods=["POST"]),
]
