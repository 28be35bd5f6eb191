"""Notifications of members: follows, mentions, favourites, boosts, responses."""
