"""Which hosts may federate: instance.toml's lists and the admins' blocks, subdomains and
ports included, answered again after the admins' list changes."""

from __future__ import annotations

from fedishare.core.config import FederationSettings
from fedishare.core.domain_policy import DomainPolicy, within


def test_a_block_covers_the_domain_and_its_subdomains_on_any_port() -> None:
    policy = DomainPolicy(FederationSettings(allow=(), block=("spam.example",)), ["bad.test"])
    for host in ("spam.example", "a.spam.example:8443", "BAD.test", "x.y.bad.test"):
        assert not policy.permits(host), host
    for host in ("example", "notspam.example", "bad.test.example", "good.test"):
        assert policy.permits(host), host


def test_the_admins_list_replaces_the_last_and_keeps_the_configured_one() -> None:
    policy = DomainPolicy(FederationSettings(allow=(), block=("spam.example",)))
    assert policy.permits("elm.test")  # answered once: the answer is remembered
    policy.replace_blocked(["elm.test"])
    assert not policy.permits("elm.test") and policy.blocked == {"elm.test"}
    policy.replace_blocked([])
    assert policy.permits("elm.test") and not policy.permits("spam.example")
    assert policy.configured_block("a.spam.example") and not policy.configured_block("elm.test")


def test_an_allow_list_admits_only_its_domains_and_a_block_wins() -> None:
    policy = DomainPolicy(
        FederationSettings(allow=("friends.example",), block=()), ["x.friends.example"]
    )
    assert policy.permits("friends.example") and policy.permits("a.friends.example:80")
    assert not policy.permits("x.friends.example") and not policy.permits("elm.test")


def test_within_ignores_the_port_and_needs_a_whole_label() -> None:
    assert within("127.0.0.1:8081", "127.0.0.1") and within("a.b.test", "b.test")
    assert not within("ab.test", "b.test") and not within("b.test", "a.b.test")
