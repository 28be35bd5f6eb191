"""Other servers' actors and their public keys: from our cache, or fetched and cached.

``resolve_key`` is the KeyResolver that signature verification calls: bind it with
``functools.partial(resolve_key, inst)``.
"""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from fedishare.context import Instance
from fedishare.core.types import JSON
from fedishare.federation.errors import FetchError, KeyUnavailable
from fedishare.federation.public_key import ResolvedKey, load_public_key
from fedishare.federation.remote_actor_document import (
    InvalidActor,
    ParsedActor,
    is_actor_document,
    parse_actor,
)
from fedishare.remote.fetch import signed_get
from fedishare.storage import remote_actors as stored
from fedishare.storage import signals
from fedishare.storage.remote_actors import RemoteActor

# After fetching a key, how long a signature that fails with it is refused rather than the key
# fetched again: a rotation is still picked up by the sender's next retry.
KEY_REFETCH_SECONDS = 60.0

log = logging.getLogger(__name__)


class KeyGone(KeyUnavailable):
    """The key's document answered 404 or 410: the actor has most likely been deleted."""


async def forget_key(inst: Instance, actor_id: str) -> None:
    """Drop the actor's loaded key here and, on PostgreSQL, in the instance's other
    processes (the web servers verifying its requests): it changed or the actor is gone."""
    inst.public_keys.forget_owner(actor_id)
    await signals.send(inst.db, signals.KEY, actor_id)


async def get_remote_actor(inst: Instance, actor_id: str, *, refresh: bool = False) -> RemoteActor:
    """The actor from our cache, or fetched (signed) and cached when missing or ``refresh``.

    Raises FetchError (InvalidActor when the document is not a usable actor).
    """
    if not refresh:
        cached = await stored.get(inst.db, actor_id)
        if cached is not None:
            return cached

    async def fetch() -> RemoteActor:
        document = await signed_get(inst, actor_id)
        return (await _save(inst, document, actor_id)).actor

    return await inst.public_keys.once(f"actor {actor_id}", fetch)


async def resolve_key(inst: Instance, key_id: str, refresh: bool) -> ResolvedKey:
    """The public key ``key_id`` names, with the actor owning it.

    Without ``refresh``: from memory, else from the stored actor with that key id. With it
    (the cached key did not verify: the actor may have rotated it), or when unknown: fetched;
    but a key fetched less than KEY_REFETCH_SECONDS ago is not fetched again (a signature
    that fails so soon after is no rotation, and forged ones must not make us fetch at will).
    Raises KeyUnavailable (KeyGone when the document is gone), so that verification answers 401.
    """
    previous: RSAPublicKey | None = None  # the key before a refresh, to see a rotation
    if refresh:
        cached = inst.public_keys.get(key_id)
        since = inst.clock().timestamp() - KEY_REFETCH_SECONDS
        if cached is not None and inst.public_keys.fetched_after(key_id, since):
            return cached
        previous = cached.public_key if cached is not None else await _stored_key(inst, key_id)
    else:
        key = inst.public_keys.get(key_id)
        if key is not None:
            return key
        actor = await stored.get_by_key_id(inst.db, key_id)
        if actor is None and "#" not in key_id:
            # Signed with the actor's own id as keyId (taken as its key, see _fetch_key):
            # found here, or every switch between the two forms would fetch the actor again.
            actor = await stored.get(inst.db, key_id)
        if actor is not None:
            key = ResolvedKey(key_id, actor.id, load_public_key(actor.public_key_pem))
            inst.public_keys.put(key)
            return key
    try:
        key = await inst.public_keys.once(f"key {key_id}", lambda: _fetch_key(inst, key_id))
    except FetchError as exc:
        if exc.status in (404, 410):
            raise KeyGone(f"key {key_id} is gone ({exc.status})") from exc
        raise KeyUnavailable(f"cannot fetch key {key_id}: {exc.reason}") from exc
    inst.public_keys.note_fetched(key_id, inst.clock().timestamp())
    if previous is not None and previous.public_numbers() != key.public_key.public_numbers():
        log.info("%s rotated its key %s: signatures now verify with the new one", key.owner, key_id)
    return key


async def _stored_key(inst: Instance, key_id: str) -> RSAPublicKey | None:
    actor = await stored.get_by_key_id(inst.db, key_id)
    try:
        return None if actor is None else load_public_key(actor.public_key_pem)
    except KeyUnavailable:  # a stored key that no longer loads: no rotation to tell of
        return None


async def _fetch_key(inst: Instance, key_id: str) -> ResolvedKey:
    url = key_id.partition("#")[0]
    document = await signed_get(inst, url)
    if is_actor_document(document):
        parsed = await _save(inst, document, url, key_id=key_id)
        actor = parsed.actor
    else:
        # A key document of its own (``id``, ``owner``, ``publicKeyPem``): trust only the
        # key that the owner's actor document lists.
        owner = document.get("owner")
        if not isinstance(owner, str) or document.get("id") not in (key_id, url):
            raise InvalidActor(f"{url} is neither an actor nor a key with an owner")
        actor = await get_remote_actor(inst, owner, refresh=True)
    # Some servers sign with the actor's own id as keyId; Mastodon takes its key then.
    if key_id not in (actor.key_id, actor.id):
        raise InvalidActor(f"{actor.id} does not list the key {key_id}")
    key = inst.public_keys.get(key_id)
    if key is None:  # _save cached it, unless it was evicted since
        key = ResolvedKey(key_id, actor.id, load_public_key(actor.public_key_pem))
        inst.public_keys.put(key)
    return key


async def _save(
    inst: Instance, document: JSON, url: str, *, key_id: str | None = None
) -> ParsedActor:
    parsed = parse_actor(document, url, fetched_at=inst.clock().timestamp(), key_id=key_id)
    async with inst.db.transaction() as tx:
        await stored.upsert(tx, parsed.actor, document)
    inst.public_keys.put(ResolvedKey(parsed.actor.key_id, parsed.actor.id, parsed.public_key))
    return parsed
