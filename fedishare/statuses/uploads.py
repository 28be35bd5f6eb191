"""A member's photos uploaded from an app, before (and after) they go into a status: taken
as the web board takes photos (`fedishare.media.uploads`: cleaned, resized, re-encoded) and
described with alt text, which the member may change later. Only photos are taken."""

from __future__ import annotations

from dataclasses import replace

from fedishare.context import Instance
from fedishare.core.errors import Invalid, NotFound, Unprocessable
from fedishare.listings.validation import MAX_ALT
from fedishare.media import uploads
from fedishare.storage import attachments
from fedishare.storage import media as media_store
from fedishare.storage.actors import LocalActor
from fedishare.storage.media import Media

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def _alt(description: str) -> str:
    text = description.strip()
    if len(text) > MAX_ALT:
        raise Unprocessable(f"description: longer than {MAX_ALT} characters")
    return text


async def upload(
    inst: Instance,
    member: LocalActor,
    data: bytes,
    *,
    name: str,
    content_type: str | None,
    description: str = "",
) -> Media:
    """Store a member's photo with its description; anything but a photo gets a 422."""
    if member.kind != "person" or member.disabled:
        raise NotFound("Record not found")
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind and kind not in PHOTO_TYPES and kind != "application/octet-stream":
        raise Unprocessable(
            f"only photos can be uploaded here (JPEG, PNG, GIF or WebP), not {kind}"
        )
    alt = _alt(description)
    try:
        media = await uploads.upload(inst, member, data, name=name)
    except Invalid as e:
        raise Unprocessable(e.reason.removeprefix(f"{uploads.FIELD}: ")) from None
    if alt:
        async with inst.db.transaction() as tx:
            await attachments.set_alt(tx, media.id, alt)
        media = replace(media, alt=alt)
    return media


async def own_upload(inst: Instance, member: LocalActor, media_id: int) -> Media:
    media = await media_store.get(inst.db, media_id)
    if media is None or media.owner_id != member.id:
        raise NotFound("Record not found")
    return media


async def describe(inst: Instance, member: LocalActor, media_id: int, description: str) -> Media:
    """Set the alt text of one of the member's uploads."""
    media = await own_upload(inst, member, media_id)
    alt = _alt(description)
    async with inst.db.transaction() as tx:
        await attachments.set_alt(tx, media.id, alt)
    return replace(media, alt=alt)
