"""What admins do to keep the community safe: blocking other servers' domains."""
