"""OAuth 2 as Mastodon apps use it: apps, scopes, authorization codes and tokens."""
