"""Hashtags: the Tag entity (search results, the tag timeline's header) and the `tags` of
a status, each linking to the tag's page here, as Mastodon links to its own."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from fedishare.context import Instance
from fedishare.core.posts import hashtag_names
from fedishare.core.types import JSON


def tag_url(inst: Instance, name: str) -> str:
    return f"{inst.urls.base}/tags/{quote(name.lower(), safe='')}"


def tag_id(name: str) -> str:
    """Digits that stay the same for a tag (there is no table of tags to number them)."""
    digest = hashlib.sha256(name.lower().encode("utf-8")).digest()
    return str(int.from_bytes(digest[:6], "big"))


def render_tag(inst: Instance, name: str, *, following: bool | None = None) -> JSON:
    tag: JSON = {"id": tag_id(name), "name": name, "url": tag_url(inst, name), "history": []}
    if following is not None:
        tag["following"] = following
    return tag


def status_tags(inst: Instance, document: JSON) -> list[JSON]:
    """The Hashtag tags of a document, once each, as a status's `tags`."""
    return [{"name": name, "url": tag_url(inst, name)} for name in hashtag_names(document)]
