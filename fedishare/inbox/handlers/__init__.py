"""One module per family of activity; importing this package registers them all.

`announces` and `listing_changes` wrap the Announce, Create, Update and Delete handlers of
`reactions`, `replies` and `changes`; they import those first, so theirs are registered last.
"""

from fedishare.inbox.handlers import (
    announces,
    changes,
    follows,
    listing_changes,
    offers,
    reactions,
    replies,
    undo,
)

__all__ = [
    "announces",
    "changes",
    "follows",
    "listing_changes",
    "offers",
    "reactions",
    "replies",
    "undo",
]
