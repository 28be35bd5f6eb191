"""Every refusal's HTTP answer, in one table: the routes (through Starlette's exception
handler) and the inbox's raw ASGI path answer from here alike.

A body is `{"error": REASON}`; the first class in the table that the error is an instance of
gives the status, so a subclass listed before its base answers differently.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fedishare.core.errors import (
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    RateLimited,
    Refusal,
    TooLarge,
    Unauthenticated,
    Unavailable,
    Unprocessable,
    WrongMethod,
)
from fedishare.federation.errors import MalformedSignature, SignatureError
from fedishare.federation.message_signatures import ACCEPT_SIGNATURE
from fedishare.storage.database import Unwritable

Headers = Callable[[Exception], Mapping[str, str]]


def _none(exc: Exception) -> Mapping[str, str]:
    return {}


def _accept_signature(exc: Exception) -> Mapping[str, str]:
    """What a signature failure asks the sender for instead (RFC 9421 §5.1)."""
    return {"Accept-Signature": ACCEPT_SIGNATURE}


def _bearer(exc: Exception) -> Mapping[str, str]:
    return {"WWW-Authenticate": "Bearer"}


def _allow(exc: Exception) -> Mapping[str, str]:
    return {"Allow": exc.allowed} if isinstance(exc, WrongMethod) and exc.allowed else {}


def _retry_after(exc: Exception) -> Mapping[str, str]:
    return {"Retry-After": str(max(1, math.ceil(_wait(exc))))}


def _wait(exc: BaseException | None) -> float:
    """The error's `retry_after` (RateLimited, Unwritable), or that of what caused it (a
    full disk behind the inbox's StoreUnavailable); else a second."""
    while exc is not None:
        if isinstance(exc, RateLimited | Unwritable):
            return exc.retry_after
        exc = exc.__cause__
    return 1.0


def _unwritable(exc: Exception) -> str:
    """The reason for a write the database could not take (a full disk, a lock held too
    long): short, and the same whatever the route."""
    return f"the instance cannot store this now ({exc}); try again later"


# (error class, status, extra headers), most specific first.
STATUSES: tuple[tuple[type[Exception], int, Headers], ...] = (
    (MalformedSignature, 400, _accept_signature),
    (SignatureError, 401, _accept_signature),
    (Invalid, 400, _none),
    (Unauthenticated, 401, _bearer),
    (Forbidden, 403, _none),
    (NotFound, 404, _none),
    (WrongMethod, 405, _allow),
    (Conflict, 409, _none),
    (Gone, 410, _none),
    (TooLarge, 413, _none),
    (Unprocessable, 422, _none),
    (RateLimited, 429, _retry_after),
    (Unavailable, 503, _retry_after),
    (Unwritable, 503, _retry_after),
    (Refusal, 400, _none),
)

ANSWERED: tuple[type[Exception], ...] = tuple(cls for cls, _, _ in STATUSES)


def status_of(exc: Exception) -> int:
    return _entry(exc)[1]


def headers_of(exc: Exception) -> dict[str, str]:
    """The extra headers of a refusal's answer (Retry-After, WWW-Authenticate)."""
    return dict(_entry(exc)[2](exc))


def error_response(exc: Exception) -> JSONResponse:
    """The answer to a refusal in the table (anything else is a programming error)."""
    _, status, headers = _entry(exc)
    reason = exc.reason if isinstance(exc, Refusal | SignatureError) else str(exc)
    if isinstance(exc, Unwritable):
        reason = _unwritable(exc)
    return JSONResponse({"error": reason}, status_code=status, headers=dict(headers(exc)))


async def handle_refusal(request: Request, exc: Exception) -> Response:
    """Starlette's exception handler for everything in the table."""
    return error_response(exc)


def _entry(exc: Exception) -> tuple[type[Exception], int, Headers]:
    for entry in STATUSES:
        if isinstance(exc, entry[0]):
            return entry
    raise TypeError(f"no HTTP answer for {type(exc).__name__}") from exc
