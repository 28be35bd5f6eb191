"""The ways an app gets a token (RFC 6749): an authorization code a member approved on the
consent page (with PKCE, RFC 7636, S256 only as Mastodon), the app's own token
(client_credentials), and a member's name and password for scripts (the password itself is
checked by the caller, with the log-in throttle of `fedishare.accounts`).

Codes are single use and live ten minutes; the token endpoint must be given the same
redirect URI the code was issued for."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from fedishare.context import Instance
from fedishare.oauth import scopes
from fedishare.oauth.apps import DEFAULT_SCOPES, OOB
from fedishare.oauth.errors import OAuthError, invalid_grant, invalid_request, invalid_scope
from fedishare.oauth.tokens import IssuedToken, issue
from fedishare.storage import actors, oauth_codes
from fedishare.storage.actors import LocalActor
from fedishare.storage.oauth_apps import OAuthApp
from fedishare.storage.tokens import token_hash

CODE_SECONDS = 600
S256 = "S256"
_PKCE_TEXT = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@dataclass(frozen=True)
class AuthorizationRequest:
    """What an app asks on `/oauth/authorize`, checked."""

    app: OAuthApp
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    code_challenge: str | None

    @property
    def out_of_band(self) -> bool:
        return self.redirect_uri == OOB


def granted_scopes(app: OAuthApp, asked: str | None) -> tuple[str, ...]:
    """The scopes asked (default `read`), each within what the app registered."""
    words = (asked or "").replace("+", " ").split() or [DEFAULT_SCOPES]
    try:
        scopes.parse(words)
    except scopes.ScopeError as e:
        raise invalid_scope(str(e)) from None
    registered = frozenset(app.scope_list)
    beyond = [s for s in words if not scopes.allows(registered, s)]
    if beyond:
        raise invalid_scope(f"{beyond[0]!r} is beyond the scopes the app registered")
    return tuple(dict.fromkeys(words))


def redirect_uri_for(app: OAuthApp, given: str | None) -> str:
    """The redirect URI to use: the one given, which must be registered; with none given,
    the app's only one."""
    registered = app.redirect_uri_list
    if not given:
        if len(registered) == 1:
            return registered[0]
        raise OAuthError("invalid_redirect_uri", "The redirect_uri parameter is missing.")
    if given not in registered:
        raise OAuthError(
            "invalid_redirect_uri",
            "The redirect_uri does not match any of the app's registered redirect URIs.",
        )
    return given


def check_request(
    app: OAuthApp,
    redirect_uri: str,
    *,
    response_type: str | None,
    scope: str | None,
    state: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> AuthorizationRequest:
    """The rest of an authorization request, once its app and redirect URI are known (so
    that these refusals can go back to the app)."""
    if response_type != "code":
        raise OAuthError("unsupported_response_type", "Only the response type 'code' is supported.")
    granted = granted_scopes(app, scope)
    challenge = code_challenge or None
    if challenge is not None:
        if (code_challenge_method or "plain") != S256:
            raise invalid_request("code_challenge_method must be S256")
        if not _PKCE_TEXT.fullmatch(challenge):
            raise invalid_request("code_challenge is not a PKCE challenge")
    return AuthorizationRequest(app, redirect_uri, granted, state or "", challenge)


def s256(verifier: str) -> str:
    """The S256 challenge of a PKCE verifier: base64url of its SHA-256, unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def redirect_with(uri: str, params: dict[str, str]) -> str:
    """`uri` with `params` added to its query. Done on the text, because URL parsers drop
    the `//` of app schemes such as `icecubesapp://`."""
    given = {k: v for k, v in params.items() if v}
    if not given:
        return uri
    return uri + ("&" if "?" in uri else "?") + urlencode(given)


async def authorize(inst: Instance, request: AuthorizationRequest, member: LocalActor) -> str:
    """A code for the app, approved by `member`."""
    code = secrets.token_urlsafe(32)
    now = inst.clock().timestamp()
    async with inst.db.transaction() as tx:
        await oauth_codes.purge_expired(tx, now)
        await oauth_codes.insert(
            tx,
            code_hash=token_hash(code),
            app_id=request.app.id,
            actor_id=member.id,
            redirect_uri=request.redirect_uri,
            scopes=request.scopes,
            code_challenge=request.code_challenge,
            now=now,
            expires_at=now + CODE_SECONDS,
        )
    return code


async def exchange_code(
    inst: Instance,
    app: OAuthApp,
    *,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> IssuedToken:
    """A member's token for a code; invalid_grant if the code is unknown, used, expired,
    another app's, issued for another redirect URI, or its PKCE verifier does not match."""
    if not code:
        raise invalid_request("the code parameter is missing")
    now = inst.clock().timestamp()
    async with inst.db.transaction() as tx:
        found = await oauth_codes.take(tx, token_hash(code))
    if found is None or found.app_id != app.id:
        raise invalid_grant("the code is unknown, already used, or another app's")
    if found.expires_at <= now:
        raise invalid_grant("the code has expired")
    if redirect_uri != found.redirect_uri:
        raise invalid_grant("redirect_uri is not the one the code was issued for")
    if found.code_challenge is not None:
        if not code_verifier or not _PKCE_TEXT.fullmatch(code_verifier):
            raise invalid_grant("a PKCE code_verifier is required")
        if not secrets.compare_digest(s256(code_verifier), found.code_challenge):
            raise invalid_grant("the code_verifier does not match the code_challenge")
    member = await actors.find_by_id(inst.db, found.actor_id)
    if member is None or member.disabled or member.kind != "person":
        raise invalid_grant("the member who approved it can no longer sign in")
    return await issue(inst, app_id=app.id, actor_id=member.id, scopes=found.scopes.split())


async def client_credentials(inst: Instance, app: OAuthApp, scope: str | None) -> IssuedToken:
    """The app's own token, for calls that need no member."""
    return await issue(inst, app_id=app.id, actor_id=None, scopes=granted_scopes(app, scope))


async def password(
    inst: Instance, app: OAuthApp, member: LocalActor, scope: str | None
) -> IssuedToken:
    """A token for `member`, whose password the caller has checked."""
    granted = granted_scopes(app, scope)
    return await issue(inst, app_id=app.id, actor_id=member.id, scopes=granted)
