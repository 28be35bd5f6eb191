"""The client API's fixtures (`api`, `api_pair`), for the notifications read through it."""

from tests.client_api.conftest import api, api_pair

__all__ = ["api", "api_pair"]
