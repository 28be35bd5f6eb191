"""Routing a stored, verified activity to the handler for its type.

The inbox worker calls `dispatch` for each stored item. A handler raises `Rejected` for an
activity that can never succeed (it is marked failed and not retried); any other exception
means "try again later".
"""

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
HANDLERS: dict[str, Handler] = {}


def handles(*types: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for t in types:
            HANDLERS[t] = handler
        return handler

    return register


async def dispatch(inst: Instance, item: InboxItem) -> None:
    from fedishare.inbox import handlers  # noqa: F401  (registers the handlers)

    handler = HANDLERS.get(str(item.activity.get("type")))
    if handler is None:
        return  # an activity type we do not act on is stored and ignored
    await handler(inst, item)
