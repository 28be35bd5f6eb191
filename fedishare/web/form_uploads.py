"""A listing form with photos: its body read within bounds, and its photo places turned
into the listing's images (files chosen now are stored as they arrive, so that a form
shown again after a refusal keeps them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.datastructures import FormData
from starlette.requests import Request

from fedishare.context import Instance
from fedishare.core.errors import Invalid, Refusal, TooLarge
from fedishare.core.listing import MAX_IMAGES
from fedishare.core.types import JSON
from fedishare.http.bodies import bounded_form
from fedishare.media import uploads
from fedishare.storage.actors import LocalActor
from fedishare.web.listing_form import Slot, fill_slots, image_facts, posted_slot

FORM_TEXT_BYTES = 1_048_576  # room for the form's text beside its photos
MAX_FIELDS = 64
_NAME_CHARS = 80


@asynccontextmanager
async def read_form(request: Request, inst: Instance) -> AsyncIterator[FormData]:
    """The posted form, its files closed afterwards; TooLarge as soon as the body exceeds
    what four photos and the text can take (before a byte of it is parsed, when the sender
    said its length)."""
    limit = MAX_IMAGES * inst.config.limits.max_upload_bytes + FORM_TEXT_BYTES
    refusal = TooLarge(f"photos: together larger than {uploads.size_text(limit)}")
    async with bounded_form(
        request, limit, refusal, max_files=MAX_IMAGES, max_fields=MAX_FIELDS
    ) as form:
        yield form


async def posted_photos(
    inst: Instance, member: LocalActor, form: FormData
) -> tuple[list[Slot], list[JSON], Refusal | None]:
    """(the form's photo places as they now stand, the listing's images, the first refusal
    of a file). Files that are refused leave their place empty."""
    attached: list[Slot] = []
    refusal: Refusal | None = None
    for number in range(1, MAX_IMAGES + 1):
        image, upload, alt = posted_slot(form, number)
        if upload is not None:
            name = (upload.filename or "the photo")[:_NAME_CHARS]
            try:
                uploads.check_size(inst, name, upload.size or 0)
                media = await uploads.upload(inst, member, await upload.read(), name=name)
            except (Invalid, TooLarge) as exc:
                refusal = refusal or exc
            else:
                image = image_facts(uploads.image_of(inst, media, alt))
        if image is not None:
            attached.append(Slot(0, image, alt))
    slots = fill_slots(attached)
    images = [{**slot.image, "alt": slot.alt} for slot in slots if slot.image is not None]
    return slots, images, refusal
