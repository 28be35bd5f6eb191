"""Custom emojis that other servers' documents carry (`tag` entries of type Emoji), as
Mastodon's CustomEmoji, so that apps draw `:shortcode:` as its image."""

from __future__ import annotations

from fedishare.core.types import JSON


def link_of(value: object) -> str | None:
    """The URL of an ActivityStreams link value: a string, a Link or Image with `url` or
    `href`, or the first usable one of a list."""
    if isinstance(value, str):
        return value if value.startswith(("https://", "http://")) else None
    if isinstance(value, list):
        return next((u for u in map(link_of, value) if u is not None), None)
    if isinstance(value, dict):
        return link_of(value.get("url")) or link_of(value.get("href"))
    return None


def tags_of(document: JSON, kind: str) -> list[JSON]:
    tags = document.get("tag")
    if isinstance(tags, dict):
        tags = [tags]
    if not isinstance(tags, list):
        return []
    return [t for t in tags if isinstance(t, dict) and t.get("type") == kind]


def emojis_of(document: JSON) -> list[JSON]:
    found: dict[str, JSON] = {}
    for tag in tags_of(document, "Emoji"):
        name, url = tag.get("name"), link_of(tag.get("icon"))
        if not isinstance(name, str) or url is None:
            continue
        code = name.strip(":")
        if code and code not in found:
            found[code] = {
                "shortcode": code,
                "url": url,
                "static_url": url,
                "visible_in_picker": False,
            }
    return list(found.values())
