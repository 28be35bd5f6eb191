"""Statuses as Mastodon apps see them: the index of posts, listings and boosts,
timelines, posting and interactions."""
