"""OAuth 2 as Mastodon apps speak it: registering an app (`POST /api/v1/apps`), checking its
credentials, the token endpoint (authorization code with PKCE, client credentials, password),
revocation (RFC 7009), the server's metadata (RFC 8414) and the signed-in member's OIDC-style
user info. The consent page itself is a web page (`fedishare.web.oauth_pages`).

Parameters come as JSON, a form or a query string alike; client credentials in the body or by
HTTP Basic. Refusals of the OAuth endpoints are OAuth's `{"error", "error_description"}`,
401 for an unknown client and 400 otherwise, as Doorkeeper answers them."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.accounts import passwords
from fedishare.client_api.auth import bearer_token, require_member
from fedishare.client_api.entities.application import application_json, command_line_application
from fedishare.client_api.params import Params, read_params
from fedishare.core.errors import Unauthenticated
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.http.requests import instance_of
from fedishare.oauth import apps, grants, scopes, tokens
from fedishare.oauth.errors import OAuthError, invalid_grant, invalid_request
from fedishare.oauth.tokens import IssuedToken
from fedishare.storage.oauth_apps import OAuthApp

GRANT_TYPES = ("authorization_code", "client_credentials", "password")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(e: OAuthError, *, basic: bool = False) -> JSONResponse:
    status = {"invalid_client": 401, "unauthorized_client": 403}.get(e.error, 400)
    headers = dict(_NO_STORE)
    if status == 401 and basic:
        headers["WWW-Authenticate"] = 'Basic realm="fedishare"'
    return JSONResponse(
        {"error": e.error, "error_description": e.description}, status_code=status, headers=headers
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """Client id and secret from `Authorization: Basic` (each form-urlencoded first, as
    RFC 6749 section 2.3.1 says)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise invalid_request("the Basic credentials are not base64") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise invalid_request("the Basic credentials have no secret")
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


async def _client(request: Request, p: Params) -> OAuthApp:
    basic = _basic_credentials(request)
    client_id, secret = basic or (p.text("client_id"), p.text("client_secret"))
    return await apps.authenticate(instance_of(request), client_id, secret)


def token_json(issued: IssuedToken) -> JSON:
    return {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": issued.scope,
        "created_at": int(issued.created_at),
    }


# --- apps ------------------------------------------------------------------------------------


async def create_app(request: Request) -> Response:
    async with read_params(request) as p:
        registered = await apps.register(
            instance_of(request),
            name=p.text("client_name"),
            redirect_uris_given=p.texts("redirect_uris"),
            scopes_text=p.text("scopes"),
            website=p.text("website"),
        )
    return JSONResponse(application_json(registered.app, registered.client_secret))


async def verify_app(request: Request) -> Response:
    """Any working token of an app (since Mastodon 4.3 whatever its scopes)."""
    inst = instance_of(request)
    text = bearer_token(request)
    found = None if text is None else await tokens.lookup(inst, text)
    if found is None:
        raise Unauthenticated("The access token is invalid")
    app = None if found.app_id is None else await apps.of_id(inst, found.app_id)
    if app is None:
        return JSONResponse(command_line_application(found.scopes.split()))
    return JSONResponse(application_json(app))


# --- tokens ----------------------------------------------------------------------------------


async def _grant(request: Request, p: Params, app: OAuthApp, grant_type: str) -> IssuedToken:
    inst = instance_of(request)
    if grant_type == "authorization_code":
        return await grants.exchange_code(
            inst,
            app,
            code=p.text("code"),
            redirect_uri=p.text("redirect_uri"),
            code_verifier=p.text("code_verifier"),
        )
    if grant_type == "client_credentials":
        return await grants.client_credentials(inst, app, p.text("scope"))
    username, password = p.text("username") or "", p.text("password") or ""
    if not username or not password:
        raise invalid_request("username and password are required")
    address = request.client.host if request.client else ""
    try:
        # `username` may be an address such as alice@oak.example: Mastodon apps ask for an
        # email here, and fedishare keeps none, so the part before the @ is the name.
        member = await passwords.log_in(inst, username, password, address)
    except Unauthenticated as e:
        raise invalid_grant(e.reason) from None
    return await grants.password(inst, app, member, p.text("scope"))


async def token(request: Request) -> Response:
    basic = False
    try:
        async with read_params(request) as p:
            grant_type = p.text("grant_type")
            if not grant_type:
                raise invalid_request("the grant_type parameter is missing")
            if grant_type not in GRANT_TYPES:
                raise OAuthError(
                    "unsupported_grant_type",
                    f"The grant type {grant_type!r} is not supported; use one of "
                    + ", ".join(GRANT_TYPES)
                    + ".",
                )
            basic = request.headers.get("authorization", "").lower().startswith("basic ")
            app = await _client(request, p)
            issued = await _grant(request, p, app, grant_type)
    except OAuthError as e:
        return _oauth_error(e, basic=basic)
    return JSONResponse(token_json(issued), headers=_NO_STORE)


async def revoke(request: Request) -> Response:
    """RFC 7009: 200 whether or not the token existed."""
    try:
        async with read_params(request) as p:
            app = await _client(request, p)
            text = p.text("token")
            if not text:
                raise invalid_request("the token parameter is missing")
            await tokens.revoke_for_app(instance_of(request), app, text)
    except OAuthError as e:
        return _oauth_error(e)
    return JSONResponse({})


# --- metadata --------------------------------------------------------------------------------


async def server_metadata(request: Request) -> Response:
    base = instance_of(request).urls.base
    return JSONResponse(
        {
            "issuer": f"{base}/",
            "service_documentation": "https://docs.joinmastodon.org/api/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "userinfo_endpoint": f"{base}/oauth/userinfo",
            "scopes_supported": list(scopes.ALL),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(GRANT_TYPES),
            "code_challenge_methods_supported": [grants.S256],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )


async def userinfo(request: Request) -> Response:
    """The member behind a token with the `profile` scope, as OpenID Connect claims."""
    inst = instance_of(request)
    member = await require_member(request, "profile")
    uri = actor_id(inst.urls, member)
    return JSONResponse(
        {
            "iss": f"{inst.urls.base}/",
            "sub": uri,
            "name": member.display_name or member.username,
            "preferred_username": member.username,
            "profile": uri,
        }
    )


routes: list[BaseRoute] = [
    Route("/api/v1/apps", create_app, methods=["POST"]),
    Route("/api/v1/apps/verify_credentials", verify_app, methods=["GET"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
    Route("/oauth/userinfo", userinfo, methods=["GET", "POST"]),
    Route("/.well-known/oauth-authorization-server", server_metadata, methods=["GET"]),
]
