"""Who fetches our ActivityStreams documents, from the HTTP signature on the GET.

Secure mode ([federation] secure_mode, Mastodon's "authorized fetch"): every GET of an actor,
object, activity, collection or listing document must be signed by a key of a server we
federate with; unsigned, or not verifying, is answered 401, a blocked server or account 403.
The instance actor (`/actor`, whose key signs our own fetches) stays public: a server
checking our signature never has to sign a fetch of our key, which would have us fetch
theirs, and so on. WebFinger, NodeInfo and the web pages stay public too.

In secure mode, a member's documents are also answered 404 to an account the member blocks
(`blocked_by_author`).

Whatever the mode, a signature decides who may read a followers-only document: a server that
hosts one of the author's accepted followers (the follower signs, or their server's instance
actor fetches for them). Anyone else is answered 404, as if it did not exist (Mastodon does
the same).

Verification is the inbox's: `verify_request` with `resolve_key`, a key fetched (signed by
our instance actor) only from a host we federate with. The outcome is kept in the request's
scope, so a route that asks twice verifies once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from starlette.requests import Request
from starlette.types import Scope

from fedishare.accounts.members import local_actor_for
from fedishare.context import Instance
from fedishare.core.activitystreams import NotHttpUrl, host_of
from fedishare.core.errors import Forbidden
from fedishare.federation.errors import MalformedSignature, MissingSignature
from fedishare.federation.public_key import ResolvedKey
from fedishare.federation.verification import verify_request
from fedishare.http.requests import instance_of
from fedishare.remote.actors import resolve_key
from fedishare.storage import account_relations
from fedishare.storage.follower_servers import has_follower_on

_SCOPE_KEY = "fedishare.fetcher"
# Either scheme marks a request as signed: draft-cavage `Signature`, RFC 9421 `Signature-Input`.
_SIGNATURE_HEADERS = ("signature", "signature-input")


@dataclass(frozen=True)
class Fetcher:
    """The verified signer of a GET."""

    actor: str  # the signing key's owner
    origin: str  # its server, "scheme://host[:port]/"


def request_target(scope: Scope) -> str:
    """The path and query exactly as sent, which is what was signed (Starlette's url.path is
    decoded and has no query)."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    return (raw + b"?" + query if query else raw).decode("latin-1")


async def signer(request: Request) -> Fetcher | None:
    """The verified signer of this request; None when it carries no signature.

    Raises a SignatureError (401; 400 when malformed) when a signature does not verify, and
    Forbidden (403) when the key or its owner is on a server we do not federate with, or
    an admin blocked the owner's account."""
    if _SCOPE_KEY in request.scope:
        found: Fetcher | None = request.scope[_SCOPE_KEY]
        return found
    fetcher = None
    if any(name in request.headers for name in _SIGNATURE_HEADERS):
        inst = instance_of(request)
        key = await verify_request(
            request.method,
            request_target(request.scope),
            request.headers,
            b"",
            resolve_key=partial(_permitted_key, inst),
            now=inst.clock(),
            scheme=inst.config.instance.scheme,
        )
        if inst.domains.refuses_actor(key.owner):  # an admin blocked the account
            raise Forbidden(f"{key.owner} is blocked on this instance")
        fetcher = Fetcher(key.owner, _origin(inst, key.owner))
    request.scope[_SCOPE_KEY] = fetcher
    return fetcher


async def check_fetch(request: Request) -> Fetcher | None:
    """What every route serving an ActivityStreams document (but the instance actor) asks
    first: in secure mode, the verified signer (MissingSignature, 401, when unsigned);
    otherwise None, with nothing checked."""
    if not instance_of(request).config.federation.secure_mode:
        return None
    fetcher = await signer(request)
    if fetcher is None:
        raise MissingSignature("this server is in secure mode: sign the request")
    return fetcher


async def blocked_by_author(request: Request, fetcher: Fetcher | None, author: str) -> bool:
    """Once a document's author (one of our actors) is known: whether the author blocks its
    verified signer, who is then answered as if the document did not exist (Mastodon's
    authorized fetch does the same). `fetcher` is what `check_fetch` returned: only in secure
    mode is every reader known; outside it anyone may read public documents unsigned, and a
    block keeps nothing from them."""
    if fetcher is None:
        return False
    inst = instance_of(request)
    member = await local_actor_for(inst, author)
    return (
        member is not None
        and await account_relations.find_block(inst.db, member.id, fetcher.actor) is not None
    )


async def reads_followers_only(request: Request, author: str) -> bool:
    """Whether this request may have a followers-only document of `author`: it is signed
    by a server that hosts one of the author's accepted followers."""
    fetcher = await signer(request)
    if fetcher is None:
        return False
    return await has_follower_on(instance_of(request).db, author, fetcher.origin)


def _permitted_host(inst: Instance, url: str) -> str:
    try:
        host = host_of(url)
    except NotHttpUrl as exc:
        raise MalformedSignature(f"the signing key is not at an http(s) URL: {url!r}") from exc
    if not inst.domains.permits(host):
        raise Forbidden(f"{host} may not federate with this instance")
    return host


async def _permitted_key(inst: Instance, key_id: str, refresh: bool) -> ResolvedKey:
    _permitted_host(inst, key_id)  # before any fetch of the key
    return await resolve_key(inst, key_id, refresh)


def _origin(inst: Instance, owner: str) -> str:
    host = _permitted_host(inst, owner)
    scheme = owner.partition("://")[0].lower()
    return f"{scheme}://{host}/"
