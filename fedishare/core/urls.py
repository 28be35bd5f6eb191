"""Where each of our things lives: the one place that builds our URLs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Urls:
    base: str  # scheme://domain, no trailing slash

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def actor(self, username: str, *, application: bool = False) -> str:
        return self.instance_actor if application else f"{self.base}/users/{username.lower()}"

    def username_of(self, url: str) -> str | None:
        """The username in `url` when it is one of our actors' ids (BASE/users/NAME, as
        `actor` builds them, spelled as `url` spells it); None otherwise, a /users/NAME of
        another host included. The instance actor (`instance_actor`) has no username here."""
        name = url.removeprefix(f"{self.base}/users/")
        if name == url or not name or any(c in name for c in "/#?"):
            return None
        return name

    def is_ours(self, url: str) -> bool:
        """Whether `url` names something of this instance."""
        return url.startswith(self.base + "/")

    @staticmethod
    def key_id(actor_id: str) -> str:
        return f"{actor_id}#main-key"
