"""The HTML of statuses and bios as apps get it: other servers' HTML cleaned (Mastodon's
`mention`, `hashtag`, `u-url`, `h-card`, `invisible` and `ellipsis` classes kept, so that
apps link mentions and tags and shorten long links as Mastodon does), and plain text made
into paragraphs with its links, mentions and tags linked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape

from fedishare.core.types import JSON
from fedishare.listings.sanitize import clean_html, html_to_text

# A URL, an @user[@host] mention or a #tag, each starting a word.
_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])"
    r"|(?<![\w/])@(?P<mention>\w[\w.-]*\w(?:@[\w.-]+\w)?|\w)"
    r"|(?<![\w/&])#(?P<tag>\w+)",
    re.UNICODE,
)


def content_html(document: JSON) -> str:
    """A note's `content` (or its only `contentMap` entry) cleaned; an object with only a
    plain-text `source` gets that text as paragraphs."""
    content = document.get("content")
    if not isinstance(content, str):
        languages = document.get("contentMap")
        if isinstance(languages, dict) and languages:
            content = next(iter(languages.values()))
    if isinstance(content, str):
        return clean_html(content)
    source = document.get("source")
    if isinstance(source, dict) and isinstance(source.get("content"), str):
        return plain_html(source["content"], tag_base="")
    return ""


def text_of(html: object) -> str:
    """Plain text of HTML (a content warning, a bio), '' for anything else."""
    return html_to_text(html) if isinstance(html, str) else ""


def plain_html(text: str, *, tag_base: str, mentions: Mapping[str, str] | None = None) -> str:
    """Paragraphs (blank lines) and line breaks of `text`, with URLs linked, `#tags` linked
    to `{tag_base}/tags/NAME` and the `@handles` found in `mentions` (handle without '@' to
    profile URL) linked as Mastodon marks them up."""
    known = {k.lower(): v for k, v in (mentions or {}).items()}
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [_linked(line.strip(), tag_base, known) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            out.append(f"<p>{'<br>'.join(lines)}</p>")
    return "".join(out)


def _linked(line: str, tag_base: str, mentions: Mapping[str, str]) -> str:
    parts: list[str] = []
    at = 0
    for match in _TOKEN.finditer(line):
        parts.append(escape(line[at : match.start()]))
        parts.append(_link(match, tag_base, mentions))
        at = match.end()
    parts.append(escape(line[at:]))
    return "".join(parts)


def _link(match: re.Match[str], tag_base: str, mentions: Mapping[str, str]) -> str:
    whole = escape(match.group(0))
    if match.group("url"):
        url = escape(match.group("url"))
        return f'<a href="{url}" rel="nofollow noopener noreferrer" target="_blank">{url}</a>'
    if match.group("tag"):
        name = match.group("tag")
        href = escape(f"{tag_base}/tags/{name.lower()}")
        return (
            f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{escape(name)}</span></a>'
        )
    handle = match.group("mention")
    profile = mentions.get(handle.lower())
    if profile is None:
        return whole
    user = escape(handle.split("@")[0])
    return (
        f'<span class="h-card"><a href="{escape(profile)}" class="u-url mention">'
        f"@<span>{user}</span></a></span>"
    )
