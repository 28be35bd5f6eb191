"""Timelines as Mastodon has them, over the status index (who may see a status is
`fedishare.statuses.visibility`'s to say; the queries here ask the same). Home shows the
member's own statuses and those of the actors they follow (boosts included; direct ones
only where the member is mentioned).
The public and tag timelines show public statuses, replies included (fedishare shows the
threads of listings there), boosts left out. A member never sees the accounts they block
or mute.
"""

from __future__ import annotations

from collections.abc import Sequence

from fedishare.context import Instance
from fedishare.core.paging import Page
from fedishare.federation.actor_document import actor_id
from fedishare.statuses.visibility import visible_rows
from fedishare.storage import account_relations, follows
from fedishare.storage import statuses as index
from fedishare.storage import timelines as walks
from fedishare.storage.actors import LocalActor
from fedishare.storage.statuses import StatusRow

MAX_ANCESTORS = 40
MAX_DESCENDANTS = 4_000
MAX_TAGS = 4  # as Mastodon: any[], all[] and none[] take a few names each


async def _hidden(inst: Instance, member: LocalActor | None) -> set[str]:
    if member is None:
        return set()
    return await account_relations.hidden_authors(inst.db, member.id, inst.clock().timestamp())


async def home(inst: Instance, member: LocalActor, page: Page) -> list[StatusRow]:
    me = actor_id(inst.urls, member)
    return await walks.home(inst.db, me, page, await _hidden(inst, member))


async def direct(inst: Instance, member: LocalActor, page: Page) -> list[StatusRow]:
    """Direct statuses the member wrote or is mentioned in (Mastodon's former direct
    timeline, which some apps still read), private listing conversations included."""
    me = actor_id(inst.urls, member)
    return await walks.direct(inst.db, me, page, await _hidden(inst, member))


async def public(
    inst: Instance,
    page: Page,
    local: bool | None = None,
    only_media: bool = False,
    *,
    viewer: LocalActor | None = None,
) -> list[StatusRow]:
    hidden = await _hidden(inst, viewer)
    return await walks.public(inst.db, page, local=local, only_media=only_media, hidden=hidden)


def tag_name(name: str) -> str:
    return name.strip().lstrip("#").lower()


async def tag(
    inst: Instance,
    name: str,
    page: Page,
    local: bool | None = None,
    only_media: bool = False,
    *,
    any_of: Sequence[str] = (),
    all_of: Sequence[str] = (),
    none_of: Sequence[str] = (),
    viewer: LocalActor | None = None,
) -> list[StatusRow]:
    """Public statuses tagged `name` or any of `any_of`, and all of `all_of`, and none of
    `none_of`."""
    names = [n for n in (tag_name(t) for t in [name, *any_of[:MAX_TAGS]]) if n]
    return await walks.tagged(
        inst.db,
        page,
        names,
        all_of=[n for n in map(tag_name, all_of[:MAX_TAGS]) if n],
        none_of=[n for n in map(tag_name, none_of[:MAX_TAGS]) if n],
        local=local,
        only_media=only_media,
        hidden=await _hidden(inst, viewer),
    )


async def of_account(
    inst: Instance,
    viewer: LocalActor | None,
    author_uri: str,
    page: Page,
    exclude_replies: bool = False,
    only_media: bool = False,
    pinned: bool = False,
    *,
    exclude_reblogs: bool = False,
) -> list[StatusRow]:
    """An account's statuses as `viewer` may see them. fedishare has no pinned statuses."""
    if pinned:
        return []
    shown = ["public", "unlisted"]
    me = None if viewer is None else actor_id(inst.urls, viewer)
    if me == author_uri:
        shown += ["private", "direct"]
    elif me is not None and await follows.is_accepted(inst.db, me, author_uri):
        shown.append("private")
    return await walks.by_author(
        inst.db,
        author_uri,
        page,
        visibilities=shown,
        mentioned=None if me == author_uri else me,
        exclude_replies=exclude_replies,
        exclude_reblogs=exclude_reblogs,
        only_media=only_media,
    )


async def context(
    inst: Instance, viewer: LocalActor | None, row: StatusRow
) -> tuple[list[StatusRow], list[StatusRow]]:
    """(ancestors, oldest first; descendants, depth first) of a status, those `viewer`
    may see."""
    ancestors: list[StatusRow] = []
    seen = {row.uri}
    parent = row.in_reply_to
    while parent is not None and parent not in seen and len(ancestors) < MAX_ANCESTORS:
        seen.add(parent)
        found = await index.by_uri(inst.db, parent)
        if found is None:
            break
        ancestors.append(found)
        parent = found.in_reply_to
    ancestors.reverse()
    children: dict[str, list[StatusRow]] = {}
    level, count = [row.uri], 0
    while level and count < MAX_DESCENDANTS:
        replies = [r for r in await walks.replies_to(inst.db, level) if r.uri not in seen]
        for reply in replies:
            seen.add(reply.uri)
            children.setdefault(reply.in_reply_to or "", []).append(reply)
        count += len(replies)
        level = [r.uri for r in replies]
    descendants: list[StatusRow] = []
    stack = list(reversed(children.get(row.uri, [])))
    while stack:
        current = stack.pop()
        descendants.append(current)
        stack.extend(reversed(children.get(current.uri, [])))
    return (
        await visible_rows(inst, viewer, ancestors),
        await visible_rows(inst, viewer, descendants),
    )
