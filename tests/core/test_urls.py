from __future__ import annotations

from fedishare.core.urls import Urls

URLS = Urls("https://oak.test")


def test_our_actor_ids_give_their_usernames() -> None:
    assert URLS.username_of(URLS.actor("alice")) == "alice"
    assert URLS.username_of("https://oak.test/users/Alice") == "Alice"


def test_other_urls_have_no_username() -> None:
    for url in (
        "https://elm.test/users/alice",  # another host's alice is not ours
        "https://oak.test.elm.test/users/alice",
        "http://oak.test/users/alice",
        "https://oak.test/users/",
        "https://oak.test/users/alice/outbox",
        "https://oak.test/users/alice#main-key",
        "https://oak.test/users/alice?page=1",
        "https://oak.test/actor",
        "https://oak.test/listings/1",
    ):
        assert URLS.username_of(url) is None, url
