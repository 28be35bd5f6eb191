import pytest

from fedishare.federation.digest import body_digest, check_digest
from fedishare.federation.errors import DigestMismatch

BODY = b'{"type":"Follow"}'
SHA256 = "GYwYnH3BiO6aICFt0ThC5bUIJ4byvqdpWtR8m5fNkww="  # openssl dgst -sha256 -binary | base64
SHA512 = "vQGMZNZBOZZ8BVm4X6SU+xRumIYdhE82AoDhrcRsvqb1ZhzSG5pTuNFTwj9G5nxvxgqPsEgmmbi/XTyI9WOhCA=="


def test_body_digest_exact() -> None:
    assert body_digest(BODY) == f"SHA-256={SHA256}"
    assert body_digest(b"") == "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


@pytest.mark.parametrize(
    "header",
    [
        f"SHA-256={SHA256}",
        f"sha-256={SHA256}",
        f"Sha-256={SHA256}",
        f"SHA-512={SHA512},SHA-256={SHA256}",
        f"SHA-256={SHA256}, SHA-512={SHA512}",
        f" sha-256 = {SHA256} ",
        f"SHA-256=AAAA,SHA-256={SHA256}",
    ],
)
def test_check_digest_accepts(header: str) -> None:
    check_digest(header, BODY)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (f"SHA-512={SHA512}", "no SHA-256"),
        ("", "no SHA-256"),
        ("garbage", "no SHA-256"),
        (f"SHA-256={SHA256[:-2]}", "does not match"),
        ("SHA-256=" + body_digest(b"other")[8:], "does not match"),
        ("SHA-256=not*base64", "does not match"),
        ("SHA-256=é", "does not match"),
    ],
)
def test_check_digest_rejects(header: str, reason: str) -> None:
    with pytest.raises(DigestMismatch, match=reason):
        check_digest(header, BODY)


def test_check_digest_covers_every_byte() -> None:
    with pytest.raises(DigestMismatch):
        check_digest(body_digest(BODY), BODY + b" ")
