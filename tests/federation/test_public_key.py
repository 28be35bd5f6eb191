import dataclasses

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from fedishare.federation.errors import KeyUnavailable
from fedishare.federation.public_key import ResolvedKey, load_public_key
from fedishare.http.errors import status_of


def _pem(key: rsa.RSAPublicKey, fmt: serialization.PublicFormat) -> str:
    return key.public_bytes(serialization.Encoding.PEM, fmt).decode("ascii")


def test_loads_spki_pem_as_str_and_bytes(private_key: rsa.RSAPrivateKey) -> None:
    public = private_key.public_key()
    pem = _pem(public, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert load_public_key(pem).public_numbers() == public.public_numbers()
    assert load_public_key(pem.encode()).public_numbers() == public.public_numbers()
    # Actor documents often carry surrounding whitespace.
    assert load_public_key(f"\n  {pem}\n").public_numbers() == public.public_numbers()


def test_loads_pkcs1_pem(private_key: rsa.RSAPrivateKey) -> None:
    public = private_key.public_key()
    pem = _pem(public, serialization.PublicFormat.PKCS1)
    assert load_public_key(pem).public_numbers() == public.public_numbers()


@pytest.mark.parametrize("pem", ["", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n", "ключ"])
def test_rejects_unreadable_pem(pem: str) -> None:
    with pytest.raises(KeyUnavailable) as info:
        load_public_key(pem)
    assert status_of(info.value) == 401


def test_rejects_non_rsa_keys() -> None:
    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(KeyUnavailable, match="not an RSA key"):
        load_public_key(pem)


def test_resolved_key_is_frozen(private_key: rsa.RSAPrivateKey) -> None:
    key = ResolvedKey("https://a.example/u#k", "https://a.example/u", private_key.public_key())
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.owner = "https://evil.example/u"  # type: ignore[misc]
