"""The Mastodon client API: what Mastodon apps (Tusky, Ivory, Elk, Phanpy, Ice Cubes,
Mastodon.py) call, answered with the entities Mastodon returns."""
