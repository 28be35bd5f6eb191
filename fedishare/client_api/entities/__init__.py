"""Mastodon entities as JSON: Account, Status, MediaAttachment, Tag and the rest."""
