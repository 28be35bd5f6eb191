"""Remote public keys: the resolved-key value, the resolver's type, and PEM loading."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from fedishare.federation.errors import KeyUnavailable


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    """A remote actor's key, loaded once and kept as an object (PEM parsing is slow)."""

    key_id: str
    owner: str  # the actor id the key document names as its owner
    public_key: RSAPublicKey


# resolve_key(key_id, refresh): refresh=False may answer from a cache; refresh=True must
# fetch again (the actor may have rotated its key).
KeyResolver = Callable[[str, bool], Awaitable[ResolvedKey]]


def load_public_key(pem: str | bytes) -> RSAPublicKey:
    """Load an SPKI (or PKCS#1) PEM into an RSA public key object.

    Pure, so callers may memoize it; raises KeyUnavailable for anything unusable.
    """
    try:
        data = pem.strip().encode("ascii") if isinstance(pem, str) else pem.strip()
        key = load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:  # UnicodeEncodeError is a ValueError
        raise KeyUnavailable("publicKeyPem is not a readable PEM public key") from exc
    if not isinstance(key, RSAPublicKey):
        raise KeyUnavailable("publicKeyPem is not an RSA key")
    return key
