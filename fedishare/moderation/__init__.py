"""What admins do to keep the community safe: blocking and silencing other servers' domains
(by hand or from a Mastodon blocklist), blocking single remote accounts, keeping what they
hide out of searches and timelines, and reports."""
