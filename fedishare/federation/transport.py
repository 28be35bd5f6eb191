"""An httpx transport backed by aiohttp, for outgoing federation traffic.

httpx's own connection pool (httpcore) is the bottleneck when delivering to many inboxes: on
loopback it managed about 600 POSTs/s with 50 in flight, against several thousand for aiohttp
(see bench/fanout_transport.py). Callers keep the `httpx.AsyncClient` API and its exceptions;
only the bytes on the wire go through aiohttp. Tests pass `httpx.ASGITransport` instead.

Bodies are read whole (up to `max_response_bytes`) before the response is handed to httpx, so
`client.stream(...)` still works but does not stream. Compressed bodies are decoded here, with
the size cap applied to the decoded bytes; such responses reach httpx without their
Content-Encoding and Content-Length headers, so that httpx does not decode them twice.

Every connection goes to a public address (`fedishare.federation.addresses`) unless its host is
one of `private_hosts`: IP literals are checked before the request, names by the resolver the
connector uses, so the addresses checked are the ones connected to. A refusal raises
`ForbiddenAddress` naming the address and why. `total_timeout` bounds a whole request, so that
a peer sending its answer a byte at a time cannot hold a connection for ever.
"""

from __future__ import annotations

import functools
import socket
import ssl
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import httpx
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.http_exceptions import ContentEncodingError
from aiohttp.resolver import DefaultResolver

from fedishare.federation.addresses import PrivateHosts, ip_literal, refusal
from fedishare.federation.transport_errors import ForbiddenAddress, ResponseTooLarge

DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024
DEFAULT_TOTAL_TIMEOUT = 30.0  # seconds for one request, connecting to the last byte

# The codings aiohttp decodes without optional packages; advertise no others.
_DECODABLE = frozenset({"gzip", "deflate"})
# aiohttp decodes any of these it sees in a response (and fails on one it cannot decode).
_DECODED_BY_AIOHTTP = frozenset({"gzip", "deflate", "br", "zstd"})
_NO_BODY_STATUSES = frozenset({204, 304})


class _AddressRefused(OSError):
    """Raised by the resolver inside aiohttp; surfaces as ForbiddenAddress."""


class _GuardedResolver(AbstractResolver):
    """Resolves as aiohttp would, then keeps only the public addresses (all of them for a
    private host); none left is a refusal. aiohttp connects to exactly what this returns (and
    caches it briefly), so a second lookup cannot answer differently."""

    def __init__(self, private_hosts: PrivateHosts) -> None:
        self._inner = DefaultResolver()
        self._private_hosts = private_hosts

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._private_hosts.allows(host, port):
            return results
        public = [r for r in results if refusal(r["host"]) is None]
        if not public and results:
            address = results[0]["host"]
            raise _AddressRefused(_refused_text(f"{host} resolves to {address},", address))
        return public

    async def close(self) -> None:
        await self._inner.close()


def _refused_text(subject: str, address: str) -> str:
    return f"{subject} {refusal(address)}: refused ([federation] private_hosts may allow a host)"


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Send httpx requests through one aiohttp session with a bounded connection pool.

    One instance belongs to one event loop: its session is created on the first request.
    Redirects, cookies, auth and default headers stay with `httpx.AsyncClient`.
    """

    def __init__(
        self,
        *,
        max_connections: int = 100,
        max_per_host: int = 8,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        keepalive_expiry: float = 15.0,
        ssl_context: ssl.SSLContext | None = None,
        private_hosts: PrivateHosts | None = None,
        total_timeout: float | None = DEFAULT_TOTAL_TIMEOUT,
    ) -> None:
        self._private_hosts = private_hosts or PrivateHosts()
        self._total_timeout = total_timeout
        self._max_connections = max_connections
        self._max_per_host = max_per_host
        self._max_response_bytes = max_response_bytes
        self._keepalive_expiry = keepalive_expiry
        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(
                f"unsupported URL scheme {request.url.scheme!r}", request=request
            )
        self._check_literal(request)
        session = self._get_session()
        try:
            async with session.request(
                request.method,
                yarl.URL(str(request.url), encoded=True),
                headers=_request_headers(request),
                data=_request_body(request),
                allow_redirects=False,
                timeout=_client_timeout(request.extensions.get("timeout"), self._total_timeout),
            ) as response:
                body = await self._read_body(request, response)
                return httpx.Response(
                    response.status,
                    headers=_response_headers(request, response, len(body)),
                    stream=httpx.ByteStream(body),
                    extensions={
                        "http_version": _http_version(response),
                        "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
                    },
                )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _httpx_error(exc, request) from exc

    def _check_literal(self, request: httpx.Request) -> None:
        """Refuse an IP-literal host that is not public (aiohttp does not resolve those)."""
        address = ip_literal(request.url.host)
        if address is None or refusal(address) is None:
            return
        if self._private_hosts.allows(address, request.url.port or _default_port(request)):
            return
        raise ForbiddenAddress(_refused_text(f"{address} is", address), request=request)

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the transport has been closed")
        if self._session is None:
            ssl_context = self._ssl_context or httpx.create_ssl_context()
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=self._max_per_host,
                keepalive_timeout=self._keepalive_expiry,
                ssl=ssl_context,
                resolver=_GuardedResolver(self._private_hosts),
            )
            # Send exactly the headers httpx built, nothing of aiohttp's own.
            self._session = aiohttp.ClientSession(
                connector=connector,
                skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
                timeout=aiohttp.ClientTimeout(total=None),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def _read_body(self, request: httpx.Request, response: aiohttp.ClientResponse) -> bytes:
        _check_coding(request, response)
        limit = self._max_response_bytes
        if limit is None:
            return await response.read()
        declared = response.content_length
        if (
            declared is not None
            and declared > limit
            and _has_body(request, response)
            and not _is_decoded(request, response)
        ):
            response.close()
            raise _too_large(request, limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > limit:
                response.close()
                raise _too_large(request, limit)
            chunks.append(chunk)
        return b"".join(chunks)


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class FederationClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` that keeps no cookies from responses.

    Server-to-server requests are authenticated by signatures, never by cookies. httpx's cookie
    jar cost about 45 µs per response, and every remote server that sets a cookie grows it:
    after 1,000 inboxes had set one, each request took 11 ms. Cookies passed explicitly to a
    request are still sent; `client.cookies` is always empty.
    """

    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        return None


def make_http_client(
    *,
    user_agent: str,
    timeout: float = 10.0,
    total_timeout: float | None = DEFAULT_TOTAL_TIMEOUT,
    max_connections: int = 100,
    max_per_host: int = 8,
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    private_hosts: PrivateHosts | None = None,
) -> httpx.AsyncClient:
    """The production client for outgoing federation requests (create it in the lifespan).

    `timeout` bounds connecting and each wait for data, `total_timeout` the whole request;
    only public addresses are reached, and the `private_hosts`."""
    transport = AiohttpTransport(
        max_connections=max_connections,
        max_per_host=max_per_host,
        max_response_bytes=max_response_bytes,
        private_hosts=private_hosts,
        total_timeout=total_timeout,
    )
    # trust_env=False: httpx would route proxy variables to its own transports, bypassing ours.
    return FederationClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": user_agent},
        trust_env=False,
    )


def _request_headers(request: httpx.Request) -> list[tuple[str, str]]:
    headers = []
    for raw_name, raw_value in request.headers.raw:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        lowered = name.lower()
        if lowered == "transfer-encoding":
            continue  # aiohttp chunks a body of unknown length itself, and refuses to be told
        if lowered == "accept-encoding":
            value = _decodable_codings(value)
        headers.append((name, value))
    return headers


def _decodable_codings(accept_encoding: str) -> str:
    codings = [c.strip() for c in accept_encoding.split(",")]
    kept = [c for c in codings if c.split(";")[0].strip().lower() in (*_DECODABLE, "identity")]
    return ", ".join(kept) or "identity"


def _request_body(request: httpx.Request) -> bytes | AsyncIterator[bytes] | None:
    try:
        content = request.content
    except httpx.RequestNotRead:
        return _stream_body(request)
    return content or None


async def _stream_body(request: httpx.Request) -> AsyncIterator[bytes]:
    if not isinstance(request.stream, httpx.AsyncByteStream):
        raise RuntimeError("a synchronous request body cannot be sent by an async transport")
    async for chunk in request.stream:
        yield chunk


def _client_timeout(
    timeouts: Mapping[str, Any] | None, total: float | None
) -> aiohttp.ClientTimeout:
    timeouts = timeouts or {}
    return _aiohttp_timeout(
        timeouts.get("connect"), timeouts.get("read"), timeouts.get("pool"), total
    )


def _default_port(request: httpx.Request) -> int:
    return 443 if request.url.scheme == "https" else 80


@functools.lru_cache(maxsize=32)
def _aiohttp_timeout(
    connect: float | None, read: float | None, pool: float | None, total: float | None
) -> aiohttp.ClientTimeout:
    # aiohttp's `connect` covers the wait for a pooled connection plus the connect itself.
    pool_and_connect = None if connect is None or pool is None else pool + connect
    # aiohttp has no write timeout; bodies here are small enough to fit the socket buffer.
    return aiohttp.ClientTimeout(
        total=total, connect=pool_and_connect, sock_connect=connect, sock_read=read
    )


def _has_body(request: httpx.Request, response: aiohttp.ClientResponse) -> bool:
    return request.method != "HEAD" and response.status not in _NO_BODY_STATUSES


def _is_decoded(request: httpx.Request, response: aiohttp.ClientResponse) -> bool:
    """Whether aiohttp has decoded the body (its own test, so that both agree)."""
    coding = response.headers.get("Content-Encoding", "")
    return (
        _has_body(request, response) and coding.isascii() and coding.lower() in _DECODED_BY_AIOHTTP
    )


def _check_coding(request: httpx.Request, response: aiohttp.ClientResponse) -> None:
    # Any other coding would be decoded by httpx, in memory and without the size cap.
    values = response.headers.getall("Content-Encoding", ())
    codings = {c.strip().lower() for value in values for c in value.split(",")}
    if (
        _has_body(request, response)
        and not _is_decoded(request, response)
        and codings - {"identity"}
    ):
        raise httpx.DecodingError(
            f"unsupported Content-Encoding {', '.join(sorted(codings))!r} from {request.url}",
            request=request,
        )


def _response_headers(
    request: httpx.Request, response: aiohttp.ClientResponse, body_size: int
) -> list[tuple[bytes, bytes]]:
    if not _is_decoded(request, response):
        return list(response.raw_headers)
    dropped = (b"content-encoding", b"content-length")
    headers = [(k, v) for k, v in response.raw_headers if k.lower() not in dropped]
    headers.append((b"Content-Length", b"%d" % body_size))
    return headers


def _http_version(response: aiohttp.ClientResponse) -> bytes:
    version = response.version or aiohttp.HttpVersion11
    return b"HTTP/%d.%d" % (version.major, version.minor)


def _too_large(request: httpx.Request, limit: int) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"response from {request.url} is larger than {limit} bytes", request=request
    )


def _httpx_error(exc: BaseException, request: httpx.Request) -> httpx.RequestError:
    message = str(exc) or type(exc).__name__
    error: type[httpx.RequestError]
    if isinstance(exc.__cause__, _AddressRefused):
        return ForbiddenAddress(str(exc.__cause__), request=request)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = httpx.ConnectTimeout
    elif isinstance(exc, TimeoutError):
        error = httpx.ReadTimeout
    elif isinstance(exc, aiohttp.ClientConnectorError):
        error = httpx.ConnectError
    elif isinstance(exc.__cause__, ContentEncodingError):
        error = httpx.DecodingError
    elif isinstance(
        exc,
        aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError,
    ):
        error = httpx.RemoteProtocolError
    elif isinstance(exc, aiohttp.ClientConnectionError):
        error = httpx.ReadError
    elif isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        error = httpx.UnsupportedProtocol
    else:
        error = httpx.TransportError
    return error(message, request=request)
