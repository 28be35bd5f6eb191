"""One module per family of activity; importing this package registers them all."""

from fedishare.inbox.handlers import changes, follows, reactions, replies, undo

__all__ = ["changes", "follows", "reactions", "replies", "undo"]
