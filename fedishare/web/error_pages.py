"""Refusals answered to browsers as pages, and to everything else as the JSON of
`fedishare.http.errors` (one table gives the status either way)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fedishare.core.errors import NotFound, Refusal
from fedishare.http.errors import error_response, headers_of, status_of
from fedishare.web.pages import render, see_other
from fedishare.web.session import LoginRequired, login_url


def wants_html(request: Request) -> bool:
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
    """An address no route matches: answered like any other NotFound."""
    return await handle(request, NotFound("there is no page at this address"))
