"""parse_actor: Mastodon's rules for an actor document fetched from another server."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fedishare.core.types import JSON
from fedishare.federation.keys import public_pem_of
from fedishare.federation.remote_actor_document import InvalidActor, is_actor_document, parse_actor
from tests.mastodon_peer import rsa_key

URL = "https://social.example/users/ann"


def document() -> JSON:
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": URL,
        "type": "Person",
        "preferredUsername": "ann",
        "name": "Ann",
        "inbox": URL + "/inbox",
        "followers": URL + "/followers",
        "endpoints": {"sharedInbox": "https://social.example/inbox"},
        "publicKey": {
            "id": URL + "#main-key",
            "owner": URL,
            "publicKeyPem": public_pem_of(rsa_key(0).public_key()),
        },
    }


def test_a_mastodon_actor_is_read() -> None:
    parsed = parse_actor(document(), URL, fetched_at=12.5)
    actor = parsed.actor
    assert (actor.id, actor.host, actor.type, actor.preferred_username, actor.name) == (
        URL,
        "social.example",
        "Person",
        "ann",
        "Ann",
    )
    assert (actor.inbox, actor.shared_inbox, actor.followers) == (
        URL + "/inbox",
        "https://social.example/inbox",
        URL + "/followers",
    )
    assert (actor.key_id, actor.fetched_at) == (URL + "#main-key", 12.5)
    assert parsed.public_key.public_numbers() == rsa_key(0).public_key().public_numbers()
    assert is_actor_document(document())


def test_optional_fields_that_are_not_urls_are_dropped() -> None:
    doc = document()
    doc.update(followers=42, endpoints={"sharedInbox": "mailto:x"}, name=None)
    actor = parse_actor(doc, URL, fetched_at=0).actor
    assert (actor.followers, actor.shared_inbox, actor.name) == (None, None, "")


def test_with_several_keys_the_asked_one_is_kept() -> None:
    doc = document()
    other = {
        **doc["publicKey"],
        "id": URL + "#second",
        "publicKeyPem": public_pem_of(rsa_key(1).public_key()),
    }
    doc["publicKey"] = [doc["publicKey"], other]
    assert parse_actor(doc, URL, fetched_at=0).actor.key_id == URL + "#main-key"
    assert (
        parse_actor(doc, URL, fetched_at=0, key_id=URL + "#second").actor.key_id == URL + "#second"
    )


def _without(path: str) -> JSON:
    doc = copy.deepcopy(document())
    target: Any = doc
    *parents, last = path.split(".")
    for p in parents:
        target = target[p]
    del target[last]
    return doc


def _with(path: str, value: Any) -> JSON:
    doc = copy.deepcopy(document())
    target: Any = doc
    *parents, last = path.split(".")
    for p in parents:
        target = target[p]
    target[last] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (_with("id", URL + "/"), "not the URL"),
        (_with("id", "https://elsewhere.example/users/ann"), "not the URL"),
        (_without("type"), "no type"),
        (_without("inbox"), "no inbox"),
        (_with("inbox", "/inbox"), "no inbox"),
        (_without("publicKey"), "no publicKey"),
        (_with("publicKey.owner", "https://social.example/users/bob"), "no publicKey"),
        (_with("publicKey.id", "https://elsewhere.example/k"), "not on its host"),
        (_without("publicKey.publicKeyPem"), "no publicKeyPem"),
        (_with("publicKey.publicKeyPem", "-----BEGIN PUBLIC KEY-----\nxx\n"), "not a readable"),
    ],
    ids=[
        "id-slash",
        "id-elsewhere",
        "type",
        "inbox",
        "inbox-relative",
        "key",
        "owner",
        "key-host",
        "pem",
        "bad-pem",
    ],
)
def test_unusable_actors_are_refused(doc: JSON, reason: str) -> None:
    with pytest.raises(InvalidActor, match=reason):
        parse_actor(doc, URL, fetched_at=0)


def test_a_key_document_is_not_an_actor() -> None:
    assert not is_actor_document({"id": URL + "#main-key", "owner": URL, "publicKeyPem": "x"})
