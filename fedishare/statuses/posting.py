"""A member's statuses from a Mastodon app: post, edit, delete, and the source to edit.

A status whose first word is #offer, #request or #stay is a listing
(`fedishare.statuses.listing_text`, stored and published by `fedishare.listings.service`);
every other status is a Note (`fedishare.statuses.notes`). Addressing follows Mastodon:

    public   to Public,      cc followers and the mentioned
    unlisted to followers,   cc Public and the mentioned
    private  to followers,   cc the mentioned
    direct   to the mentioned only

A reply also addresses the author replied to, so that the reply reaches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from fedishare.context import Instance
from fedishare.core.activitystreams import PUBLIC
from fedishare.core.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from fedishare.core.listing import MAX_IMAGES
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.listings import service
from fedishare.listings.sanitize import html_to_text
from fedishare.media.uploads import media_url
from fedishare.notifications.record import record
from fedishare.oauth import apps
from fedishare.statuses import listing_text, notes
from fedishare.statuses.composing import Composed, compose, resolve_all
from fedishare.statuses.visibility import visible
from fedishare.storage import attachments, idempotency
from fedishare.storage import listings as listing_store
from fedishare.storage import media as media_store
from fedishare.storage import objects as object_store
from fedishare.storage import statuses as status_index
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Transaction
from fedishare.storage.media import Media
from fedishare.storage.statuses import StatusRow

IDEMPOTENCY_WINDOW = timedelta(hours=1)
# A reserved key whose post has not finished after this long was abandoned (a crash).
RESERVATION_TIMEOUT = timedelta(minutes=2)
VISIBILITIES = ("public", "unlisted", "private", "direct")


@dataclass(frozen=True)
class Draft:
    """What the app sent for a status."""

    text: str
    visibility: str | None = None  # None: the member's default (source[privacy])
    in_reply_to_id: int | None = None
    media_ids: tuple[int, ...] = ()
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    idempotency_key: str | None = None
    app_id: int | None = None  # the OAuth app that posted it, named as the note's generator


@dataclass(frozen=True)
class Source:
    """What the member wrote, for editing (GET /api/v1/statuses/:id/source)."""

    text: str
    spoiler_text: str


def _visibility(member: LocalActor, draft: Draft) -> str:
    """The draft's visibility; without one, the member's default, as Mastodon does."""
    if draft.visibility is not None:
        return draft.visibility
    default = member.preferences.get("posting:default:visibility")
    return default if isinstance(default, str) else "public"


def _check(inst: Instance, member: LocalActor, draft: Draft) -> None:
    if member.kind != "person" or member.disabled:
        raise Forbidden("only an active member can post")
    if not draft.text.strip() and not draft.media_ids:
        raise Unprocessable("Validation failed: Text can't be blank")
    # A status may become a listing, whose description may be this long: one limit for all.
    most = inst.config.limits.max_listing_chars
    if len(draft.text) > most:
        raise Unprocessable(f"Validation failed: Text character limit of {most} exceeded")
    if _visibility(member, draft) not in VISIBILITIES:
        raise Unprocessable(f"visibility: one of {', '.join(VISIBILITIES)}")
    if len(draft.media_ids) > MAX_IMAGES:  # a listing's photos and a post's alike
        raise Unprocessable(f"Validation failed: at most {MAX_IMAGES} media attachments")


async def _own_media(
    inst: Instance, member: LocalActor, ids: Sequence[int], status_uri: str | None = None
) -> list[Media]:
    """The member's uploads `ids`, in order; each may be in no other status."""
    found = []
    for media_id in dict.fromkeys(ids):
        media = await media_store.get(inst.db, media_id)
        if media is None or media.owner_id != member.id or media.failed:
            raise Unprocessable(f"media_ids: no media {media_id} of yours")
        attached = await attachments.attached_to(inst.db, media_id)
        if attached is not None and attached != status_uri:
            raise Unprocessable(f"media_ids: media {media_id} is already in another status")
        found.append(media)
    return found


async def _parent(
    inst: Instance, member: LocalActor, in_reply_to_id: int | None
) -> StatusRow | None:
    """The status replied to, which the member must be able to see (404 otherwise)."""
    if in_reply_to_id is None:
        return None
    row = await visible(inst, member, in_reply_to_id)
    if row.kind == "reblog":
        raise Unprocessable("in_reply_to_id: reply to the status, not its boost")
    return row


def _addressing(
    me: str, visibility: str, mentioned: Sequence[str], parent_author: str | None
) -> tuple[list[str], list[str]]:
    others = list(dict.fromkeys(a for a in [*mentioned, parent_author or ""] if a and a != me))
    followers = f"{me}/followers"
    if visibility == "public":
        return [PUBLIC], [followers, *others]
    if visibility == "unlisted":
        return [followers], [PUBLIC, *others]
    if visibility == "private":
        return [followers], others
    return others, []


def _document(inst: Instance, media: Media) -> JSON:
    doc: JSON = {
        "type": "Document",
        "mediaType": media.media_type,
        "url": media_url(inst, media.path),
        "name": media.alt or None,
        "width": media.width,
        "height": media.height,
        "blurhash": media.blurhash,
    }
    return {k: v for k, v in doc.items() if v is not None}


def _note_fields(
    inst: Instance,
    member: LocalActor,
    draft: Draft,
    composed: Composed,
    media: Sequence[Media],
    parent: StatusRow | None,
) -> JSON:
    me = actor_id(inst.urls, member)
    to, cc = _addressing(
        me,
        _visibility(member, draft),
        [m.actor for m in composed.mentions],
        parent.author if parent else None,
    )
    fields: JSON = {"to": to, "cc": cc, "content": composed.html, "tag": composed.tags}
    if draft.language:
        fields["contentMap"] = {draft.language: composed.html}
    if parent is not None:
        fields["inReplyTo"] = parent.uri
    if draft.spoiler_text.strip():
        fields["summary"] = draft.spoiler_text.strip()
    fields["sensitive"] = bool(draft.sensitive or draft.spoiler_text.strip())
    if media:
        fields["attachment"] = [_document(inst, m) for m in media]
    fields["source"] = {"content": draft.text, "mediaType": "text/plain"}
    return fields


async def _notify(
    tx: Transaction,
    inst: Instance,
    member: LocalActor,
    composed: Composed,
    parent: StatusRow | None,
    status: StatusRow,
) -> None:
    """Our own members mentioned or replied to hear of it (others' servers tell theirs)."""
    recipients = [m.local_actor_id for m in composed.mentions]
    if parent is not None:
        recipients.append(parent.local_actor_id)
    for recipient in dict.fromkeys(r for r in recipients if r is not None and r != member.id):
        await record(
            tx,
            recipient_id=recipient,
            type="mention",
            from_actor=actor_id(inst.urls, member),
            status_id=status.id,
            at=inst.clock(),
        )


async def _reserve(inst: Instance, member: LocalActor, key: str) -> StatusRow | None:
    """Take the Idempotency-Key for this post (None), or the status an earlier try with it
    made; 409 while that try is still at work (the app retried before it had an answer)."""
    now = inst.clock()
    async with inst.db.transaction() as tx:
        held = await idempotency.reserve(
            tx,
            member.id,
            key,
            since=(now - IDEMPOTENCY_WINDOW).timestamp(),
            stale=(now - RESERVATION_TIMEOUT).timestamp(),
            now=now.timestamp(),
        )
    if held is None:
        return None
    if held == idempotency.PENDING:
        raise Conflict("a post with this Idempotency-Key is in progress")
    row = await status_index.by_uri(inst.db, held)
    if row is None:
        raise NotFound("Record not found")
    return row


async def _indexed(inst: Instance, uri: str) -> StatusRow:
    row = await status_index.by_uri(inst.db, uri)
    if row is None:  # the storage layer indexes every object and listing it stores
        raise RuntimeError(f"{uri} was stored but not indexed")
    return row


async def post_status(inst: Instance, member: LocalActor, draft: Draft) -> StatusRow:
    """Publish a member's status (a listing when it starts with a listing tag); a repeated
    Idempotency-Key within an hour returns the status the first try made. The key is
    reserved before anything is published, so that two tries at once make one status."""
    _check(inst, member, draft)
    key = draft.idempotency_key
    if key:
        again = await _reserve(inst, member, key)
        if again is not None:
            return again
    try:
        uri = await _publish(inst, member, draft)
    except Exception:
        if key:  # nothing was made: a retry may try again
            async with inst.db.transaction() as tx:
                await idempotency.release(tx, member.id, key)
        raise
    return await _indexed(inst, uri)


async def _publish(inst: Instance, member: LocalActor, draft: Draft) -> str:
    media = await _own_media(inst, member, draft.media_ids)
    parent = await _parent(inst, member, draft.in_reply_to_id)
    if parent is None and listing_text.is_listing_text(draft.text):
        uri = await _post_listing(inst, member, draft, media)
    else:
        uri = await _post_note(inst, member, draft, media, parent)
    async with inst.db.transaction() as tx:
        await attachments.attach(tx, [m.id for m in media], uri)
        if draft.idempotency_key:
            now = inst.clock().timestamp()
            await idempotency.remember(tx, member.id, draft.idempotency_key, uri, now)
    return uri


async def _post_listing(
    inst: Instance, member: LocalActor, draft: Draft, media: Sequence[Media]
) -> str:
    data = listing_text.listing_data(inst, member, draft.text, media, _visibility(member, draft))
    try:
        change = await service.create_listing(inst, member, data)
    except Invalid as e:  # the listing rules, read as a validation failure of the status
        raise Unprocessable(e.reason) from None
    return change.listing.id


async def _post_note(
    inst: Instance,
    member: LocalActor,
    draft: Draft,
    media: Sequence[Media],
    parent: StatusRow | None,
) -> str:
    composed = compose(inst.urls.base, draft.text, await resolve_all(inst, draft.text))
    fields = _note_fields(inst, member, draft, composed, media, parent)
    app = None if draft.app_id is None else await apps.of_id(inst, draft.app_id)
    if app is not None:  # as AS2's generator; Mastodon shows it as the status's application
        fields["generator"] = {"type": "Application", "name": app.name, "url": app.website}

    async def after(tx: Transaction, note: JSON) -> None:
        row = await status_index.by_uri(tx, note["id"])
        if row is not None:
            await _notify(tx, inst, member, composed, parent, row)

    activity = await notes.publish_note(inst, member, fields, after=after)
    return str(activity["object"]["id"])


async def _own_status(inst: Instance, member: LocalActor, status_id: int) -> StatusRow:
    row = await status_index.get(inst.db, status_id)
    if row is None or row.deleted:
        raise NotFound("Record not found")
    if row.local_actor_id != member.id:
        raise NotFound("Record not found")  # as Mastodon: others' statuses are not "yours"
    return row


async def edit_status(
    inst: Instance, member: LocalActor, status_id: int, draft: Draft
) -> StatusRow:
    """Replace a status's text, content warning and media; its visibility and the post it
    answers stay. An Update goes out (the listing's, for a listing)."""
    row = await _own_status(inst, member, status_id)
    if row.kind == "reblog":
        raise Unprocessable("a boost cannot be edited")
    draft = replace(draft, visibility=row.visibility)
    _check(inst, member, draft)
    media = await _own_media(inst, member, draft.media_ids, row.uri)
    if row.kind == "listing":
        await _edit_listing(inst, member, row, draft, media)
    else:
        await _edit_note(inst, member, row, draft, media)
    async with inst.db.transaction() as tx:
        await attachments.attach(tx, [m.id for m in media], row.uri)
    return await _indexed(inst, row.uri)


async def _edit_listing(
    inst: Instance, member: LocalActor, row: StatusRow, draft: Draft, media: Sequence[Media]
) -> None:
    if not listing_text.is_listing_text(draft.text):
        raise Unprocessable(
            "this status is a listing: keep #offer, #request or #stay first, or delete it"
        )
    data = listing_text.listing_data(inst, member, draft.text, media, row.visibility)
    try:
        await service.edit_listing(inst, member, row.uri, data)
    except Invalid as e:
        raise Unprocessable(e.reason) from None


async def _edit_note(
    inst: Instance, member: LocalActor, row: StatusRow, draft: Draft, media: Sequence[Media]
) -> None:
    stored = await object_store.get(inst.db, row.uri)
    if stored is None or stored.deleted:
        raise NotFound("Record not found")
    parent = None
    if row.in_reply_to is not None:
        parent = await status_index.by_uri(inst.db, row.in_reply_to)
    composed = compose(inst.urls.base, draft.text, await resolve_all(inst, draft.text))
    fields = _note_fields(inst, member, draft, composed, media, parent)
    if parent is None and row.in_reply_to is not None:
        fields["inReplyTo"] = row.in_reply_to  # answering a post we no longer index
    kept = {
        k: v
        for k, v in stored.document.items()
        if k in ("@context", "id", "type", "url", "attributedTo", "published")
    }
    previous = stored.updated or stored.published
    note = kept | fields | {"updated": notes.next_updated(previous, inst.clock())}
    if await notes.update_note(inst, member, note) is None:
        raise NotFound("Record not found")


async def delete_status(inst: Instance, member: LocalActor, status_id: int) -> StatusRow:
    """Delete a status of the member's (a Delete goes out; for a listing, the listing's);
    return it as it was."""
    row = await _own_status(inst, member, status_id)
    if row.kind == "listing":
        await service.delete_listing(inst, member, row.uri)
    elif row.kind == "note":
        stored = await object_store.get(inst.db, row.uri)
        if (
            stored is None
            or stored.deleted
            or await notes.delete_note(inst, member, stored.document) is None
        ):
            raise NotFound("Record not found")
    else:
        raise Unprocessable("a boost is undone with unreblog")
    return row


async def status_source(inst: Instance, member: LocalActor, status_id: int) -> Source:
    """The text the member wrote (or would write) for a status of theirs."""
    row = await _own_status(inst, member, status_id)
    if row.kind == "listing":
        listing = await listing_store.get(inst.db, row.uri)
        if listing is None:
            raise NotFound("Record not found")
        return Source(listing_text.source_text(listing), "")
    stored = await object_store.get(inst.db, row.uri)
    if stored is None or stored.deleted:
        raise NotFound("Record not found")
    doc = stored.document
    source = doc.get("source")
    if isinstance(source, dict) and isinstance(source.get("content"), str):
        text = source["content"]
    else:
        content = doc.get("content")
        text = html_to_text(content) if isinstance(content, str) else ""
    summary = doc.get("summary")
    return Source(text, summary if isinstance(summary, str) else "")
