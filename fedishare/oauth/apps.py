"""Apps that members sign in with: registered by anyone (as on Mastodon), each with a
client id, a secret shown once and kept hashed, its redirect URIs and the scopes it may ask.

Redirect URIs are whatever the app can receive: web addresses, app schemes
(`com.tapbots.Ivory.19:/request_token`, `icecubesapp://`), or `urn:ietf:wg:oauth:2.0:oob`
for a code shown on a page. Each must be an absolute URI without a fragment, as Doorkeeper
(Mastodon's OAuth library) requires."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from fedishare.context import Instance
from fedishare.core.errors import Unprocessable
from fedishare.oauth import errors, scopes
from fedishare.storage import oauth_apps
from fedishare.storage.oauth_apps import OAuthApp
from fedishare.storage.tokens import token_hash

OOB = "urn:ietf:wg:oauth:2.0:oob"
MAX_NAME = 60
MAX_URI = 2000
MAX_REDIRECT_URIS = 20
DEFAULT_SCOPES = "read"


@dataclass(frozen=True)
class Registered:
    """A new app, with its secret: the only time the secret is known."""

    app: OAuthApp
    client_secret: str


def _failed(why: str) -> Unprocessable:
    return Unprocessable(f"Validation failed: {why}")


def redirect_uris(values: Iterable[str]) -> list[str]:
    """The URIs in `values`, each of which may hold several separated by spaces or newlines
    (Mastodon's `redirect_uris` is one text or an array)."""
    found = list(dict.fromkeys(uri for value in values for uri in value.split()))
    if not found:
        raise _failed("Redirect URI can't be blank")
    if len(found) > MAX_REDIRECT_URIS:
        raise _failed(f"Redirect URI: at most {MAX_REDIRECT_URIS}")
    for uri in found:
        if len(uri) > MAX_URI or not uri.isprintable():
            raise _failed("Redirect URI is too long or not printable")
        if uri == OOB:
            continue
        parts = urlsplit(uri)
        if not parts.scheme:
            raise _failed("Redirect URI must be an absolute URI.")
        if parts.fragment or uri.endswith("#"):
            raise _failed("Redirect URI cannot contain a fragment.")
    return found


def _website(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > MAX_URI:
        raise _failed("Website is not a valid URL")
    return value


async def register(
    inst: Instance,
    *,
    name: str | None,
    redirect_uris_given: Iterable[str],
    scopes_text: str | None,
    website: str | None,
) -> Registered:
    """A new app; Unprocessable (Mastodon's 422) when a field is wrong."""
    name = (name or "").strip()
    if not name:
        raise _failed("Name can't be blank")
    if len(name) > MAX_NAME:
        raise _failed(f"Name is too long (maximum is {MAX_NAME} characters)")
    uris = redirect_uris(redirect_uris_given)
    try:
        granted = scopes.parse(scopes_text or DEFAULT_SCOPES)
    except scopes.ScopeError:
        raise _failed("Scopes must be valid") from None
    ordered = [s for s in (scopes_text or DEFAULT_SCOPES).split() if s in granted]
    secret = secrets.token_urlsafe(32)
    async with inst.db.transaction() as tx:
        app = await oauth_apps.insert(
            tx,
            client_id=secrets.token_urlsafe(32),
            client_secret_hash=token_hash(secret),
            name=name,
            website=_website(website),
            redirect_uris=uris,
            scopes=ordered or [DEFAULT_SCOPES],
            now=inst.clock().timestamp(),
        )
    return Registered(app, secret)


async def find(inst: Instance, client_id: str | None) -> OAuthApp | None:
    if not client_id:
        return None
    return await oauth_apps.by_client_id(inst.db, client_id)


async def authenticate(
    inst: Instance, client_id: str | None, client_secret: str | None
) -> OAuthApp:
    """The app whose id and secret these are; invalid_client otherwise."""
    app = await find(inst, client_id)
    if app is None or not client_secret:
        raise errors.invalid_client()
    if not secrets.compare_digest(token_hash(client_secret), app.client_secret_hash):
        raise errors.invalid_client()
    return app


async def of_id(inst: Instance, app_id: int) -> OAuthApp | None:
    return await oauth_apps.get(inst.db, app_id)
