"""A member's account as Mastodon apps edit it (update_credentials): the profile of the web
board (display name, bio, avatar) and what only apps set (header, profile fields, locked,
bot, discoverable, and the posting defaults Mastodon keeps as `source` and preferences).

The profile goes through `profiles.update_profile`, so that apps and the web board store it
alike; when what other servers see changes, one `Update` of the actor goes to followers.
"""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.accounts import profiles
from fedishare.accounts.profiles import AvatarFile, Profile
from fedishare.context import Instance
from fedishare.core.errors import Invalid, TooLarge, Unprocessable
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.media import uploads
from fedishare.remote.publish import queue_publication
from fedishare.storage import actors, follows
from fedishare.storage.actors import LocalActor

MAX_FIELDS = 4  # Mastodon's limit
MAX_FIELD_TEXT = 255
VISIBILITIES = ("public", "unlisted", "private", "direct")
DEFAULT_PREFERENCES: JSON = {
    "posting:default:visibility": "public",
    "posting:default:sensitive": False,
    "posting:default:language": None,
    "reading:expand:media": "default",
    "reading:expand:spoilers": False,
}


@dataclass(frozen=True)
class CredentialChanges:
    """What an app asked to change; None leaves a setting as it is."""

    display_name: str | None = None
    note: str | None = None
    avatar: AvatarFile | None = None
    header: AvatarFile | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    fields: list[tuple[str, str]] | None = None
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None


def preferences(member: LocalActor) -> JSON:
    """The member's preferences as /api/v1/preferences lists them, defaults filled in."""
    stored = {k: v for k, v in member.preferences.items() if k in DEFAULT_PREFERENCES}
    return {**DEFAULT_PREFERENCES, **stored}


def _fields(pairs: list[tuple[str, str]]) -> list[JSON]:
    kept = [(n.strip(), v.strip()) for n, v in pairs if n.strip() or v.strip()]
    if len(kept) > MAX_FIELDS:
        raise Unprocessable(f"fields_attributes: at most {MAX_FIELDS} fields")
    for name, value in kept:
        if len(name) > MAX_FIELD_TEXT or len(value) > MAX_FIELD_TEXT:
            raise Unprocessable(f"fields_attributes: at most {MAX_FIELD_TEXT} characters each")
    return [{"name": n, "value": v} for n, v in kept]


def _preferences(member: LocalActor, changes: CredentialChanges) -> JSON:
    prefs = preferences(member)
    if changes.privacy is not None:
        if changes.privacy not in VISIBILITIES:
            raise Unprocessable(f"source[privacy]: one of {', '.join(VISIBILITIES)}")
        prefs["posting:default:visibility"] = changes.privacy
    if changes.sensitive is not None:
        prefs["posting:default:sensitive"] = changes.sensitive
    if changes.language is not None:
        language = changes.language.strip().lower()
        if language and not (language.isalpha() and 2 <= len(language) <= 3):
            raise Unprocessable("source[language]: an ISO 639 code such as en")
        prefs["posting:default:language"] = language or None
    return prefs


async def _header(inst: Instance, member: LocalActor, header: AvatarFile) -> int:
    """Store a header as any photo is stored; refusals name the `header` field."""
    try:
        return (await uploads.upload(inst, member, header.data, name=header.name)).id
    except (Invalid, TooLarge) as e:
        reason = "header: " + e.reason.removeprefix(f"{uploads.FIELD}: ")
        raise type(e)(reason) from None


def _profile(member: LocalActor, changes: CredentialChanges) -> Profile:
    """The profile with the app's changes; Mastodon answers bad values with 422."""
    name = member.display_name if changes.display_name is None else changes.display_name
    note = member.summary if changes.note is None else changes.note
    try:
        parsed = profiles.parse_profile(name, note, "", "", "")
    except Invalid as e:
        raise Unprocessable(e.reason.replace("bio:", "note:", 1)) from None
    return Profile(parsed.display_name, parsed.bio, profiles.default_place(member))


async def update_credentials(
    inst: Instance, member: LocalActor, changes: CredentialChanges
) -> LocalActor:
    """Apply the app's changes; returns the member as now stored."""
    profile = _profile(member, changes)
    fields = None if changes.fields is None else _fields(changes.fields)
    prefs = _preferences(member, changes)
    header_id = member.header_media_id
    if changes.header is not None:
        header_id = await _header(inst, member, changes.header)
    old_fields = await actors.profile_fields(inst.db, member.id)
    locked = member.manually_approves_followers if changes.locked is None else changes.locked
    bot = member.bot if changes.bot is None else changes.bot
    discoverable = member.discoverable if changes.discoverable is None else changes.discoverable
    settings_seen = (
        header_id,
        fields if fields is not None else old_fields,
        bot,
        locked,
        discoverable,
    ) != (
        member.header_media_id,
        old_fields,
        member.bot,
        member.manually_approves_followers,
        member.discoverable,
    )
    async with inst.db.transaction() as tx:
        await actors.set_account_settings(
            tx,
            member.id,
            header_media_id=header_id,
            fields=old_fields if fields is None else fields,
            preferences=prefs,
            bot=bot,
            locked=locked,
            discoverable=discoverable,
        )
    # update_profile sends the Update when the profile it stores changed; otherwise send it
    # here if only the settings above changed what other servers see.
    profile_seen = changes.avatar is not None or (
        profile.display_name or member.username,
        profile.bio,
    ) != (member.display_name, member.summary)
    refreshed = await actors.find_by_id(inst.db, member.id)
    assert refreshed is not None
    updated = await profiles.update_profile(inst, refreshed, profile, avatar=changes.avatar)
    if settings_seen and not profile_seen:
        await _send_update(inst, updated)
    return updated


async def _send_update(inst: Instance, member: LocalActor) -> None:
    async with inst.db.transaction() as tx:
        inboxes = await follows.follower_inboxes(tx, actor_id(inst.urls, member))
        activity = await profiles.update_activity(inst, member)
        await queue_publication(tx, inst, member, activity, inboxes)
    inst.wake_delivery.set()


async def remove_picture(inst: Instance, member: LocalActor, which: str) -> LocalActor:
    """Back to the default avatar or header (`which`); other servers are told when there
    was one to remove."""
    current = member.avatar_media_id if which == "avatar" else member.header_media_id
    if current is not None:
        async with inst.db.transaction() as tx:
            if which == "avatar":
                await actors.set_avatar(tx, member.id, None)
            else:
                await actors.set_header(tx, member.id, None)
        member = await actors.find_by_id(inst.db, member.id) or member
        await _send_update(inst, member)
    return member
