"""A member's profile: display name, bio, avatar and default neighbourhood. When what other
servers see changes, an `Update` of the actor goes to the member's followers, as Mastodon
sends one; servers then fetch the actor again from its URL."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from fedishare.context import Instance
from fedishare.core.activitystreams import PUBLIC, new_id
from fedishare.core.errors import Invalid, TooLarge
from fedishare.core.listing import Place
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_document, actor_id
from fedishare.media import uploads
from fedishare.remote.publish import queue_publication
from fedishare.storage import actors, follows
from fedishare.storage import media as media_store
from fedishare.storage.actors import LocalActor

MAX_DISPLAY_NAME = 100
MAX_BIO = 500  # Mastodon's limit
MAX_PLACE_NAME = 80  # as a listing's place name
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Profile:
    display_name: str
    bio: str
    place: Place | None  # where the posting form and the board start


@dataclass(frozen=True)
class AvatarFile:
    """A picture as it was sent (cleaned and resized by `fedishare.media` when stored)."""

    data: bytes
    name: str


def _text(value: str, field: str, most: int, *, lines: bool = False) -> str:
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not lines:
        text = " ".join(text.split())
    if len(text) > most:
        raise Invalid(f"{field}: at most {most} characters")
    return text


def _coordinate(value: str, field: str, most: float) -> float | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not -most <= number <= most:  # NaN fails too
        raise Invalid(f"{field}: a number from {-most:g} to {most:g}")
    return number


def parse_profile(
    display_name: str, bio: str, place_name: str, latitude: str, longitude: str
) -> Profile:
    """The profile a form sent (text fields), each refusal naming its field."""
    name = _text(display_name, "display_name", MAX_DISPLAY_NAME)
    about = _text(bio, "bio", MAX_BIO, lines=True)
    where = _text(place_name, "place_name", MAX_PLACE_NAME)
    lat = _coordinate(latitude, "latitude", 90)
    lon = _coordinate(longitude, "longitude", 180)
    if (lat is None) != (lon is None):
        missing = "longitude" if lon is None else "latitude"
        raise Invalid(f"{missing}: needed with the other coordinate, or leave both empty")
    if lat is not None and not where:
        raise Invalid("place_name: name the neighbourhood these coordinates are in")
    return Profile(name, about, Place(where, lat, lon) if where else None)


def default_place(member: LocalActor) -> Place | None:
    """The member's default neighbourhood, if they set one."""
    stored = member.default_place
    name = stored.get("name")
    if not isinstance(name, str) or not name:
        return None
    return Place(name, stored.get("latitude"), stored.get("longitude"))


def _stored_place(place: Place | None) -> JSON:
    if place is None:
        return {}
    out: JSON = {"name": place.name}
    if place.latitude is not None:
        out["latitude"] = place.latitude
        out["longitude"] = place.longitude
    return out


async def actor_json(inst: Instance, actor: LocalActor, *, rules: tuple[str, ...] = ()) -> JSON:
    """The actor's document with what LocalActor does not carry: its header and fields."""
    header = None
    if actor.header_media_id is not None:
        media = await media_store.get(inst.db, actor.header_media_id)
        if media is not None and not media.failed:
            url = f"{inst.urls.base}/media/{media.path}"
            header = {"type": "Image", "mediaType": media.media_type, "url": url}
    fields = await actors.profile_fields(inst.db, actor.id) if actor.kind == "person" else []
    return actor_document(inst.urls, actor, rules=rules, header=header, fields=fields)


async def update_activity(inst: Instance, member: LocalActor) -> JSON:
    document = await actor_json(inst, member)
    context = document.pop("@context")
    return {
        "@context": context,
        "id": new_id(inst.urls.base),
        "type": "Update",
        "actor": document["id"],
        "to": [PUBLIC],
        "cc": [document["followers"]],
        "object": document,
    }


async def _stored_avatar(inst: Instance, member: LocalActor, avatar: AvatarFile) -> int:
    """Store a new avatar like any photo; its refusals name the form's `avatar` field."""
    try:
        return (await uploads.upload(inst, member, avatar.data, name=avatar.name)).id
    except (Invalid, TooLarge) as e:
        reason = "avatar: " + e.reason.removeprefix(f"{uploads.FIELD}: ")
        raise type(e)(reason) from None


async def update_profile(
    inst: Instance,
    member: LocalActor,
    profile: Profile,
    *,
    avatar: AvatarFile | None = None,
    drop_avatar: bool = False,
) -> LocalActor:
    """Store the member's new profile (an empty display name shows their name), with a new
    avatar or none; tell their followers when what they see changed. Returns the member as
    now stored."""
    display_name = profile.display_name or member.username
    avatar_id = member.avatar_media_id
    if avatar is not None:
        avatar_id = await _stored_avatar(inst, member, avatar)
    elif drop_avatar:
        avatar_id = None
    public_change = (display_name, profile.bio, avatar_id) != (
        member.display_name,
        member.summary,
        member.avatar_media_id,
    )
    async with inst.db.transaction() as tx:
        await actors.update_profile(tx, member.id, display_name=display_name, summary=profile.bio)
        await actors.set_default_place(tx, member.id, _stored_place(profile.place))
        await actors.set_avatar(tx, member.id, avatar_id)
        updated = await actors.find_by_id(tx, member.id)
        assert updated is not None
        if public_change:
            inboxes = await follows.follower_inboxes(tx, actor_id(inst.urls, updated))
            await queue_publication(
                tx, inst, updated, await update_activity(inst, updated), inboxes
            )
    if public_change:
        inst.wake_delivery.set()
    return updated


async def avatar_file(inst: Instance, username: str, media_id: int) -> str | None:
    """The stored name (below the media directory) of a member's avatar, if `media_id` is
    their avatar now and they are active. Never another photo of theirs: ids are counted,
    and a followers-only listing's photos must not be found by counting."""
    member = await actors.find_by_username(inst.db, username)
    if member is None or member.disabled or member.avatar_media_id != media_id:
        return None
    media = await media_store.get(inst.db, media_id)
    return None if media is None or media.failed else media.thumbnail_path
