"""A Mastodon app signing in to the site under test by OAuth, as Ice Cubes or Elk does:
registered with `POST /api/v1/apps`, its redirect URI a small HTTP server on loopback that
records what the browser brings back to it, its code exchanged with a PKCE verifier at
`/oauth/token`. Every API answer is validated against Mastodon's schema."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from tests.browser.site import Site
from tests.client_api.schema import check

OOB = "urn:ietf:wg:oauth:2.0:oob"
# How long the redirect target waits for a request the browser has already been sent on.
ARRIVAL_TIMEOUT = 10.0

# What the browser shows once it is back "in the app": a page of its own, valid and quiet.
_BACK_IN_THE_APP = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Back in the app'
    b"</title></head><body><main><h1>Back in the app</h1></main></body></html>"
)


@dataclass
class RedirectTarget:
    """The app's end of the redirect: an HTTP server on 127.0.0.1 that answers every request
    with a small page and keeps the query of each request to `/callback`."""

    port: int = 0
    received: asyncio.Queue[dict[str, str]] = field(default_factory=asyncio.Queue)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    def forget(self) -> None:
        """Drop what earlier tests brought back."""
        while not self.received.empty():
            self.received.get_nowait()

    async def arrival(self) -> dict[str, str]:
        """The query of the next request to `/callback` (the browser has been sent there)."""
        return await asyncio.wait_for(self.received.get(), ARRIVAL_TIMEOUT)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode("latin-1")
            while (await reader.readline()).strip():
                pass  # the headers: nothing in them matters here
            parts = request_line.split()
            if len(parts) == 3:
                target = urlsplit(parts[1])
                if target.path == "/callback":
                    self.received.put_nowait(dict(parse_qsl(target.query)))
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                + f"Content-Length: {len(_BACK_IN_THE_APP)}\r\n".encode()
                + b"Connection: close\r\n\r\n"
                + _BACK_IN_THE_APP
            )
            await writer.drain()
        finally:
            writer.close()


@asynccontextmanager
async def redirect_target() -> AsyncIterator[RedirectTarget]:
    target = RedirectTarget()
    server = await asyncio.start_server(target.serve, "127.0.0.1", 0)
    target.port = server.sockets[0].getsockname()[1]
    async with server:
        yield target


@dataclass(frozen=True)
class App:
    name: str
    client_id: str
    client_secret: str


async def register_app(
    site: Site, name: str, redirect_uris: Sequence[str], scopes: str = "read write follow"
) -> App:
    """`POST /api/v1/apps` as Mastodon's apps send it (redirect URIs one a line)."""
    async with httpx.AsyncClient(base_url=site.url) as client:
        response = await client.post(
            "/api/v1/apps",
            json={
                "client_name": name,
                "redirect_uris": "\n".join(redirect_uris),
                "scopes": scopes,
                "website": "https://pocket-reader.example/",
            },
        )
    made = check(response, "POST", "/api/v1/apps")
    assert response.status_code == 200, made
    return App(name, made["client_id"], made["client_secret"])


def pkce() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_path(
    app: App, redirect_uri: str, challenge: str, *, scope: str = "read write follow"
) -> str:
    """The page the app opens in the browser to ask for access."""
    return "/oauth/authorize?" + urlencode(
        {
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": "xyz",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )


async def exchange(
    site: Site, app: App, code: str, redirect_uri: str, verifier: str
) -> dict[str, Any]:
    """The token for an authorization code, as the app gets it at `/oauth/token`."""
    async with httpx.AsyncClient(base_url=site.url) as client:
        response = await client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "redirect_uri": redirect_uri,
                "code": code,
                "code_verifier": verifier,
            },
        )
    token: dict[str, Any] = check(response, "POST", "/oauth/token")
    assert response.status_code == 200, token
    return token


async def verify_credentials(site: Site, access_token: str) -> httpx.Response:
    """`GET /api/v1/accounts/verify_credentials` with the token, validated, any status."""
    async with httpx.AsyncClient(base_url=site.url) as client:
        response = await client.get(
            "/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {access_token}"},
        )
    check(response, "GET", "/api/v1/accounts/verify_credentials")
    return response
