"""Refusals raised anywhere below a route, turned into responses in one place."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class Refusal(Exception):
    """A request we will not do: an HTTP status and a short reason for whoever sent it."""

    status = 400

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if status is not None:
            self.status = status


class NotFound(Refusal):
    status = 404


class Unauthorized(Refusal):
    status = 401


class Forbidden(Refusal):
    status = 403


async def refusal_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse({"error": exc.reason}, status_code=exc.status, headers=headers)
