import base64

import pytest

from fedishare.federation.errors import MalformedSignature, SignatureError
from fedishare.federation.signature_header import (
    SignatureParams,
    format_signature_header,
    parse_signature_header,
)
from fedishare.http.errors import status_of

SIG = base64.b64encode(b"\x01\x02\x03\xff").decode()
KEY_ID = "https://remote.example/users/bob#main-key"


def test_parses_mastodon_header() -> None:
    value = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",'
        f'headers="(request-target) host date digest content-type",signature="{SIG}"'
    )
    assert parse_signature_header(value) == SignatureParams(
        key_id=KEY_ID,
        algorithm="rsa-sha256",
        headers=("(request-target)", "host", "date", "digest", "content-type"),
        signature=b"\x01\x02\x03\xff",
    )


def test_tolerates_spacing_order_and_case() -> None:
    value = (
        f' signature = "{SIG}" ,  HEADERS="(Request-Target)  Host\tDate" ,'
        f'Algorithm="HS2019",, keyid="{KEY_ID}" ,'
    )
    params = parse_signature_header(value)
    assert params.key_id == KEY_ID
    assert params.algorithm == "hs2019"
    assert params.headers == ("(request-target)", "host", "date")
    assert params.signature == b"\x01\x02\x03\xff"


def test_defaults() -> None:
    params = parse_signature_header(f'keyId="{KEY_ID}",signature="{SIG}"')
    assert params.algorithm is None
    assert params.headers == ("date",)  # the draft's default
    assert params.created is None and params.expires is None


def test_created_and_expires() -> None:
    value = (
        f'keyId="k",algorithm="hs2019",created=1402170695,expires=1402170699.5,signature="{SIG}"'
    )
    params = parse_signature_header(value)
    assert (params.created, params.expires) == (1402170695, 1402170699)


def test_escaped_quotes_and_bare_tokens() -> None:
    params = parse_signature_header(f'keyId="a\\"b\\\\c",algorithm=hs2019,signature="{SIG}"')
    assert params.key_id == 'a"b\\c'
    assert params.algorithm == "hs2019"


def test_unknown_parameters_are_ignored() -> None:
    assert parse_signature_header(f'keyId="k",foo="bar",signature="{SIG}"').key_id == "k"


def test_quoted_commas_stay_in_values() -> None:
    assert parse_signature_header(f'keyId="a,b",signature="{SIG}"').key_id == "a,b"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "Signature",
        f'signature="{SIG}"',
        f'keyId="",signature="{SIG}"',
        'keyId="k"',
        'keyId="k",signature=""',
        'keyId="k",signature="not base64!"',
        f'keyId="k,signature="{SIG}"',
        f'keyId="k",keyId="j",signature="{SIG}"',
        f'keyId="k",created=soon,signature="{SIG}"',
        f'keyId="k",expires=-1,signature="{SIG}"',
        f'keyId="k",=x,signature="{SIG}"',
        "sig1=:AAAA:",  # an RFC 9421 Signature
        f'keyId="k" x,signature="{SIG}"',
        f'keyId=k x,signature="{SIG}"',
        f'keyId="k\\",signature="{SIG}',
    ],
)
def test_malformed_headers(value: str) -> None:
    with pytest.raises(MalformedSignature) as info:
        parse_signature_header(value)
    assert status_of(info.value) == 400
    assert info.value.reason


def test_format_is_httpsigs_template() -> None:
    assert format_signature_header(
        KEY_ID, "rsa-sha256", ["(request-target)", "host", "date"], b"\x01\x02\x03\xff"
    ) == (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",signature="{SIG}",'
        'headers="(request-target) host date"'
    )


def test_format_parse_round_trip_with_percent_in_key_id() -> None:
    key_id = "https://remote.example/users/j%C3%BCrgen#main-key"
    value = format_signature_header(key_id, "rsa-sha256", ["date"], b"sig")
    assert parse_signature_header(value) == SignatureParams(
        key_id=key_id, algorithm="rsa-sha256", headers=("date",), signature=b"sig"
    )


@pytest.mark.parametrize("key_id", ['a"b', "a\\b", "a\nb"])
def test_format_refuses_unquotable_key_ids(key_id: str) -> None:
    with pytest.raises(ValueError):
        format_signature_header(key_id, "rsa-sha256", ["date"], b"sig")


@pytest.mark.parametrize(
    "value",
    ['"', '""', ",,,", "=", "a=", '=""', 'keyId="k",signature="AAAA",headers=""', "\x00\xff"],
)
def test_only_our_errors_escape(value: str) -> None:
    try:
        parse_signature_header(value)
    except SignatureError:
        pass


def _variants() -> list[str]:
    """Headers as peers write them, and damaged ones: spacing, stray commas, unquoted or
    escaped values, a cut-off end, every single character deleted from a real header."""
    base = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",'
        f'headers="(request-target) host date digest content-type",signature="{SIG}"'
    )
    out = [
        base,
        base.replace(",", " , "),
        base.replace(",", ",,"),
        base.replace("=", " = "),
        "," + base + ",",
        base + ' x="y"',
        base.replace('algorithm="rsa-sha256"', "algorithm=rsa-sha256"),
        base.replace('"rsa-sha256"', '"rsa\\"sha256"'),
        base + ",created=1402170695",
        base[:-1],
        base.replace("keyId", "KEYID"),
        base + f',keyId="{KEY_ID}"',
        format_signature_header(KEY_ID, "rsa-sha256", ["(request-target)", "date"], b"sig"),
    ]
    out += [base[:i] + base[i + 1 :] for i in range(len(base))]
    return out


@pytest.mark.parametrize("value", _variants())
def test_the_quick_split_reads_what_the_scanner_reads(value: str) -> None:
    """The usual header is split at its quotes; whatever the split accepts must give exactly
    what the scanner gives, and it must leave to the scanner everything else."""
    from fedishare.federation.signature_header import _quick_parameters, _scanned_parameters

    quick = _quick_parameters(value)
    try:
        scanned = [(name.lower(), raw) for name, raw in _scanned_parameters(value)]
    except MalformedSignature:
        assert quick is None
        return
    if quick is not None:
        assert sorted(quick.items()) == sorted(scanned)
