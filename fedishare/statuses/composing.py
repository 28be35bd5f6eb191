"""A status typed as plain text, made into the HTML and tags that Mastodon shows and reads:
`@user` and `@user@host` become mention links (and `Mention` tags that address the post),
`#word` hashtag links (and `Hashtag` tags), web addresses links; line breaks are kept.

Mentions are resolved here: our members directly, other servers' accounts by WebFinger.
One that cannot be resolved stays plain text, as Mastodon leaves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from fedishare.context import Instance
from fedishare.core.activitystreams import host_of
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.listings.content import tag_url
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.webfinger import resolve_handle
from fedishare.storage import actors as actor_store

MAX_MENTIONS = 20
# "@user" or "@user@host", not inside a word or an address ("me@example.org" is no mention).
MENTION = re.compile(
    r"(?<![\w@/.])@(?P<user>[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*)"
    r"(?:@(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d+)?))?"
)
HASHTAG = re.compile(r"(?<![\w#&/])#(?P<tag>\w*[^\W\d_]\w*)", re.UNICODE)
LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_TOKEN = re.compile(
    f"(?P<mention>{MENTION.pattern})|(?P<hashtag>{HASHTAG.pattern})|(?P<link>{LINK.pattern})",
    re.UNICODE,
)


@dataclass(frozen=True)
class Mentioned:
    """An account a status names: its actor id, `@user@host`, and where to link it."""

    actor: str
    handle: str  # "@user@host"
    url: str
    local_actor_id: int | None = None


@dataclass(frozen=True)
class Composed:
    html: str
    tags: list[JSON]
    mentions: list[Mentioned]
    hashtags: list[str]  # lower case, without '#', in order of appearance


def handles_in(text: str) -> list[tuple[str, str | None]]:
    """(user, host or None) of each mention in `text`, once each, in order."""
    found: dict[tuple[str, str | None], None] = {}
    for m in MENTION.finditer(text):
        host = m.group("host")
        found[(m.group("user"), host.lower() if host else None)] = None
    return list(found)[:MAX_MENTIONS]


def hashtags_in(text: str) -> list[str]:
    return list(dict.fromkeys(m.group("tag").lower() for m in HASHTAG.finditer(text)))


async def resolve(inst: Instance, user: str, host: str | None) -> Mentioned | None:
    """The account `@user[@host]` names, or None when nobody answers for it."""
    ours = host_of(inst.urls.base)
    if host is None or host == ours:
        member = await actor_store.find_by_username(inst.db, user)
        if member is None or member.kind == "application" or member.disabled:
            return None
        actor = actor_id(inst.urls, member)
        return Mentioned(actor, f"@{member.username}@{ours}", actor, member.id)
    try:
        remote_id = await resolve_handle(inst, f"{user}@{host}")
        remote = await get_remote_actor(inst, remote_id)
    except FetchError:
        return None
    return Mentioned(remote.id, f"@{remote.preferred_username}@{remote.host}", remote.id)


async def resolve_all(inst: Instance, text: str) -> dict[tuple[str, str | None], Mentioned]:
    resolved: dict[tuple[str, str | None], Mentioned] = {}
    for user, host in handles_in(text):
        found = await resolve(inst, user, host)
        if found is not None:
            resolved[(user, host)] = found
    return resolved


def compose(base: str, text: str, mentioned: dict[tuple[str, str | None], Mentioned]) -> Composed:
    """The HTML and tags of `text`, given the mentions resolved (`resolve_all`)."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [_line(base, line, mentioned) for line in block.split("\n")]
        if any(lines):
            paragraphs.append(f"<p>{'<br>'.join(lines)}</p>")
    in_order: dict[str, Mentioned] = {}
    for key in handles_in(text):
        if key in mentioned:
            in_order.setdefault(mentioned[key].actor, mentioned[key])
    tags: list[JSON] = [
        {"type": "Mention", "href": m.actor, "name": m.handle} for m in in_order.values()
    ]
    names = hashtags_in(text)
    tags += [{"type": "Hashtag", "href": tag_url(base, t), "name": f"#{t}"} for t in names]
    return Composed("".join(paragraphs), tags, list(in_order.values()), names)


def _line(base: str, line: str, mentioned: dict[tuple[str, str | None], Mentioned]) -> str:
    out, at = [], 0
    for m in _TOKEN.finditer(line):
        out.append(escape(line[at : m.start()]))
        out.append(_token(base, m, mentioned))
        at = m.end()
    out.append(escape(line[at:]))
    return "".join(out).strip()


def _token(base: str, m: re.Match[str], mentioned: dict[tuple[str, str | None], Mentioned]) -> str:
    if m.group("mention"):
        host = m.group("host")
        found = mentioned.get((m.group("user"), host.lower() if host else None))
        if found is None:
            return escape(m.group(0))
        user = escape(found.handle.split("@")[1])
        return (
            f'<span class="h-card"><a href="{escape(found.url)}" class="u-url mention">'
            f"@<span>{user}</span></a></span>"
        )
    if m.group("hashtag"):
        tag = m.group("tag")
        href = escape(tag_url(base, tag))
        return f'<a href="{href}" class="mention hashtag" rel="tag">#<span>{escape(tag)}</span></a>'
    url = m.group("link")
    return f'<a href="{escape(url)}" rel="nofollow noopener noreferrer">{escape(url)}</a>'
