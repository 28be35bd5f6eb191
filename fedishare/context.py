"""What every request handler and worker of one instance shares, made in the app's lifespan."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from fedishare.core.config import Config
from fedishare.core.domain_policy import DomainPolicy
from fedishare.core.rate_limit import RateLimiter
from fedishare.core.types import Clock
from fedishare.core.urls import Urls
from fedishare.federation.key_cache import PublicKeyCache
from fedishare.federation.keys import PrivateKeyCache
from fedishare.storage.database import Database


@dataclass
class Instance:
    config: Config
    db: Database
    http: httpx.AsyncClient
    clock: Clock
    urls: Urls
    keys: PrivateKeyCache = field(default_factory=PrivateKeyCache)
    public_keys: PublicKeyCache = field(default_factory=PublicKeyCache)  # other servers' keys
    # Set when work is queued, so the workers wake at once instead of at their next poll.
    wake_delivery: asyncio.Event = field(default_factory=asyncio.Event)
    wake_inbox: asyncio.Event = field(default_factory=asyncio.Event)
    # Whether this process answers inbox POSTs too (`serve`), which its inbox worker then
    # gives way to; `fedishare work` answers none.
    receives: bool = False
    inbox_limiter: RateLimiter = field(init=False)
    # Who may federate with us: instance.toml's lists and the admins' blocks, which
    # lifecycle loads at opening and keeps fresh; ask `domains.permits(host)`.
    domains: DomainPolicy = field(init=False)

    def __post_init__(self) -> None:
        self.domains = DomainPolicy(self.config.federation)
        self.inbox_limiter = RateLimiter(
            self.config.limits.inbox_requests_per_minute, clock=time.monotonic
        )
