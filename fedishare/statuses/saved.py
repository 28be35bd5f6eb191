"""The lists a member keeps: their bookmarks and their favourites, newest first, each entry
with its own id (what the `Link` header pages by) and the status."""

from __future__ import annotations

from fedishare.context import Instance
from fedishare.core.paging import Page
from fedishare.federation.actor_document import actor_id
from fedishare.storage import bookmarks, favourites
from fedishare.storage import statuses as status_index
from fedishare.storage.actors import LocalActor
from fedishare.storage.statuses import StatusRow


async def _rows(inst: Instance, entries: list[tuple[int, int]]) -> list[tuple[int, StatusRow]]:
    rows = await status_index.get_many(inst.db, [status_id for _, status_id in entries])
    return [
        (entry, rows[status_id])
        for entry, status_id in entries
        if status_id in rows and not rows[status_id].deleted
    ]


async def bookmarked(inst: Instance, member: LocalActor, page: Page) -> list[tuple[int, StatusRow]]:
    return await _rows(inst, await bookmarks.page_of(inst.db, member.id, page))


async def favourited(inst: Instance, member: LocalActor, page: Page) -> list[tuple[int, StatusRow]]:
    me = actor_id(inst.urls, member)
    return await _rows(inst, await favourites.page_of(inst.db, me, page))
