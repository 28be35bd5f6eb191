"""fedishare.federation.cavage against httpsig 1.3.0, the reference it replaces: the same
bytes, and the same refusals, for every shape of input fedishare (or a peer) can give."""

from __future__ import annotations

import base64
import random
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from fedishare.federation import cavage
from fedishare.federation.signature_header import format_signature_header

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # httpsig's __init__ imports pkg_resources
    from httpsig import utils as reference

DATE = "Tue, 02 Jul 2024 10:00:00 GMT"
HEADERS = {
    "Host": "oak.example",
    "Date": DATE,
    "Digest": "SHA-256=GYwYnH3BiO6aICFt0ThC5bUIJ4byvqdpWtR8m5fNkww=",
    "Content-Type": "application/activity+json",
    "Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    "User-Agent": "http.rb/5.1.1 (Mastodon/4.3.0; +https://mastodon.example/)",
    "X-Odd": "50% {0} %s \\ \t tab",
    "(created)": "1719914400",
    "(expires)": "1719914700.5",
}


def same_outcome(ours: Callable[[], Any], theirs: Callable[[], Any]) -> Any:
    """Both give the same value, or both raise with the same message (ours a ValueError)."""
    try:
        expected = theirs()
    except Exception as exc:
        with pytest.raises(ValueError) as raised:
            ours()
        assert type(raised.value) is type(exc) or type(exc) is Exception
        assert str(raised.value) == str(exc)
        return raised.value
    assert ours() == expected
    return expected


def same_message(
    covered: Sequence[str] | None,
    headers: Mapping[str, str] | None,
    host: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> Any:
    return same_outcome(
        lambda: cavage.generate_message(covered, headers, host=host, method=method, path=path),
        lambda: reference.generate_message(covered, headers, host=host, method=method, path=path),
    )


@pytest.mark.parametrize(
    "covered",
    [
        ("(request-target)", "host", "date", "digest", "content-type"),  # Mastodon's POST
        ("(request-target)", "host", "date", "accept"),  # a signed GET
        ("(request-target)", "host", "date", "digest"),
        ("(request-target)", "(created)", "(expires)", "host", "digest"),  # hs2019
        ("date",),
        ("host",),
        ("(request-target)",),
        ("date", "(request-target)", "host", "user-agent"),  # any order
        ("date", "date", "(request-target)", "(request-target)", "host", "host"),  # repeats
        ("(Request-Target)", "HOST", "Date", "DiGeSt", "x-odd"),  # names in any case
        ("X-ODD", "(CREATED)"),
        [],  # no names: the draft's default, date
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/users/alice/inbox"),
        ("get", "/users/alice?page=true&q=a%20b"),
        ("Patch", "/x?a={0}%s%%"),
        ("POST", "/a\x00b"),
    ],
)
def test_signing_strings(covered: Sequence[str], method: str, path: str) -> None:
    message = same_message(covered, HEADERS, method=method, path=path)
    assert isinstance(message, bytes) and message


@pytest.mark.parametrize(
    "headers",
    [
        HEADERS,
        {name.lower(): value for name, value in HEADERS.items()},
        {name.upper(): value for name, value in HEADERS.items()},
        # Names differing only in case: the later one counts.
        {"date": "first", "Date": "second", "DATE": DATE, "host": "a", "HOST": "b"},
        {"Host": "", "Date": "", "Digest": " padded "},
    ],
)
@pytest.mark.parametrize("host", [None, "", "given.example:8443"])
def test_header_lookup_and_the_host_argument(headers: Mapping[str, str], host: str | None) -> None:
    for covered in (["date", "host"], ["HOST"], ["host", "host"], ["(request-target)", "host"]):
        same_message(covered, headers, host=host, method="post", path="/inbox")


def test_host_given_as_an_argument_needs_no_header() -> None:
    assert same_message(["host", "date"], {"date": DATE}, host="oak.example") == (
        f"host: oak.example\ndate: {DATE}".encode()
    )


@pytest.mark.parametrize(
    ("covered", "headers", "method", "path"),
    [
        (["(request-target)", "x-absent"], HEADERS, "POST", "/"),  # a header absent
        (["date", "Signature"], HEADERS, "POST", "/"),  # absent, named in upper case
        (["host"], {"date": DATE}, "POST", "/"),  # host absent, and no host argument
        (["(created)"], {"date": DATE}, "POST", "/"),  # a pseudo-header without its value
        (["(request-target)"], HEADERS, None, "/"),
        (["(request-target)"], HEADERS, "POST", None),
        (["(request-target)"], HEADERS, "", "/inbox"),
        (["(request-target)"], HEADERS, "POST", ""),
        ([], {"host": "oak.example"}, "POST", "/"),  # the default, date, is missing
        (["date"], None, "POST", "/"),
        (["date"], {}, "POST", "/"),
    ],
)
def test_refusals(
    covered: Sequence[str],
    headers: Mapping[str, str] | None,
    method: str | None,
    path: str | None,
) -> None:
    error = same_message(covered, headers, method=method, path=path)
    assert isinstance(error, cavage.SigningStringError)


def test_the_first_missing_header_is_the_one_named() -> None:
    error = same_message(["date", "b", "a"], {"date": DATE}, method="GET", path="/")
    assert str(error) == 'missing required header "b"'


@pytest.mark.parametrize(
    ("headers", "method", "path"),
    [
        ({"host": "é.example", "date": DATE}, "GET", "/"),
        ({"host": "oak.example", "date": DATE}, "GET", "/caf\u00e9"),
        ({"host": "oak.example", "date": "\u2603"}, "GET", "/"),
    ],
)
def test_non_ascii_is_a_unicode_error_in_both(
    headers: Mapping[str, str], method: str, path: str
) -> None:
    covered = ["(request-target)", "host", "date"]
    with pytest.raises(UnicodeEncodeError):
        reference.generate_message(covered, headers, method=method, path=path)
    with pytest.raises(UnicodeEncodeError):
        cavage.generate_message(covered, headers, method=method, path=path)


def test_many_random_shapes() -> None:
    """Random header lists over known, pseudo and absent names, in random case, repeated or
    not, against random header sets; the same seed every run."""
    rng = random.Random(20240702)
    names = [*HEADERS, "(request-target)", "signature", "x-absent", "host"]
    for _ in range(2000):
        covered = [
            "".join(c.upper() if rng.random() < 0.3 else c for c in rng.choice(names))
            for _ in range(rng.randrange(0, 7))
        ]
        present = {
            (name.upper() if rng.random() < 0.5 else name): value
            for name, value in HEADERS.items()
            if rng.random() < 0.8
        }
        same_message(
            covered,
            present,
            host=rng.choice([None, "", "arg.example"]),
            method=rng.choice([None, "", "POST", "get"]),
            path=rng.choice([None, "", "/inbox", "/u?x=1"]),
        )


KEY_ID = "https://remote.example/users/bob#main-key"


@pytest.mark.parametrize("key_id", [KEY_ID, "k", "", "https://oak.example/users/j%C3%BCrgen#k"])
@pytest.mark.parametrize("algorithm", ["rsa-sha256", "hs2019", "RSA-SHA256", ""])
@pytest.mark.parametrize(
    "headers",
    [
        ["(request-target)", "host", "date", "digest", "content-type"],
        ["(Request-Target)", "Host", "DATE"],
        ["(request-target)", "(created)", "(expires)"],
        ["date", "date"],
        ["date"],
        [],
        None,
    ],
)
@pytest.mark.parametrize(
    "sign_header", ["signature", "Signature", "authorization", "AUTHORIZATION"]
)
def test_signature_templates(
    key_id: str, algorithm: str, headers: list[str] | None, sign_header: str
) -> None:
    template = same_outcome(
        lambda: cavage.build_signature_template(key_id, algorithm, headers, sign_header),
        lambda: reference.build_signature_template(key_id, algorithm, headers, sign_header),
    )
    assert isinstance(template, str) and template.count("%s") == 1 + key_id.count("%s")


def test_the_template_defaults_to_authorization() -> None:
    ours = cavage.build_signature_template(KEY_ID, "rsa-sha256", ["date"])
    assert ours == reference.build_signature_template(KEY_ID, "rsa-sha256", ["date"])
    assert ours.startswith('Signature keyId="')


@pytest.mark.parametrize("key_id", [KEY_ID, "https://oak.example/users/j%C3%BCrgen#main-key"])
@pytest.mark.parametrize("headers", [["(request-target)", "host", "date", "digest"], ["date"]])
def test_the_signature_header_we_send_is_httpsigs(key_id: str, headers: list[str]) -> None:
    signature = bytes(range(256))
    expected = reference.build_signature_template(
        key_id.replace("%", "%%"), "rsa-sha256", headers, sign_header="signature"
    ) % base64.b64encode(signature).decode("ascii")
    assert format_signature_header(key_id, "rsa-sha256", headers, signature) == expected
