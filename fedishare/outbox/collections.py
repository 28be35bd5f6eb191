"""Paged OrderedCollections: an actor's outbox, followers and following."""

from __future__ import annotations

import json

from fedishare.context import Instance
from fedishare.core.activitystreams import AS_CONTEXT
from fedishare.core.types import JSON
from fedishare.storage import follows
from fedishare.storage import outbox as outbox_store
from fedishare.storage.actors import LocalActor

PAGE_SIZE = 20


def _collection(url: str, total: int) -> JSON:
    return {
        "@context": AS_CONTEXT,
        "id": url,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": f"{url}?page=1",
    }


def _page(url: str, page: int, items: list[object], has_more: bool, total: int) -> JSON:
    doc: JSON = {
        "@context": AS_CONTEXT,
        "id": f"{url}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": url,
        "totalItems": total,
        "orderedItems": items,
    }
    if has_more:
        doc["next"] = f"{url}?page={page + 1}"
    if page > 1:
        doc["prev"] = f"{url}?page={page - 1}"
    return doc


async def outbox(inst: Instance, actor: LocalActor, aid: str, page: int | None) -> JSON:
    """Public activities, newest first. Only public ones: followers-only and direct
    activities are not for anyone who asks."""
    url = f"{aid}/outbox"
    total = await outbox_store.count_public(inst.db, actor.id)
    if page is None:
        return _collection(url, total)
    rows = await outbox_store.public_page(
        inst.db, actor.id, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    items: list[object] = [json.loads(r["document"]) for r in rows[:PAGE_SIZE]]
    return _page(url, page, items, len(rows) > PAGE_SIZE, total)


def empty(url: str, page: int | None) -> JSON:
    """A collection (or one of its pages) with nothing in it, for a reader who may see none."""
    return _collection(url, 0) if page is None else _page(url, page, [], False, 0)


async def followers(inst: Instance, aid: str, page: int | None) -> JSON:
    url = f"{aid}/followers"
    total = await follows.count_followers(inst.db, aid)
    if page is None:
        return _collection(url, total)
    ids = await follows.followers(inst.db, aid, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return _page(url, page, list(ids[:PAGE_SIZE]), len(ids) > PAGE_SIZE, total)


async def following(inst: Instance, aid: str, page: int | None) -> JSON:
    url = f"{aid}/following"
    total = await follows.count_following(inst.db, aid)
    if page is None:
        return _collection(url, total)
    rows = await follows.following(inst.db, aid, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    ids: list[object] = [f.followee for f in rows[:PAGE_SIZE]]
    return _page(url, page, ids, len(rows) > PAGE_SIZE, total)
