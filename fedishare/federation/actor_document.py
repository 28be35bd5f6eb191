"""The ActivityStreams documents of our actors, as Mastodon expects them."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from fedishare.core.types import JSON
from fedishare.core.urls import Urls
from fedishare.storage.actors import LocalActor

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
    },
]
_TYPES = {"application": "Application", "group": "Group", "person": "Person"}


def actor_id(urls: Urls, actor: LocalActor) -> str:
    return urls.actor(actor.username, application=actor.kind == "application")


def actor_document(
    urls: Urls,
    actor: LocalActor,
    *,
    rules: tuple[str, ...] = (),
    header: JSON | None = None,
    fields: Sequence[JSON] = (),
) -> JSON:
    """The actor as other servers fetch it. `header` is its banner (an Image) and `fields`
    its profile fields ({"name", "value"} as plain text), both kept apart from LocalActor."""
    aid = actor_id(urls, actor)
    kind = "Service" if actor.bot and actor.kind == "person" else _TYPES[actor.kind]
    doc: JSON = {
        "@context": CONTEXT,
        "id": aid,
        "type": kind,
        "preferredUsername": actor.username,
        "name": actor.display_name,
        "summary": _paragraphs(actor.summary),
        "url": aid,
        "inbox": f"{aid}/inbox",
        "outbox": f"{aid}/outbox",
        "followers": f"{aid}/followers",
        "following": f"{aid}/following",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": actor.discoverable and actor.kind != "application",
        "published": actor.created_at if actor.created_at.endswith("Z") else _z(actor.created_at),
        "icon": _icon(urls, actor, aid),
        "publicKey": {
            "id": Urls.key_id(aid),
            "owner": aid,
            "publicKeyPem": actor.public_key_pem,
        },
    }
    if header is not None:
        doc["image"] = header
    attachment = [
        {"type": "PropertyValue", "name": f"Rule {i}", "value": escape(rule)}
        for i, rule in enumerate(rules, start=1)
    ] + [
        {"type": "PropertyValue", "name": str(f["name"]), "value": escape(str(f["value"]))}
        for f in fields
    ]
    if attachment:
        doc["attachment"] = attachment
    return doc


def _icon(urls: Urls, actor: LocalActor, aid: str) -> JSON:
    """The member's avatar (a new URL for each upload, so that servers fetch it again), else
    the plain square of their kind."""
    if actor.avatar_media_id is not None:
        url = f"{aid}/avatar/{actor.avatar_media_id}"
        return {"type": "Image", "mediaType": "image/jpeg", "url": url}
    return {
        "type": "Image",
        "mediaType": "image/png",
        "url": f"{urls.base}/avatars/{actor.kind}.png",
    }


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n") if p.strip())


def _z(iso: str) -> str:
    return iso.replace("+00:00", "Z")
