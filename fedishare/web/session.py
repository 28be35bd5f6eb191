"""Who is using a page: the session cookie, the signed-in member, and the CSRF check that
every form post passes.

Signed-in forms carry their session's token. Forms shown before anyone signs in (log-in,
sign-up) carry a token that must equal a random cookie set with the page (double submit);
either way a post from another site, which can neither read our pages nor our cookies,
fails the check.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from fedishare.accounts import sessions
from fedishare.accounts.sessions import Session
from fedishare.context import Instance
from fedishare.core.errors import Forbidden, Unauthenticated
from fedishare.storage.actors import LocalActor

SESSION_COOKIE = "fedishare_session"
FORM_COOKIE = "fedishare_form"  # the anonymous forms' CSRF cookie
CSRF_FIELD = "csrf_token"
_STATE = "web_session"


class LoginRequired(Unauthenticated):
    """A page for members only, asked for by someone not signed in: they are sent to the
    log-in page, and back here afterwards."""

    def __init__(self, next_url: str) -> None:
        super().__init__("log in to see this page")
        self.next_url = next_url


async def current_session(request: Request) -> Session | None:
    """The request's session, looked up once per request."""
    if _STATE not in request.scope:
        inst: Instance = request.state.instance
        cookie = request.cookies.get(SESSION_COOKIE, "")
        request.scope[_STATE] = await sessions.find(inst, cookie)
    found: Session | None = request.scope[_STATE]
    return found


async def current_member(request: Request) -> LocalActor | None:
    session = await current_session(request)
    return None if session is None else session.member


async def require_member(request: Request) -> LocalActor:
    """The signed-in member, or LoginRequired."""
    member = await current_member(request)
    if member is None:
        raise LoginRequired(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
    return member


async def require_admin(request: Request) -> LocalActor:
    member = await require_member(request)
    if not member.is_admin:
        raise Forbidden("only an admin of this instance may do this")
    return member


def login_url(next_url: str) -> str:
    return "/login?next=" + quote(next_url, safe="/")


async def csrf_token(request: Request) -> str:
    """The token for forms on this page: the session's, or the anonymous form cookie's (made
    now if the browser has none; `remember_form_token` sets it on the response)."""
    session = await current_session(request)
    if session is not None:
        return session.csrf_token
    token = request.cookies.get(FORM_COOKIE) or request.scope.get(FORM_COOKIE)
    if not token:
        token = secrets.token_urlsafe(24)
        request.scope[FORM_COOKIE] = token
    return str(token)


def remember_form_token(request: Request, response: Response) -> None:
    """Set the anonymous form cookie if this request made one."""
    token = request.scope.get(FORM_COOKIE)
    if token and not request.cookies.get(FORM_COOKIE):
        response.set_cookie(
            FORM_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/"
        )


async def check_csrf(request: Request, form: FormData) -> None:
    """Refuse a form post whose token is not this browser's."""
    sent = form.get(CSRF_FIELD)
    session = await current_session(request)
    expected = session.csrf_token if session is not None else request.cookies.get(FORM_COOKIE)
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise Forbidden("this form has expired; reload the page and send it again")


def set_session_cookie(request: Request, response: Response, cookie: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=sessions.IDLE_DAYS * 86_400,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request), path="/"
    )


def _secure(request: Request) -> bool:
    inst: Instance = request.state.instance
    return inst.config.instance.scheme == "https"
