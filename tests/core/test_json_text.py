import json

import pytest

from fedishare.core.json_text import parse_json

ACTIVITY = {
    "id": "https://remote.example/activities/1",
    "type": "Create",
    "actor": "https://remote.example/users/bob",
    "object": {"type": "Note", "content": "<p>Ein Leiterchen zu verleihen, frag nach 🙂</p>"},
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
    "n": [1, 2.5, -3e-2, True, False, None],
}


@pytest.mark.parametrize("as_bytes", [True, False])
def test_reads_what_json_reads(as_bytes: bool) -> None:
    text = json.dumps(ACTIVITY, ensure_ascii=False)
    assert parse_json(text.encode() if as_bytes else text) == ACTIVITY


@pytest.mark.parametrize(
    "text",
    [
        '{"n": NaN}',  # the standard library's extensions, which orjson refuses
        '{"s": "\\ud800"}',
        '{"a": 1, "a": 2}',
    ],
)
def test_the_lenient_cases_read_as_the_standard_library_reads_them(text: str) -> None:
    assert repr(parse_json(text.encode())) == repr(json.loads(text))


@pytest.mark.parametrize("text", [b"", b"{", b'{"a": }', b"\xff\xfe{}", b"[1,]"])
def test_not_json_is_a_value_error(text: bytes) -> None:
    with pytest.raises(ValueError):
        parse_json(text)


def test_integers_beyond_64_bits_are_read_as_floats() -> None:
    assert parse_json(b'{"n": 123456789012345678901234567890}') == {"n": 1.2345678901234568e29}
