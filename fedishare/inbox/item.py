"""What an inbox handler is given, and how it refuses an activity for good."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fedishare.context import Instance
from fedishare.core.types import JSON


@dataclass(frozen=True)
class InboxItem:
    activity: JSON
    actor: str  # the verified signer's actor id (equal to activity["actor"])
    recipient_id: int | None  # the local actor whose inbox got it; None for the shared inbox


class Rejected(Exception):
    """The activity is understood and refused for good (no retry)."""


Handler = Callable[[Instance, InboxItem], Awaitable[None]]
