"""CORS for the client API, so that web apps served from their own sites (Elk at elk.zone,
Phanpy at phanpy.social) can call this instance from the browser, as they call Mastodon.

Paths as Mastodon opens them: `/api/`, `/oauth/`, `/.well-known/` and `/nodeinfo/`. Any origin
is allowed and no credentials: the API is authorised by bearer tokens, never by cookies, and
without `Access-Control-Allow-Credentials` a browser sends no cookie with a cross-site
request whose answer it lets a page read, so the web board's session is never exposed.
A preflight (`OPTIONS`) is answered here, before routing, with 204.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/nodeinfo/")
ALLOW_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
# What apps send besides the CORS-safe headers; a preflight asking for others gets them too
# (Mastodon allows any), so this list is only the answer to a preflight that names none.
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, Accept, Accept-Language"
# Pagination and rate-limit headers a page's script may read (as Mastodon exposes them).
EXPOSE_HEADERS = "Link, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-Request-Id"
MAX_AGE = "86400"  # seconds a browser may keep a preflight's answer
# A header list as a browser writes it: names of token characters, separated by commas.
_HEADER_LIST = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*")


def applies(path: str) -> bool:
    return path.startswith(PREFIXES) or path == "/nodeinfo"


def _requested_headers(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"access-control-request-headers":
            text = value.decode("latin-1").strip()
            return value.strip() if _HEADER_LIST.fullmatch(text) else None
    return None


class Cors:
    """ASGI middleware: CORS headers on every HTTP answer under the API's paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not applies(scope["path"]):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await self._preflight(scope, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = "*"
                headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, scope: Scope, send: Send) -> None:
        allow_headers = _requested_headers(scope) or ALLOW_HEADERS.encode("latin-1")
        headers = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", ALLOW_METHODS.encode("latin-1")),
            (b"access-control-allow-headers", allow_headers),
            (b"access-control-expose-headers", EXPOSE_HEADERS.encode("latin-1")),
            (b"access-control-max-age", MAX_AGE.encode("latin-1")),
            (b"vary", b"Access-Control-Request-Headers"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
