"""A Mastodon-like server for the in-process harness: it serves actor documents with keys the
test holds (rotated, split into key documents or gone on demand) and builds inbox POSTs signed
the way Mastodon 4.3 signs them, independently of our own signing code."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.core.types import JSON
from fedishare.federation.dates import http_date
from fedishare.federation.keys import public_pem_of
from tests.federation.mastodon import sign
from tests.harness import Network

USER_AGENT = "http.rb/5.1.1 (Mastodon/4.3.0; +https://mastodon.example/)"
MASTODON_COVERED = ("(request-target)", "host", "date", "digest", "content-type")
AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


@functools.cache
def rsa_key(n: int) -> rsa.RSAPrivateKey:
    """The n-th RSA key of this test process (generating keys is slow: share them)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class _Activity(JSONResponse):
    media_type = "application/activity+json"


class MastodonPeer:
    def __init__(self, host: str) -> None:
        self.host = host
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.key_documents: set[str] = set()  # actors whose keyId is a document of its own
        self.gone: set[str] = set()
        self.fetched: list[str] = []  # paths GET by anyone, in order
        self.app = Starlette(
            routes=[
                Route("/users/{name}", self._actor),
                Route("/keys/{name}", self._key),
            ]
        )

    @classmethod
    def on(cls, net: Network, host: str) -> MastodonPeer:
        peer = cls(host)
        net.router.add(host, peer.app)
        return peer

    @property
    def base(self) -> str:
        return f"http://{self.host}"

    def actor_id(self, name: str) -> str:
        return f"{self.base}/users/{name}"

    def key_id(self, name: str) -> str:
        if name in self.key_documents:
            return f"{self.base}/keys/{name}"
        return f"{self.actor_id(name)}#main-key"

    def add(self, name: str, key: rsa.RSAPrivateKey, *, key_document: bool = False) -> str:
        self.keys[name] = key
        if key_document:
            self.key_documents.add(name)
        return self.actor_id(name)

    def document(self, name: str) -> JSON:
        aid = self.actor_id(name)
        return {
            "@context": AS_CONTEXT,
            "id": aid,
            "type": "Person",
            "preferredUsername": name,
            "name": name.title(),
            "inbox": f"{aid}/inbox",
            "outbox": f"{aid}/outbox",
            "followers": f"{aid}/followers",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": self._public_key(name),
        }

    def _public_key(self, name: str) -> JSON:
        return {
            "id": self.key_id(name),
            "owner": self.actor_id(name),
            "publicKeyPem": public_pem_of(self.keys[name].public_key()),
        }

    async def _actor(self, request: Request) -> Response:
        return self._serve(request, lambda name: self.document(name))

    async def _key(self, request: Request) -> Response:
        return self._serve(request, lambda name: {"@context": AS_CONTEXT, **self._public_key(name)})

    def _serve(self, request: Request, build: Callable[[str], JSON]) -> Response:
        self.fetched.append(request.url.path)
        name = request.path_params["name"]
        if name in self.gone:
            return Response(status_code=410)
        if name not in self.keys:
            return Response(status_code=404)
        return _Activity(build(name))

    def signed_post(
        self,
        name: str,
        url: str,
        activity: JSON | bytes,
        *,
        now: datetime,
        algorithm: str | None = "rsa-sha256",
        digest_name: str = "SHA-256",
        covered: Sequence[str] = MASTODON_COVERED,
        key: rsa.RSAPrivateKey | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of Mastodon's POST of ``activity`` to ``url``, in its header
        order (User-Agent, Host, Date, Accept-Encoding, Content-Type, Digest, Signature)."""
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        target_url = _split(url)
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        headers = {
            "User-Agent": USER_AGENT,
            "Host": target_url[0],
            "Date": http_date(now),
            "Accept-Encoding": "gzip",
            "Content-Type": "application/activity+json",
            "Digest": f"{digest_name}={digest}",
        }
        signed = sign(
            key or self.keys[name],
            self.key_id(name),
            "POST",
            target_url[1],
            headers,
            covered,
            algorithm=algorithm,
        )
        return body, signed


def _split(url: str) -> tuple[str, str]:
    """(host[:port], path?query) of an http URL."""
    rest = url.split("://", 1)[1]
    host, slash, path = rest.partition("/")
    return host, slash + path
