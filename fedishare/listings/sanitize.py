"""Cleaning HTML that other servers send, and reading its text.

One nh3 cleaner is built on first use and kept. Its configuration is tested: a bad one (e.g.
`class` both in `attributes` and `allowed_classes`) makes nh3 panic with a BaseException
that `except Exception` would not catch.
"""

from __future__ import annotations

from functools import cache
from html.parser import HTMLParser

import nh3

TAGS = frozenset(
    {"p", "br", "a", "span", "strong", "b", "em", "i", "u", "s", "del", "code", "pre",
     "blockquote", "ul", "ol", "li"}
)  # fmt: skip
# Mastodon's microformats; `class` must not also be listed in ATTRIBUTES.
CLASSES = {"a": {"mention", "hashtag", "u-url"}, "span": {"h-card", "invisible", "ellipsis"}}
ATTRIBUTES = {"a": {"href"}}
# A line break before these tags, a blank line around these blocks.
_LINES = frozenset({"br", "li"})
_BLOCKS = frozenset({"p", "blockquote", "pre", "ul", "ol"})


@cache
def cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        allowed_classes={k: set(v) for k, v in CLASSES.items()},
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def clean_html(html: str) -> str:
    return cleaner().clean(html)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0  # inside Mastodon's <span class="invisible">

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag in _LINES:
            self.parts.append("\n")
        if tag == "span" and ("class", "invisible") in attrs:
            self._hidden += 1
        elif tag == "span" and self._hidden:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        if tag == "span" and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of (cleaned) HTML: block elements become line breaks, paragraphs are
    separated by one blank line, Mastodon's invisible link parts are dropped."""
    parser = _Text()
    parser.feed(clean_html(html))
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)
