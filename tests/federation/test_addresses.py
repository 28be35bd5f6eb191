"""Which addresses outgoing requests may reach, and how instance.toml names the exceptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedishare.core.config import ConfigError
from fedishare.federation.addresses import PrivateHosts, refusal
from tests.harness import make_config


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.255.0.9", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped
        ("64:ff9b::7f00:1", "a loopback address"),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::1", "a loopback address"),  # 6to4 of 127.0.0.1
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("10.0.0.1", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.168.1.1", "a private address"),
        ("::ffff:192.168.1.1", "a private address"),
        ("fc00::1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("fe80::1%eth0", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a reserved address"),
        ("192.0.2.1", "a private address"),  # documentation range
        ("2001:db8::1", "a private address"),
        ("not an ip", "not an IP address"),
    ],
)
def test_addresses_that_are_not_public_are_refused_with_their_kind(
    address: str, reason: str
) -> None:
    assert refusal(address) == reason


@pytest.mark.parametrize(
    "address", ["1.1.1.1", "93.184.216.34", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_may_be_reached(address: str) -> None:
    assert refusal(address) is None


def test_private_hosts_match_by_name_and_port(tmp_path: Path) -> None:
    entries = ["127.0.0.1:8080", "LocalHost", "[::1]", "[0:0::1]:9000", "10.0.0.5"]
    config = make_config(tmp_path, "oak.test", federation={"private_hosts": entries})
    hosts = PrivateHosts(config.federation.private_hosts)

    assert hosts.allows("127.0.0.1", 8080)
    assert not hosts.allows("127.0.0.1", 8081)  # that entry names one port
    assert hosts.allows("localhost", 1) and hosts.allows("LOCALHOST.", 80)
    assert hosts.allows("[::1]", 443) and hosts.allows("::1", 9000)
    assert hosts.allows("10.0.0.5", 80)
    assert not hosts.allows("10.0.0.6", 80)
    assert not hosts.allows("127.0.0.1.nip.io", 8080)  # a name is not its address
    assert not PrivateHosts().allows("127.0.0.1", 80)


@pytest.mark.parametrize(
    "entry", ["http://127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999", "[::1", "[::1]x", "a b", 7]
)
def test_a_malformed_private_host_is_refused_naming_the_key(tmp_path: Path, entry: object) -> None:
    with pytest.raises(ConfigError, match=r"\[federation\] private_hosts: expected"):
        make_config(tmp_path, "oak.test", federation={"private_hosts": [entry]})


def test_no_private_host_is_allowed_unless_configured(tmp_path: Path) -> None:
    assert make_config(tmp_path, "oak.test").federation.private_hosts == ()
