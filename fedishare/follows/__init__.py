"""Follows between actors, ours and others': making them, answering them, undoing them."""
