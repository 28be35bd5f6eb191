"""Create: keep posts that concern us (replies to our objects, posts addressed to or
mentioning our actors) for the listings to build on, and posts by actors our members follow
(their home timelines show them); drop the rest, as Mastodon does. A followed author's
listing is left to `listing_changes`, which takes it from its origin as a listing."""

from __future__ import annotations

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.core.activitystreams import id_of, ids_of
from fedishare.core.types import JSON
from fedishare.inbox.handlers._origin import author_of, trusted_object
from fedishare.inbox.item import InboxItem
from fedishare.listings.reading import listing_from_object
from fedishare.listings.responses import take_reply
from fedishare.statuses.keeping import keep_post
from fedishare.storage import objects
from fedishare.storage.peers import followed_locally

# What Mastodon shows (Note, Question) or converts to a link (the rest).
KEPT_TYPES = frozenset(
    {"Note", "Question", "Article", "Page", "Event", "Image", "Video", "Audio", "Document"}
)


async def _replies_to_ours(inst: Instance, in_reply_to: str | None) -> bool:
    if in_reply_to is None:
        return False
    stored = await objects.get(inst.db, in_reply_to)
    return stored.is_local if stored is not None else inst.urls.is_ours(in_reply_to)


async def _addresses_ours(inst: Instance, doc: JSON) -> bool:
    audience = [a for key in ("to", "cc", "bto", "bcc") for a in ids_of(doc.get(key))]
    tags = doc.get("tag")
    for tag in tags if isinstance(tags, list) else [tags]:
        if (
            isinstance(tag, dict)
            and tag.get("type") == "Mention"
            and isinstance(tag.get("href"), str)
        ):
            audience.append(tag["href"])
    for address in dict.fromkeys(a for a in audience if inst.urls.is_ours(a)):
        actor = await local_actor_for(inst, address)
        if actor is not None and actor.kind != "application":
            return True
    return False


async def _concerns_us(inst: Instance, doc: JSON) -> bool:
    in_reply_to = id_of(doc.get("inReplyTo"))
    return await _replies_to_ours(inst, in_reply_to) or await _addresses_ours(inst, doc)


async def on_create(inst: Instance, item: InboxItem) -> None:
    value = item.activity.get("object")
    object_id = id_of(value)
    if object_id is None or inst.urls.is_ours(object_id):
        return  # our own objects are never taken from others
    followed = await followed_locally(inst.db, inst.urls.base, item.actor)
    concerns: bool | None = None  # whether `value` concerns us, once asked
    if isinstance(value, dict) and not followed:
        concerns = await _concerns_us(inst, value)
        if not concerns:
            return  # not worth a fetch from its origin either
    doc = await trusted_object(inst, item, value)
    if doc is None or doc.get("type") not in KEPT_TYPES:
        return
    author = author_of(doc)
    if author is None:
        return
    fetched = doc is not value  # a fetched copy may say otherwise
    if fetched or concerns is None:
        concerns = await _concerns_us(inst, doc)
    if not concerns and not (
        author == item.actor and followed and listing_from_object(doc, now=inst.clock()) is None
    ):
        return
    await keep_post(inst, doc, author)
    await take_reply(inst, doc, author)  # a response to one of our listings?
