"""Which addresses outgoing requests may reach: public ones, and the hosts instance.toml names.

Peers choose the URLs we fetch and deliver to (actor ids, keyIds, inboxes, photos); unchecked,
one could make this server reach its own services on loopback, its local network, or a cloud
provider's metadata service (169.254.169.254). The transport applies `refusal` to the addresses
it is about to connect to (after DNS resolution, so a name resolving to 127.0.0.1 is caught and
no second lookup can answer differently). `[federation] private_hosts` names hosts reached
although their addresses are not public: instances tried out on one machine or network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# NAT64's well-known prefix: the IPv4 address in its last 32 bits is the one reached.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT


def refusal(address: str) -> str | None:
    """Why the IP `address` may not be reached ("a loopback address", ...), or None."""
    try:
        ip: _Address = ipaddress.ip_address(address.partition("%")[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:  # 6to4 (2002::/16): a tunnel to this IPv4 address
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private or not ip.is_global:  # also documentation and benchmarking ranges
        return "a private address"
    return None


class PrivateHosts:
    """`[federation] private_hosts`: (host, port or None for any port) pairs, as the config
    normalised them (lower case; IP addresses in Python's canonical text, no brackets)."""

    def __init__(self, entries: Iterable[tuple[str, int | None]] = ()) -> None:
        self._entries = frozenset(entries)

    def allows(self, host: str, port: int | None) -> bool:
        """Whether `host` (as in a URL, brackets optional) on `port` may be private."""
        if not self._entries:
            return False
        name = normal_host(host)
        return (name, None) in self._entries or (name, port) in self._entries


def normal_host(host: str) -> str:
    """`host` as private_hosts entries spell it: lower case, IPv6 without brackets, IP
    addresses canonical (``::0:1`` is ``::1``)."""
    name = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name


def ip_literal(host: str) -> str | None:
    """`host` normalised if it is an IP address (not a name to resolve), else None."""
    name = normal_host(host)
    try:
        ipaddress.ip_address(name.partition("%")[0])
    except ValueError:
        return None
    return name
