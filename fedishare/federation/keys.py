"""RSA key pairs for our actors: made once, kept in the database, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


def generate_key_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return KeyPair(private_pem=private_pem, public_pem=public_pem_of(key.public_key()))


def public_pem_of(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """Load one of our own keys. Skipping validation is safe because we generated it, and
    turns a 33 ms load into a few microseconds."""
    key = serialization.load_pem_private_key(
        pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


class PrivateKeyCache:
    """Private key objects by actor id, each loaded from PEM at most once."""

    def __init__(self) -> None:
        self._keys: dict[int, rsa.RSAPrivateKey] = {}

    def get(self, actor_id: int, pem: str) -> rsa.RSAPrivateKey:
        key = self._keys.get(actor_id)
        if key is None:
            key = self._keys[actor_id] = load_private_key(pem)
        return key
