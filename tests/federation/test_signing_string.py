import warnings

import pytest

from fedishare.federation.errors import BadSignature, MalformedSignature
from fedishare.federation.signing_string import build_signing_string, lower_headers

HEADERS = {
    "host": "local.example",
    "date": "Tue, 02 Jul 2024 10:00:00 GMT",
    "digest": "SHA-256=GYwYnH3BiO6aICFt0ThC5bUIJ4byvqdpWtR8m5fNkww=",
    "content-type": "application/activity+json",
    "accept": "application/activity+json",
}


def test_post_signing_string_line_by_line() -> None:
    message = build_signing_string(
        ("(request-target)", "host", "date", "digest", "content-type"),
        method="POST",
        target="/users/alice/inbox?page=2&q=a%20b",
        headers=HEADERS,
    )
    assert message.split(b"\n") == [
        b"(request-target): post /users/alice/inbox?page=2&q=a%20b",
        b"host: local.example",
        b"date: Tue, 02 Jul 2024 10:00:00 GMT",
        b"digest: SHA-256=GYwYnH3BiO6aICFt0ThC5bUIJ4byvqdpWtR8m5fNkww=",
        b"content-type: application/activity+json",
    ]


def test_get_signing_string_follows_the_given_order() -> None:
    message = build_signing_string(
        ("date", "accept", "(request-target)", "host"),
        method="get",
        target="/users/alice",
        headers=HEADERS,
    )
    assert message == (
        b"date: Tue, 02 Jul 2024 10:00:00 GMT\n"
        b"accept: application/activity+json\n"
        b"(request-target): get /users/alice\n"
        b"host: local.example"
    )


def test_created_and_expires_pseudo_headers() -> None:
    message = build_signing_string(
        ("(request-target)", "(created)", "(expires)", "host"),
        method="POST",
        target="/inbox",
        headers=HEADERS,
        created=1719914400,
        expires=1719914700,
    )
    assert message.split(b"\n") == [
        b"(request-target): post /inbox",
        b"(created): 1719914400",
        b"(expires): 1719914700",
        b"host: local.example",
    ]


def test_missing_signed_header() -> None:
    with pytest.raises(BadSignature, match="'digest' is missing"):
        build_signing_string(
            ("(request-target)", "digest"), method="POST", target="/", headers={"host": "x"}
        )
    with pytest.raises(BadSignature, match="'\\(created\\)' is missing"):
        build_signing_string(("(created)",), method="POST", target="/", headers={})


def test_non_ascii_value_is_malformed_not_unicode_error() -> None:
    with pytest.raises(MalformedSignature, match="non-ASCII"):
        build_signing_string(("host",), method="GET", target="/", headers={"host": "é.example"})


def test_target_is_required() -> None:
    with pytest.raises(ValueError):
        build_signing_string(("(request-target)",), method="GET", target="", headers={})


def test_lower_headers_joins_repeats_and_trims() -> None:
    pairs = [("Host", " a.example "), ("X-Thing", "1"), ("x-thing", "2"), ("DATE", "d")]
    assert lower_headers(pairs) == {"host": "a.example", "x-thing": "1, 2", "date": "d"}


@pytest.mark.parametrize(
    ("covered", "method", "target"),
    [
        (("(request-target)", "host", "date", "digest", "content-type"), "POST", "/inbox"),
        (("(request-target)", "host", "date", "accept"), "GET", "/users/alice?page=true"),
        (("date",), "POST", "/inbox"),
        (("date", "date", "(request-target)"), "post", "/users/a%C3%A9/inbox"),
        (("(request-target)", "(created)", "(expires)", "host"), "POST", "/actor/inbox"),
        (("host", "digest", "(request-target)"), "PATCH", "/x?a=%00b&c={0}%s"),
    ],
)
def test_the_bytes_are_httpsigs(covered: tuple[str, ...], method: str, target: str) -> None:
    """httpsig builds the string once per shape and values are filled in after: each request's
    bytes must still be exactly what httpsig's generate_message gives for its values."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # httpsig imports pkg_resources
        from httpsig.utils import generate_message

    for day in ("01", "02"):  # the second fill reuses the first one's layout
        headers = {**HEADERS, "date": f"Tue, {day} Jul 2024 10:00:00 GMT"}
        given = {name: headers[name] for name in covered if name in headers}
        given.update({"(created)": "1719914400", "(expires)": "1719914700"})
        expected = generate_message(list(covered), given, method=method, path=target)
        message = build_signing_string(
            covered,
            method=method,
            target=target,
            headers=headers,
            created=1719914400,
            expires=1719914700,
        )
        assert message == expected


def test_a_target_with_a_nul_is_built_by_httpsig_directly() -> None:
    message = build_signing_string(
        ("(request-target)", "host"), method="GET", target="/a\x00b", headers=HEADERS
    )
    assert message == b"(request-target): get /a\x00b\nhost: local.example"
