"""Flag: another server reports accounts and posts of ours to our admins (Mastodon sends one
from its instance actor when a member there forwards a report). The objects that are ours
become one report per account: each account named, and the author of each post named. Objects
that are not ours are ignored; a Flag with none of ours changes nothing.

One Flag makes at most `MOST_TARGETS` reports (the first accounts it names): a real report is
about one account, or a few; a Flag naming dozens would only flood the admins' queue. (How
many Flags a server may send is the inbox's per-host rate limit.) Flags from the domains
of `[federation] reject_reports` are dropped, with a log line."""

from __future__ import annotations

import logging

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none, ids_of
from fedishare.core.domain_policy import within
from fedishare.federation.actor_document import actor_id
from fedishare.inbox.item import InboxItem
from fedishare.moderation import reports
from fedishare.storage import statuses
from fedishare.storage.statuses import StatusRow

MOST_OBJECTS = 200  # a report names an account and some of its posts; more is not read
MOST_TARGETS = 5  # reports one Flag may make (one per account of ours it names)

log = logging.getLogger(__name__)


async def on_flag(inst: Instance, item: InboxItem) -> None:
    activity = item.activity
    host = host_or_none(item.actor) or ""
    refused = next((d for d in inst.config.federation.reject_reports if within(host, d)), None)
    if refused is not None:
        log.info(
            "Flag %s from %s dropped: [federation] reject_reports lists %s",
            activity.get("id"),
            item.actor,
            refused,
        )
        return
    named = [u for u in ids_of(activity.get("object")) if inst.urls.is_ours(u)][:MOST_OBJECTS]
    if not named:
        return
    posts: dict[str, list[StatusRow]] = {}
    found = await statuses.by_uris(inst.db, named)
    for row in (found[u] for u in named if u in found):
        if row.local_actor_id is not None and row.kind != "reblog":
            posts.setdefault(row.author, []).append(row)
    targets = list(posts)
    for uri in named:
        actor = await local_actor_for(inst, uri)
        if actor is not None and actor.kind != "application" and not actor.is_deleted:
            targets.append(actor_id(inst.urls, actor))
    content = activity.get("content")
    comment = content if isinstance(content, str) else ""
    distinct = list(dict.fromkeys(targets))
    if len(distinct) > MOST_TARGETS:
        log.info(
            "Flag %s from %s names %d of our accounts: only the first %d are reported",
            activity["id"],
            item.actor,
            len(distinct),
            MOST_TARGETS,
        )
    for target in distinct[:MOST_TARGETS]:
        await reports.receive_flag(
            inst, item.actor, str(activity["id"]), target, posts.get(target, []), comment
        )
