"""Notifications as Mastodon renders them (one each, for /api/v1 and streaming) and grouped
(/api/v2/notifications): the account who acted, the status concerned, a `group_key` that
gathers favourites, boosts and follows of the same hour as Mastodon does."""

from __future__ import annotations

from collections.abc import Sequence

from fedishare.client_api.entities.account import render_accounts
from fedishare.client_api.entities.status import render_statuses
from fedishare.client_api.entities.times import mastodon_time, parse_time
from fedishare.context import Instance
from fedishare.core.types import JSON
from fedishare.statuses.visibility import visible_rows
from fedishare.storage import statuses
from fedishare.storage.actors import LocalActor
from fedishare.storage.notifications import Notification

GROUPED = frozenset({"favourite", "reblog", "follow"})
NEEDS_STATUS = frozenset({"mention", "status", "reblog", "favourite", "update"})
SAMPLE_ACCOUNTS = 8


def group_key(n: Notification) -> str:
    if n.type not in GROUPED:
        return f"ungrouped-{n.id}"
    hour = int(parse_time(n.created_at).timestamp()) // 3600
    return f"{n.type}-{hour}" if n.status_id is None else f"{n.type}-{n.status_id}-{hour}"


async def _parts(
    inst: Instance, viewer: LocalActor, found: Sequence[Notification]
) -> tuple[list[Notification], dict[str, JSON], dict[int, JSON]]:
    """The notifications that can be shown (their account is known, their status still
    there and one the member may see: as Mastodon, one about a status they may not see is
    dropped), with the accounts by URI and the statuses by id."""
    accounts = await render_accounts(inst, [n.from_actor for n in found])
    ids = [n.status_id for n in found if n.status_id is not None]
    rows = await statuses.get_many(inst.db, ids)
    live = await visible_rows(inst, viewer, [rows[i] for i in dict.fromkeys(ids) if i in rows])
    rendered = dict(
        zip([r.id for r in live], await render_statuses(inst, viewer, live), strict=True)
    )
    shown = [
        n
        for n in found
        if n.from_actor in accounts
        and (n.type not in NEEDS_STATUS or (n.status_id is not None and n.status_id in rendered))
    ]
    return shown, accounts, rendered


async def render_notifications(
    inst: Instance, viewer: LocalActor, found: Sequence[Notification]
) -> list[JSON]:
    shown, accounts, rendered = await _parts(inst, viewer, found)
    return [
        {
            "id": str(n.id),
            "type": n.type,
            "created_at": mastodon_time(n.created_at),
            "group_key": group_key(n),
            "account": accounts[n.from_actor],
            "status": None if n.status_id is None else rendered.get(n.status_id),
        }
        for n in shown
    ]


async def render_groups(inst: Instance, viewer: LocalActor, found: Sequence[Notification]) -> JSON:
    """A page of notifications (newest first) as GroupedNotificationsResults."""
    shown, accounts, rendered = await _parts(inst, viewer, found)
    groups: dict[str, list[Notification]] = {}
    for n in shown:
        groups.setdefault(group_key(n), []).append(n)
    used: dict[str, JSON] = {}
    out: list[JSON] = []
    for key, members in groups.items():
        newest, oldest = members[0], members[-1]
        samples = list(dict.fromkeys(n.from_actor for n in members))[:SAMPLE_ACCOUNTS]
        for uri in samples:
            used[uri] = accounts[uri]
        out.append(
            {
                "group_key": key,
                "notifications_count": len(members),
                "type": newest.type,
                "most_recent_notification_id": newest.id,
                "page_min_id": str(oldest.id),
                "page_max_id": str(newest.id),
                "latest_page_notification_at": mastodon_time(newest.created_at),
                "sample_account_ids": [accounts[uri]["id"] for uri in samples],
                "status_id": None if newest.status_id is None else str(newest.status_id),
            }
        )
    return {
        "accounts": list(used.values()),
        "statuses": [
            rendered[i] for i in dict.fromkeys(n.status_id for n in shown) if i in rendered
        ],
        "notification_groups": out,
    }
