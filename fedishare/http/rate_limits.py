"""Rate limits per client address and per API token. The inbox takes its own raw path past
this middleware: it limits per remote host itself, and per address with `AddressLimit`.

Limits as Mastodon sets them (its rack-attack rules), in instance.toml's [limits]: every
request from one address; the API per bearer token, or per address without one; log-in,
sign-up and password-reset forms per address. IPv6 addresses count per /64, the block one
household or server gets. A request over any limit is refused before it reaches a handler,
so it changes nothing: 429 with Retry-After, and under /api/ Mastodon's X-RateLimit-Limit,
-Remaining and -Reset, which every API answer carries.

The client is the connection's peer, or, when that peer is a trusted proxy, the last
address in X-Forwarded-For that is not one: the middleware puts it in the scope's
`client`, so the log-in throttle and the sessions see it too. Loopback clients are never
limited (the operator's own tools, and tests). The buckets live in this process's memory,
each bounded by `RateLimiter`'s eviction of the least recently seen keys.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fedishare.core.config import Config
from fedishare.core.errors import RateLimited
from fedishare.core.rate_limit import RateLimiter, Taken

Refuse = Callable[[Request, Exception], Awaitable[Response]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# A client is an address, or the text of a forwarded hop that is none.
Client = Address | str

# The longest malformed X-Forwarded-For hop kept as a client's name (an IPv6 address with a
# port and brackets is 47 characters).
MAX_HOP_CHARS = 64

_FIVE_MINUTES = 300.0
_MAX_PEERS = 10_000  # connecting addresses remembered by AddressLimit
_LOGIN_PATHS = ("/login", "/oauth/token", "/oauth/authorize")
_SIGNUP_PATHS = ("/signup", "/api/v1/accounts")


@dataclass(frozen=True)
class _Rule:
    limiter: RateLimiter
    reason: str


class RateLimits:
    """ASGI middleware: resolve the client's address, then take one token from each bucket
    the request counts against, answering 429 from the first that is empty."""

    def __init__(
        self,
        app: ASGIApp,
        config: Config,
        refuse: Refuse,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.refuse = refuse
        self.trusted = trusted_networks(config)
        lim = config.limits

        def rule(limit: int, period: float, reason: str) -> _Rule:
            return _Rule(RateLimiter(limit, clock=clock, period=period), reason)

        self.address = rule(
            lim.requests_per_address_per_5min,
            _FIVE_MINUTES,
            "too many requests from your address; try again later",
        )
        self.api = rule(
            lim.api_requests_per_5min, _FIVE_MINUTES, "Too many requests; try again later"
        )
        self.logins = rule(
            lim.logins_per_5min, _FIVE_MINUTES, "too many log-in attempts; try again later"
        )
        self.signups = rule(
            lim.signups_per_30min, 6 * _FIVE_MINUTES, "too many sign-ups; try again later"
        )
        self.resets = rule(
            lim.password_resets_per_5min,
            _FIVE_MINUTES,
            "too many password resets; try again later",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = client_of(scope, self.trusted)
        if client is not None:
            scope["client"] = (str(client), scope["client"][1] if scope.get("client") else 0)
        key = client_key(client) if client is not None else None
        if scope["type"] != "http" or key is None:
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        checks: list[tuple[_Rule, str]] = [(self.address, key)]
        is_api = path.startswith("/api/")
        if is_api:
            checks.append((self.api, _token_key(scope) or key))
        if method == "POST":
            if path in _LOGIN_PATHS:
                checks.append((self.logins, key))
            elif path in _SIGNUP_PATHS or path.startswith("/invite/"):
                checks.append((self.signups, key))
            elif path.startswith("/reset/"):
                checks.append((self.resets, key))
        api_taken: Taken | None = None
        for rule, rule_key in checks:
            taken = rule.limiter.take(rule_key)
            if rule is self.api:
                api_taken = taken
            if taken.wait:
                headers = _rate_headers(rule.limiter, taken) if is_api else {}
                response = await self.refuse(
                    Request(scope, receive), RateLimited(rule.reason, taken.wait)
                )
                response.headers.update(headers)
                await response(scope, receive, send)
                return
        if api_taken is None:
            await self.app(scope, receive, send)
            return
        extra = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in _rate_headers(self.api.limiter, api_taken).items()
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).raw.extend(extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AddressLimit:
    """The inbox's limit per client address (``inbox_requests_per_address_per_minute``): inbox
    POSTs take a path past this middleware (fedishare.inbox.routes), so they are counted
    here, in their own buckets, resolving the client the same way."""

    def __init__(self, config: Config, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.trusted = trusted_networks(config)
        self.limiter = RateLimiter(config.limits.inbox_requests_per_address_per_minute, clock=clock)
        # Each connecting address's bucket, and the address itself when it is a trusted
        # proxy: parsing an address costs more than the rest of this together (every inbox
        # POST comes here). Behind a proxy, each X-Forwarded-For value's bucket likewise.
        self._peers: dict[str, tuple[str | None, Address | None]] = {}
        self._forwarded: dict[tuple[str, str], str | None] = {}

    def wait(self, scope: Scope, headers: Mapping[str, str] | None = None) -> float:
        """Take one token for the request's client: 0.0 if allowed (always for loopback),
        else the seconds until one is free. `headers`: the request's, by lower-case name
        with repeats joined (HeaderValues), if the caller has them already."""
        peer = scope.get("client")
        host: str = peer[0] if peer else ""
        known = self._peers.get(host)
        if known is None:
            address = _parse(host)
            known = (
                client_key(address) if address is not None else None,
                address if address is not None and _is_trusted(address, self.trusted) else None,
            )
            if len(self._peers) >= _MAX_PEERS:
                self._peers.clear()
            self._peers[host] = known
        key, proxy = known
        if proxy is not None:
            forwarded = headers.get("x-forwarded-for") if headers is not None else _forwarded(scope)
            if forwarded is not None:
                key = self._forwarded_key(host, proxy, forwarded)
        return self.limiter.allow(key) if key is not None else 0.0

    def _forwarded_key(self, host: str, proxy: Address, forwarded: str) -> str | None:
        seen = (host, forwarded)
        try:
            return self._forwarded[seen]
        except KeyError:
            pass
        key = client_key(_forwarded_client(proxy, forwarded, self.trusted))
        if len(self._forwarded) >= _MAX_PEERS:
            self._forwarded.clear()
        self._forwarded[seen] = key
        return key


def _forwarded(scope: Scope) -> str | None:
    """The request's X-Forwarded-For headers, joined; None without one."""
    values = [
        value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"
    ]
    return ",".join(values) if values else None


def _rate_headers(limiter: RateLimiter, taken: Taken) -> dict[str, str]:
    """Mastodon's headers: the limit, what is left, and when it is whole again (ISO 8601)."""
    reset = datetime.fromtimestamp(time.time() + taken.full_in, UTC)
    return {
        "X-RateLimit-Limit": str(limiter.limit),
        "X-RateLimit-Remaining": str(taken.remaining),
        "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def client_of(scope: Scope, trusted: Sequence[Network]) -> Client | None:
    """The client: the peer's address, or the nearest untrusted hop its proxies name.

    A hop with a port or in brackets (``1.2.3.4:5678``, ``[2001:db8::1]:443``) is its
    address; any other hop that is no address is the client by its text (cut to
    `MAX_HOP_CHARS`), never the proxy's loopback address, which is not limited."""
    peer = scope.get("client")
    address = _parse(peer[0]) if peer else None
    if address is None or not _is_trusted(address, trusted):
        return address
    forwarded = _forwarded(scope)
    return address if forwarded is None else _forwarded_client(address, forwarded, trusted)


def _forwarded_client(proxy: Address, forwarded: str, trusted: Sequence[Network]) -> Client:
    """The client a trusted proxy's X-Forwarded-For names (see `client_of`)."""
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    client: Client = proxy
    for hop in reversed(hops):
        named = _parse_hop(hop)
        if named is None:
            return hop[:MAX_HOP_CHARS]  # malformed: believe no further, but limit it
        client = named
        if not _is_trusted(named, trusted):
            break
    return client


def client_key(client: Client) -> str | None:
    """The bucket a client counts against; None for loopback, which is never limited."""
    if isinstance(client, str):
        return "hop:" + client
    if client.is_loopback:
        return None
    return _address_key(client)


def trusted_networks(config: Config) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in config.instance.trusted_proxies)


def _parse(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _parse_hop(hop: str) -> Address | None:
    """An X-Forwarded-For hop's address, with any port and brackets taken off."""
    address = _parse(hop)
    if address is not None:
        return address
    if hop.startswith("["):  # [v6] or [v6]:port
        inside, close, rest = hop[1:].partition("]")
        if close and (not rest or (rest[0] == ":" and rest[1:].isdigit())):
            return _parse(inside)
        return None
    host, colon, port = hop.rpartition(":")
    if colon and port.isdigit() and ":" not in host:  # v4:port
        return _parse(host)
    return None


def _is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def _address_key(address: Address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _token_key(scope: Scope) -> str | None:
    """A bearer token's bucket, named by a digest so the token itself is not kept. The token
    is not looked up: an unknown one is refused by the handler, and the address's own limit
    still bounds a client that invents many."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return "token:" + hashlib.sha256(token.strip()).hexdigest()[:32]
    return None
