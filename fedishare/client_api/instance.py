"""What an app asks a server before anything else: `/api/v2/instance` (and v1, which older
apps and Mastodon.py still read), its rules, peers and custom emojis.

Apps size their compose screens from `configuration` (characters, photos per post, which
image types and how large), open the streaming socket at `urls.streaming`, and decide from
`version` which API they may use: "4.3.0 (compatible; fedishare X.Y.Z)" says Mastodon 4.3,
as GoToSocial and Takahe do, so that apps enable v2 filters, v2 media and the like.
Everything here is read from instance.toml and the modules that enforce the limits, so the
numbers advertised are the numbers applied.
"""

from __future__ import annotations

import asyncio
import html
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare import __version__
from fedishare.accounts.credentials import MAX_FIELD_TEXT, MAX_FIELDS
from fedishare.accounts.profiles import MAX_BIO, MAX_DISPLAY_NAME
from fedishare.client_api.entities.account import render_account
from fedishare.client_api.entities.times import mastodon_time
from fedishare.context import Instance
from fedishare.core.listing import MAX_IMAGES
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.http.requests import instance_of
from fedishare.listings.validation import MAX_ALT
from fedishare.media.processing import FORMATS, MAX_PIXELS
from fedishare.storage import actors, stats

# The Mastodon API version whose shapes fedishare answers with.
MASTODON_VERSION = "4.3.0"
API_VERSIONS = {"mastodon": 2}  # Mastodon 4.3's: v2 filters, v2 media, grouped notifications
LANGUAGES = ["en"]

# Mastodon counts every link as this many characters, whatever its length.
CHARACTERS_RESERVED_PER_URL = 23
# The photo formats media.processing decodes, as the MIME types apps filter their pickers by.
_MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# fedishare has no polls; Mastodon's own limits are advertised so that apps that read them
# unconditionally keep working, and a post with a poll is refused by posting.
_POLLS = {
    "max_options": 4,
    "max_characters_per_option": 50,
    "min_expiration": 300,
    "max_expiration": 2_629_746,
}


def version_text() -> str:
    return f"{MASTODON_VERSION} (compatible; fedishare {__version__})"


def _streaming_url(inst: Instance) -> str:
    scheme = "wss" if inst.config.instance.scheme == "https" else "ws"
    return f"{scheme}://{inst.config.instance.domain}"


def _thumbnail_url(inst: Instance) -> str:
    return f"{inst.urls.base}/avatars/group.png"


def _statuses(inst: Instance) -> JSON:
    # A status may become a listing (#offer, #request, #stay), whose description may be
    # this long; posting applies the same limit to every status.
    return {
        "max_characters": inst.config.limits.max_listing_chars,
        "max_media_attachments": MAX_IMAGES,  # a listing's photos, a post's too
        "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
    }


def _media_attachments(inst: Instance) -> JSON:
    return {
        "supported_mime_types": [_MIME_TYPES[f] for f in FORMATS],
        "image_size_limit": inst.config.limits.max_upload_bytes,
        "image_matrix_limit": MAX_PIXELS,
        # No video, audio or GIF animation: a photo is re-encoded as a still JPEG.
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
        "description_limit": MAX_ALT,
    }


def _rules(inst: Instance) -> list[JSON]:
    return [
        {"id": str(n), "text": text, "hint": ""}
        for n, text in enumerate(inst.config.community.rules, start=1)
    ]


async def _contact(inst: Instance) -> JSON | None:
    """The first admin's account (apps show it as whom to ask), or None without one."""
    admins = [m for m in await actors.list_members(inst.db) if m.is_admin and not m.disabled]
    if not admins:
        return None
    first = min(admins, key=lambda m: m.id)
    return await render_account(inst, actor_id(inst.urls, first))


async def instance_v2(request: Request) -> Response:
    inst = instance_of(request)
    config = inst.config
    usage = await stats.usage(inst.db, inst.clock())
    policy = config.registration
    body: JSON = {
        "domain": config.instance.domain,
        "title": config.community.name,
        "version": version_text(),
        # No public repository address is configured; the instance itself is the nearest truth.
        "source_url": f"{inst.urls.base}/",
        "description": config.community.description,
        "usage": {"users": {"active_month": usage.active_month}},
        "thumbnail": {"url": _thumbnail_url(inst), "blurhash": None, "versions": {}},
        "icon": [],
        "languages": LANGUAGES,
        "configuration": {
            "urls": {
                "streaming": _streaming_url(inst),
                "status": None,
                "about": f"{inst.urls.base}/",
                "privacy_policy": None,
                "terms_of_service": None,
            },
            "vapid": {"public_key": ""},
            "accounts": {
                "max_featured_tags": 0,
                "max_pinned_statuses": 0,
                "max_display_name_length": MAX_DISPLAY_NAME,
                "max_note_length": MAX_BIO,
                "max_profile_fields": MAX_FIELDS,
                "profile_field_name_limit": MAX_FIELD_TEXT,
                "profile_field_value_limit": MAX_FIELD_TEXT,
            },
            "statuses": _statuses(inst),
            "media_attachments": _media_attachments(inst),
            "polls": _POLLS,
            "translation": {"enabled": False},
            "limited_federation": bool(config.federation.allow),
        },
        "registrations": {
            "enabled": policy != "closed",
            "approval_required": policy == "approval",
            "reason_required": policy == "approval",
            "message": None,
            "min_age": None,
            "url": f"{inst.urls.base}/signup" if policy != "closed" else None,
        },
        "api_versions": API_VERSIONS,
        # Mastodon sends "" when the operator set no contact address; instance.toml has none.
        "contact": {"email": "", "account": await _contact(inst)},
        "rules": _rules(inst),
    }
    return JSONResponse(body)


async def instance_v1(request: Request) -> Response:
    inst = instance_of(request)
    config = inst.config
    usage = await stats.usage(inst.db, inst.clock())
    policy = config.registration
    v1_configuration = {
        "accounts": {"max_featured_tags": 0},
        "statuses": _statuses(inst),
        "media_attachments": _media_attachments(inst),
        "polls": _POLLS,
    }
    body: JSON = {
        "uri": config.instance.domain,
        "title": config.community.name,
        "short_description": config.community.description,
        "description": config.community.description,
        "email": "",
        "version": version_text(),
        "urls": {"streaming_api": _streaming_url(inst)},
        "stats": {
            "user_count": usage.members,
            "status_count": usage.local_listings,
            "domain_count": len(await _peers(inst)),
        },
        "thumbnail": _thumbnail_url(inst),
        "languages": LANGUAGES,
        "registrations": policy != "closed",
        "approval_required": policy == "approval",
        "invites_enabled": False,
        "configuration": v1_configuration,
        "contact_account": await _contact(inst),
        "rules": _rules(inst),
    }
    return JSONResponse(body)


async def _peers(inst: Instance) -> list[str]:
    """The hosts this instance has met, less those blocked (they are not peers)."""
    return [h for h in await stats.known_hosts(inst.db) if inst.domains.permits(h)]


async def peers(request: Request) -> Response:
    return JSONResponse(await _peers(instance_of(request)))


async def activity(request: Request) -> Response:
    # Weekly activity is not kept; Mastodon answers [] too when it is turned off.
    return JSONResponse([])


async def rules(request: Request) -> Response:
    inst = instance_of(request)
    return JSONResponse(_rules(inst))


async def _description_updated(inst: Instance) -> datetime:
    """When instance.toml (where the description lives) last changed."""
    try:
        stat = await asyncio.to_thread(inst.config.path.stat)
    except OSError:
        return inst.clock()
    return datetime.fromtimestamp(stat.st_mtime).astimezone()


async def extended_description(request: Request) -> Response:
    inst = instance_of(request)
    community = inst.config.community
    content = f"<p>{html.escape(community.description)}</p>"
    if community.rules:
        items = "".join(f"<li>{html.escape(rule)}</li>" for rule in community.rules)
        content += f"<ol>{items}</ol>"
    updated = await _description_updated(inst)
    return JSONResponse({"updated_at": mastodon_time(updated), "content": content})


async def translation_languages(request: Request) -> Response:
    # No translation service: no language pairs.
    return JSONResponse({})


async def custom_emojis(request: Request) -> Response:
    # fedishare has no custom emojis of its own; remote ones arrive with each status.
    return JSONResponse([])


routes: list[BaseRoute] = [
    Route("/api/v2/instance", instance_v2, methods=["GET"]),
    Route("/api/v1/instance", instance_v1, methods=["GET"]),
    # Mastodon.py asks with a trailing slash, which Mastodon answers as it is.
    Route("/api/v2/instance/", instance_v2, methods=["GET"]),
    Route("/api/v1/instance/", instance_v1, methods=["GET"]),
    Route("/api/v1/instance/peers", peers, methods=["GET"]),
    Route("/api/v1/instance/activity", activity, methods=["GET"]),
    Route("/api/v1/instance/rules", rules, methods=["GET"]),
    Route("/api/v1/instance/extended_description", extended_description, methods=["GET"]),
    Route("/api/v1/instance/translation_languages", translation_languages, methods=["GET"]),
    Route("/api/v1/custom_emojis", custom_emojis, methods=["GET"]),
]
