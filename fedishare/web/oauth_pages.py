"""The consent page of OAuth (`/oauth/authorize`): a member signed in on the web board sees
which app asks for which access, and authorizes or denies it. The answer goes back to the
app's redirect URI with a code (or `error=access_denied`) and the app's `state`; for
`urn:ietf:wg:oauth:2.0:oob` the code is shown on a page to copy into the app.

A request whose app or redirect URI is wrong is never sent anywhere: it is shown as a page.
Other mistakes go back to the app, as RFC 6749 (4.1.2.1) says."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.accounts import sessions
from fedishare.http.requests import instance_of
from fedishare.oauth import apps, grants
from fedishare.oauth.errors import OAuthError
from fedishare.storage.oauth_apps import OAuthApp
from fedishare.web.form_fields import text
from fedishare.web.pages import render, see_other
from fedishare.web.session import (
    check_csrf,
    clear_session_cookie,
    current_session,
    login_url,
    require_member,
)

# The parameters of an authorization request, carried from the page into its form.
REQUEST_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
AUTHORIZE = "/oauth/authorize"


async def _refused(request: Request, e: OAuthError) -> Response:
    """A request that cannot go back to its app, explained on a page."""
    return await render(
        request,
        "oauth_error.html",
        status_code=401 if e.error == "invalid_client" else 400,
        error=e.error,
        description=e.description,
    )


async def _app_and_redirect(request: Request, given: Mapping[str, str]) -> tuple[OAuthApp, str]:
    app = await apps.find(instance_of(request), given.get("client_id"))
    if app is None:
        raise OAuthError("invalid_client", "No app with this client_id is registered here.")
    return app, grants.redirect_uri_for(app, given.get("redirect_uri"))


def _send_back(redirect_uri: str, params: dict[str, str]) -> Response:
    return RedirectResponse(grants.redirect_with(redirect_uri, params), status_code=303)


async def _checked(
    request: Request, given: Mapping[str, str]
) -> grants.AuthorizationRequest | Response:
    """The checked request, or the answer that refuses it."""
    try:
        app, redirect_uri = await _app_and_redirect(request, given)
    except OAuthError as e:
        return await _refused(request, e)
    try:
        return grants.check_request(
            app,
            redirect_uri,
            response_type=given.get("response_type"),
            scope=given.get("scope"),
            state=given.get("state"),
            code_challenge=given.get("code_challenge"),
            code_challenge_method=given.get("code_challenge_method"),
        )
    except OAuthError as e:
        if redirect_uri == apps.OOB:
            return await _refused(request, e)
        return _send_back(
            redirect_uri,
            {"error": e.error, "error_description": e.description, "state": given.get("state", "")},
        )


async def authorize_page(request: Request) -> Response:
    given = dict(request.query_params)
    checked = await _checked(request, given)
    if isinstance(checked, Response):
        return checked
    member = await require_member(request)  # not signed in: the log-in page, then back here
    here = AUTHORIZE + "?" + request.url.query
    return await render(
        request,
        "oauth_authorize.html",
        app=checked.app,
        scopes=checked.scopes,
        fields={name: given.get(name, "") for name in REQUEST_FIELDS},
        handle=f"{member.username}@{instance_of(request).config.instance.domain}",
        force_login=given.get("force_login", "").lower() in ("true", "1", "yes"),
        here=here,
    )


async def authorize(request: Request) -> Response:
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    given = {name: text(form, name) for name in REQUEST_FIELDS}
    checked = await _checked(request, given)
    if isinstance(checked, Response):
        return checked
    if text(form, "decision") != "authorize":
        if checked.out_of_band:
            return await render(request, "oauth_code.html", app=checked.app, code="")
        return _send_back(
            checked.redirect_uri,
            {
                "error": "access_denied",
                "error_description": "The member denied the request.",
                "state": checked.state,
            },
        )
    code = await grants.authorize(instance_of(request), checked, member)
    if checked.out_of_band:
        return await render(request, "oauth_code.html", app=checked.app, code=code)
    return _send_back(checked.redirect_uri, {"code": code, "state": checked.state})


async def switch_account(request: Request) -> Response:
    """Log out of this browser and log in again as someone else, then back to the consent
    page (what `force_login` asks for)."""
    form = await request.form()
    await check_csrf(request, form)
    back = text(form, "next")
    if not back.startswith(AUTHORIZE + "?"):
        back = AUTHORIZE
    session = await current_session(request)
    if session is not None:
        await sessions.end(instance_of(request), session)
    response = see_other(login_url(back))
    clear_session_cookie(request, response)
    return response


routes: list[BaseRoute] = [
    Route(AUTHORIZE, authorize_page, methods=["GET"]),
    Route(AUTHORIZE, authorize, methods=["POST"]),
    Route("/oauth/authorize/switch", switch_account, methods=["POST"]),
]
