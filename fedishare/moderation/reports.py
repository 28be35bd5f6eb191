"""Reports: a member tells the admins about an account and some of its posts, or another
server does so with a Flag; admins read them and resolve them.

As on Mastodon, a report about another server's account can be forwarded there, as a Flag
from our instance actor (the member who reported is not named), with the reported posts'
ids attached; it goes through the delivery queue, in the transaction that stores the report.
A Flag received names posts and accounts of ours: one report per account named (or whose
post is named), with the other server's actor as the reporter. Each report keeps a copy of
what its posts said, so that admins see what was reported even after a post is deleted.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

import nh3

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none, iso
from fedishare.core.errors import Invalid, NotFound, Unprocessable
from fedishare.federation import activities
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.publish import queue_publication
from fedishare.storage import actors as actor_store
from fedishare.storage import listings, objects
from fedishare.storage import reports as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.reports import NewReport, Report, ReportedPost
from fedishare.storage.statuses import StatusRow

log = logging.getLogger(__name__)

MAX_COMMENT = 1000  # Mastodon's default limit on a report's comment
MAX_RECEIVED_COMMENT = 5000  # other servers may allow more: kept, cut here
MOST_POSTS = 40  # posts attached to one report (Mastodon's longest page of statuses)
CATEGORIES = ("spam", "legal", "violation", "other")


async def file_report(
    inst: Instance,
    member: LocalActor,
    target: str,
    posts: Sequence[StatusRow],
    *,
    comment: str = "",
    category: str = "other",
    rule_ids: Sequence[str] = (),
    forward: bool = False,
) -> Report:
    """A member's report of the account `target` and its `posts` (which the member can
    see: the caller checks). Forwarded to the account's server when it is another's and
    `forward` is asked. Invalid names the field at fault."""
    comment, category, rules = _checked(inst, comment, category, rule_ids)
    _check_subject(inst, member, target, posts)
    copies = await _copies(inst, posts)
    inbox = await _forward_inbox(inst, target) if forward else None
    sender = None if inbox is None else await _instance_actor(inst)
    flag = None
    if inbox is not None:
        flag = activities.flag(
            inst.urls.base, inst.urls.instance_actor, [target, *(p.uri for p in posts)], comment
        )
    report = NewReport(
        activity_id=None if flag is None else str(flag["id"]),
        reporter=actor_id(inst.urls, member),
        reporter_member_id=member.id,
        target=target,
        comment=comment,
        category=category,
        rule_ids=",".join(rules),
        forwarded=flag is not None,
        created_at=iso(inst.clock()),
    )
    async with inst.db.transaction() as tx:
        report_id = await store.insert(tx, report, copies)
        if flag is not None and sender is not None and inbox is not None:
            await queue_publication(tx, inst, sender, flag, [inbox])
        found = None if report_id is None else await store.get(tx, report_id)
    if flag is not None:
        inst.wake_delivery.set()
    if found is None:  # cannot be: a report made here has no activity to clash on
        raise RuntimeError("the report was not stored")
    return found


def _checked(
    inst: Instance, comment: str, category: str, rule_ids: Sequence[str]
) -> tuple[str, str, list[str]]:
    """The comment, category and rules cited, as kept; Invalid naming the field at fault."""
    comment = _lines(comment)
    if len(comment) > MAX_COMMENT:
        raise Invalid(f"comment: at most {MAX_COMMENT} characters")
    if category not in CATEGORIES:
        raise Invalid(f"category: one of {', '.join(CATEGORIES)}")
    rules = _rules(inst, rule_ids)
    if rules:
        category = "violation"  # as Mastodon: citing rules makes it a violation
    return comment, category, rules


def _check_subject(
    inst: Instance, member: LocalActor, target: str, posts: Sequence[StatusRow]
) -> None:
    if target == actor_id(inst.urls, member):
        raise Unprocessable("account_id: you cannot report yourself")
    if target == inst.urls.instance_actor:
        raise Unprocessable("account_id: this server's own actor cannot be reported")
    if len(posts) > MOST_POSTS:
        raise Invalid(f"status_ids: at most {MOST_POSTS} posts")
    for row in posts:
        if row.author != target:
            raise Invalid(f"status_ids: {row.id} is not a post of the reported account")


async def receive_flag(
    inst: Instance,
    reporter: str,
    activity_id: str,
    target: str,
    posts: Sequence[StatusRow],
    comment: str,
) -> int | None:
    """Store another server's report of our `target` and its `posts`; None if this Flag's
    report of `target` is stored already."""
    report = NewReport(
        activity_id=activity_id,
        reporter=reporter,
        reporter_member_id=None,
        target=target,
        comment=_lines(comment)[:MAX_RECEIVED_COMMENT],
        category="other",
        rule_ids="",
        forwarded=False,
        created_at=iso(inst.clock()),
    )
    copies = await _copies(inst, posts[:MOST_POSTS])
    async with inst.db.transaction() as tx:
        return await store.insert(tx, report, copies)


async def resolve(inst: Instance, report_id: int, admin: LocalActor) -> None:
    async with inst.db.transaction() as tx:
        if not await store.set_resolved(tx, report_id, iso(inst.clock()), admin.id):
            raise NotFound("no such report")


async def reopen(inst: Instance, report_id: int) -> None:
    async with inst.db.transaction() as tx:
        if not await store.set_resolved(tx, report_id, None, None):
            raise NotFound("no such report")


async def open_count(inst: Instance) -> int:
    return await store.count_open(inst.db)


def _lines(text: str) -> str:
    """Text with its line breaks as "\n" (browsers send "\r\n"), trimmed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _rules(inst: Instance, rule_ids: Sequence[str]) -> list[str]:
    """The cited rules' ids (as /api/v1/instance numbers them, from 1), each once."""
    known = {str(n) for n in range(1, len(inst.config.community.rules) + 1)}
    cited = list(dict.fromkeys(str(r).strip() for r in rule_ids if str(r).strip()))
    for rule in cited:
        if rule not in known:
            raise Invalid(f"rule_ids: this server has no rule {rule[:20]}")
    return cited


async def _forward_inbox(inst: Instance, target: str) -> str | None:
    """Where a forwarded report of `target` goes: its server's shared inbox (else its own);
    None for our own accounts, a server we do not federate with, or one not reachable."""
    host = host_or_none(target)
    if inst.urls.is_ours(target) or host is None or not inst.domains.permits(host):
        return None
    try:
        actor = await get_remote_actor(inst, target)
    except FetchError as e:
        log.info("report of %s kept here, not forwarded: %s", target, e)
        return None
    return actor.delivery_inbox


async def _instance_actor(inst: Instance) -> LocalActor:
    actor = await actor_store.find_by_kind(inst.db, "application")
    if actor is None:
        raise RuntimeError("the instance actor is missing")
    return actor


async def _copies(inst: Instance, posts: Sequence[StatusRow]) -> list[ReportedPost]:
    """What each post says now: a listing's title and description, a note's text."""
    copies = []
    for row in posts:
        title, text = "", ""
        if row.kind == "listing":
            listing = await listings.get(inst.db, row.uri)
            if listing is not None:
                title, text = listing.title, listing.description
        else:
            stored = await objects.get(inst.db, row.uri)
            if stored is not None:
                text = plain_text(stored.document.get("content"))
        copies.append(ReportedPost(row.uri, row.id, title, text))
    return copies


def plain_text(content: object) -> str:
    """The text of (sanitized) HTML content, for admins to read: tags dropped, a line break
    for each paragraph and <br>."""
    if not isinstance(content, str):
        return ""
    broken = content.replace("</p>", "\n").replace("<br>", "\n").replace("<br/>", "\n")
    return html.unescape(nh3.clean(broken, tags=set())).strip()
