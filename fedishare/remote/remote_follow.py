"""Remote follow: someone on another server follows one of our actors from their own account.

Their server's WebFinger document for their account carries a link
`http://ostatus.org/schema/1.0/subscribe` whose `template` holds `{uri}` (Mastodon's is
`https://HOST/authorize_interaction?uri={uri}`); filled with our actor's id, it is the page
where they confirm the follow.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fedishare.context import Instance
from fedishare.core.errors import Invalid, Unprocessable
from fedishare.federation.errors import FetchError
from fedishare.remote.webfinger import WebFingerError, account_document, split_handle

SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"


def subscribe_template(jrd: dict[str, Any]) -> str | None:
    """The subscribe link's template, if the document has one that takes a URI."""
    links = jrd.get("links")
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != SUBSCRIBE_REL:
            continue
        template = link.get("template")
        if isinstance(template, str) and "{uri}" in template:
            return template
    return None


async def follow_page(inst: Instance, handle: str, uri: str) -> str:
    """Where `handle` (``@user@host``) confirms following `uri`, on their own server.

    Raises Invalid for a malformed handle, Unprocessable when their server does not know
    the account, cannot be reached, or offers no remote follow; each names the field
    `account`."""
    try:
        user, host = split_handle(handle)
    except WebFingerError:
        raise Invalid("account: write your account as @you@your.server") from None
    try:
        jrd = await account_document(inst, handle)
    except FetchError as e:
        if e.status in (404, 410):
            raise Unprocessable(f"account: {host} has no account @{user}@{host}") from None
        raise Unprocessable(f"account: cannot ask {host} about @{user}@{host}") from None
    template = subscribe_template(jrd)
    if template is None:
        raise Unprocessable(f"account: {host} offers no way to follow from @{user}@{host}")
    page = template.replace("{uri}", quote(uri, safe=""))
    if not page.startswith(("https://", "http://")):
        raise Unprocessable(f"account: {host} gives no web address to follow from")
    return page
