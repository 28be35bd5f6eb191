"""What the outgoing transport (fedishare.federation.transport) raises beyond httpx's own errors,
in a module of their own: those who catch them need not import aiohttp, which the transport
does (a fifth of a second of a command's start)."""

from __future__ import annotations

import httpx


class ResponseTooLarge(httpx.TransportError):
    """The response body is larger than the transport accepts."""


class ForbiddenAddress(httpx.ConnectError):
    """The host is, or resolves only to, an address that is not public (loopback, private,
    link-local, ...), and `private_hosts` does not allow it. Nothing was sent."""
