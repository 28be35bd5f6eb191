"""The sharing domain: offers, requests and stays, their lifecycle and search."""
