"""Loopback-only guard, loaded by every peer subprocess through PYTHONPATH.

Python imports `sitecustomize` at start-up, so putting this directory on a peer's PYTHONPATH
confines bovine, herd, pasture and their CLIs to 127.0.0.0/8 without touching their code.
A refused attempt raises OSError (what an offline machine gives too) and leaves one line
starting with GUARD_TAG on stderr, so a harness can tell which remote fetch a peer tried
(an unseeded JSON-LD context, a remote key, ...) instead of guessing from timeouts.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

GUARD_TAG = "peers-offline-guard: refused"

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback_host(host: object) -> bool:
    if host is None or host == "" or host == b"":
        return True  # a bind to "any" or a passive lookup, not a destination
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> OSError:
    print(f"{GUARD_TAG} {what}", file=sys.stderr, flush=True)
    return OSError(f"{GUARD_TAG} {what} (peers may only reach 127.0.0.1)")


_real_getaddrinfo = socket.getaddrinfo


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_loopback_host(host):
        raise _refuse(f"lookup of {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _check_address(sock: socket.socket, address: Any) -> None:
    # Unix sockets and socketpairs are local by construction.
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback_host(address[0]):
        raise _refuse(f"connection to {address!r}")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


class _NoDNSResolver:
    """Stands in for aiodns.DNSResolver: c-ares talks to the DNS server itself, below the
    socket module. Lacking `getaddrinfo`, it also makes aiohttp pick its threaded resolver,
    which goes through the guarded socket.getaddrinfo above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _refuse("aiodns resolver")


def _install() -> None:
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    try:
        import aiodns
    except ImportError:
        return
    aiodns.DNSResolver = _NoDNSResolver  # type: ignore[misc,assignment]


_install()
