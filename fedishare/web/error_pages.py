"""Refusals answered to browsers as pages, and to everything else as the JSON of
`fedishare.http.errors` (one table gives the status either way)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from fedishare.core.errors import NotFound, Refusal, WrongMethod
from fedishare.http.errors import error_response, headers_of, status_of
from fedishare.web.pages import render, see_other
from fedishare.web.session import LoginRequired, login_url

# Paths only programs call (Mastodon apps, which parse `{"error": ...}` whatever they accept).
_API_PATHS = ("/api/", "/oauth/token", "/oauth/revoke", "/oauth/userinfo")


def is_api(request: Request) -> bool:
    return request.url.path.startswith(_API_PATHS)


def wants_html(request: Request) -> bool:
    if is_api(request):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept.split(",")[0]


async def handle(request: Request, exc: Exception) -> Response:
    if isinstance(exc, LoginRequired) and request.method in ("GET", "HEAD"):
        return see_other(login_url(exc.next_url))
    if not wants_html(request):
        return error_response(exc)
    status = status_of(exc)
    reason = exc.reason if isinstance(exc, Refusal) else str(exc)
    response = await render(request, "error.html", status_code=status, status=status, reason=reason)
    response.headers.update(headers_of(exc))
    return response


async def no_such_page(request: Request, exc: Exception) -> Response:
    """An address no route matches: answered like any other NotFound (in Mastodon's words
    under the API)."""
    reason = "Record not found" if is_api(request) else "there is no page at this address"
    return await handle(request, NotFound(reason))


async def wrong_method(request: Request, exc: Exception) -> Response:
    """A method the address does not take: 405 with its Allow header, as JSON under the API."""
    allowed = exc.headers.get("Allow", "") if isinstance(exc, HTTPException) and exc.headers else ""
    return await handle(
        request, WrongMethod("this address does not take " + request.method, allowed)
    )
