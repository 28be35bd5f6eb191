"""Which hosts may federate with us: instance.toml's allow and block lists together with the
domains admins block from the web, kept in memory because the inbox asks on every POST; and
what admins moderate short of that: silenced domains (they federate, their posts stay out of
public places) and single blocked remote accounts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from fedishare.core.config import FederationSettings

Severity = Literal["suspend", "silence"]
SEVERITIES: tuple[Severity, ...] = ("suspend", "silence")

_REMEMBERED = 4096  # answers kept per host: the inbox hears from a few hosts again and again


def domain_of(host: str) -> str:
    """A host[:port] without its port, lower-case (a bracketed IPv6 literal stays whole)."""
    host = host.lower()
    return host if host.startswith("[") else host.partition(":")[0]


def within(host: str, domain: str) -> bool:
    """Whether `host` is `domain` or one of its subdomains (a port does not count)."""
    return _listed(domain_of(host), frozenset((domain,)))


def _listed(name: str, domains: frozenset[str]) -> bool:
    # A set lookup per label: the name, then each parent domain.
    while True:
        if name in domains:
            return True
        _, dot, name = name.partition(".")
        if not dot:
            return False


class DomainPolicy:
    """instance.toml's [federation] allow and block, and the admins' blocks (`blocked`),
    silences (`silenced`) and blocked remote accounts (`accounts`)."""

    def __init__(self, settings: FederationSettings, blocked: Iterable[str] = ()) -> None:
        self._allow = frozenset(settings.allow)
        self._configured = frozenset(settings.block)
        self.blocked: frozenset[str] = frozenset()
        self.silenced: frozenset[str] = frozenset()
        self.accounts: frozenset[str] = frozenset()
        self._block = self._configured
        self._answers: dict[str, bool] = {}
        self.replace_blocked(blocked)

    def replace_moderation(self, silenced: Iterable[str], accounts: Iterable[str]) -> None:
        """Take the admins' silenced domains and blocked remote accounts as they now stand."""
        self.silenced = frozenset(silenced)
        self.accounts = frozenset(accounts)

    def refuses_actor(self, actor: str) -> bool:
        """Whether an admin blocked this remote account (its host is checked apart)."""
        return actor in self.accounts

    def severity(self, host: str) -> Severity | None:
        """How far `host` is kept out: 'suspend' if it may not federate, 'silence' if it
        may but its posts stay out of public places, None if neither."""
        if not self.permits(host):
            return "suspend"
        return "silence" if _listed(domain_of(host), self.silenced) else None

    def replace_blocked(self, domains: Iterable[str]) -> None:
        """Take the admins' blocks as they now stand (one assignment: readers never see a
        half-made set)."""
        self.blocked = frozenset(domains)
        self._block = self._configured | self.blocked
        self._answers = {}

    def configured_block(self, host: str) -> bool:
        """Whether instance.toml's block list covers `host`."""
        return _listed(domain_of(host), self._configured)

    def permits(self, host: str) -> bool:
        """Whether a peer host may talk to us: a block (either list; subdomains count) wins,
        and a non-empty allow list admits only its domains."""
        if not self._block and not self._allow:  # the default, asked on every inbox POST
            return True
        answer = self._answers.get(host)
        if answer is None:
            name = domain_of(host)
            answer = not _listed(name, self._block) and (
                not self._allow or _listed(name, self._allow)
            )
            if len(self._answers) >= _REMEMBERED:
                self._answers = {}
            self._answers[host] = answer
        return answer
