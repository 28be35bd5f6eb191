"""Mastodon's MediaAttachment: a member's upload (a row of `media`), or an attachment of
another server's document, which apps load from where it is (our copy when we keep one)."""

from __future__ import annotations

import mimetypes
from urllib.parse import urlsplit

from fedishare.client_api.entities.emoji import link_of
from fedishare.context import Instance
from fedishare.core.types import JSON
from fedishare.storage.media import Media

_TYPES = {"Image": "image", "Video": "video", "Audio": "audio", "Document": "unknown"}


def render_media(inst: Instance, media: Media) -> JSON:
    """An upload of ours, or our copy of another server's photo."""
    base = f"{inst.urls.base}/media/"
    if media.failed and media.remote_url:
        url = preview = media.remote_url
    else:
        url, preview = base + media.path, base + media.thumbnail_path
    return {
        "id": str(media.id),
        "type": kind_of(media.media_type, "Image"),
        "url": url,
        "preview_url": preview,
        "remote_url": media.remote_url,
        "preview_remote_url": None,
        "text_url": None,
        "meta": _meta(media.width, media.height),
        "description": media.alt or None,
        "blurhash": media.blurhash or None,
    }


def render_attachment(inst: Instance, entry: JSON, media_id: str) -> JSON | None:
    """An attachment of a document that we keep no copy of; None if it has no URL."""
    url = link_of(entry.get("url")) or link_of(entry.get("href"))
    if url is None:
        return None
    media_type = entry.get("mediaType")
    if not isinstance(media_type, str):
        media_type = mimetypes.guess_type(urlsplit(url).path)[0] or ""
    width, height = entry.get("width"), entry.get("height")
    name, blurhash = entry.get("name"), entry.get("blurhash")
    return {
        "id": media_id,
        "type": kind_of(media_type, entry.get("type")),
        "url": url,
        "preview_url": url,
        "remote_url": url,
        "preview_remote_url": None,
        "text_url": None,
        "meta": _meta(width, height),
        "description": name if isinstance(name, str) and name else None,
        "blurhash": blurhash if isinstance(blurhash, str) and blurhash else None,
    }


def kind_of(media_type: str, as_type: object) -> str:
    """Mastodon's attachment type, from the media type, else the ActivityStreams type."""
    major = media_type.split("/")[0]
    if major in ("image", "video", "audio"):
        return major
    return _TYPES.get(as_type, "unknown") if isinstance(as_type, str) else "unknown"


def _meta(width: object, height: object) -> JSON:
    if not isinstance(width, int) or not isinstance(height, int) or width <= 0 or height <= 0:
        return {}
    size: JSON = {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": width / height,
    }
    return {"original": size}
