"""Property-based tests of what an inbox reads before anything else: `parse_activity` takes any
bytes and any JSON and either returns an activity or refuses it with BadActivity (never
another exception: that would be a 500), and the JSON depth scan that guards the parsers
agrees with the depth of the parsed value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fedishare.core.activitystreams import host_of
from fedishare.core.json_depth import TooDeep, check_depth
from fedishare.inbox.errors import BadActivity
from fedishare.inbox.receive import parse_activity

# JSON scalars, strings with the characters the depth scan must see through.
_TRICKY_TEXT = st.text(alphabet='[]{}"\\,:ab\u00e9\U0001f600 \n', max_size=12)
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TRICKY_TEXT
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TRICKY_TEXT, inner, max_size=4),
    max_leaves=25,
)

_URLS = st.sampled_from(
    [
        "https://a.example/users/x",
        "https://a.example/x/1",
        "https://b.example/users/y",
        "http://a.example:8080/users/x",
        "acct:x@a.example",
        "ftp://a.example/x",
        "https://",
        "//a.example/x",
        "",
        "https://a.example/" + "x" * 3000,
    ]
)
# What a field of an activity may be sent as, well formed or not.
_FIELD = (
    _URLS
    | _SCALARS
    | st.lists(_URLS | _SCALARS, max_size=3)
    | st.fixed_dictionaries({"id": _URLS | _SCALARS, "type": st.just("Note")})
    | _JSON
)
_TYPES = st.sampled_from(["Create", "Update", "Delete", "Follow", "Announce", "Flag", "Wave", ""])


def _reference_depth(value: object) -> int:
    """How deeply a parsed JSON value nests (a scalar: 0)."""
    if isinstance(value, dict):
        return 1 + max(map(_reference_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_reference_depth, value), default=0)
    return 0


def _accepted_or_refused(body: bytes) -> None:
    try:
        activity = parse_activity(body)
    except BadActivity as exc:
        assert exc.reason
        return
    # Accepted: what the rest of the inbox relies on holds.
    assert isinstance(activity.document, dict) and activity.type
    assert host_of(activity.id) == host_of(activity.actor) == activity.actor_host


@settings(max_examples=150)
@given(st.binary(max_size=200))
@example(b"\xff\xfe{}")
@example(b"[" * 5000)
@example(b'{"a":"' + b"[" * 200)
def test_any_bytes_are_an_activity_or_a_bad_activity(body: bytes) -> None:
    _accepted_or_refused(body)


@settings(max_examples=80)
@given(_JSON)
def test_any_json_is_an_activity_or_a_bad_activity(value: Any) -> None:
    _accepted_or_refused(json.dumps(value).encode())


@settings(max_examples=150)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "id": _FIELD,
            "type": _TYPES | _SCALARS,
            "actor": _FIELD,
            "object": _FIELD,
            "to": _FIELD,
            "cc": _FIELD,
            "audience": _FIELD,
        },
    )
)
def test_activities_with_fields_of_any_kind_are_taken_or_refused(document: Any) -> None:
    _accepted_or_refused(json.dumps(document).encode())


@settings(max_examples=100)
@given(_JSON, st.integers(min_value=0, max_value=6), st.sampled_from([None, 1]))
def test_the_depth_scan_agrees_with_the_parsed_depth(value: Any, limit: int, indent: Any) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    deeper = _reference_depth(value) > limit
    try:
        check_depth(text.encode("utf-8"), limit)
        check_depth(text, limit)
    except TooDeep:
        assert deeper
    else:
        assert not deeper


@settings(max_examples=150)
@given(st.text(alphabet='[]{}"\\x', max_size=80), st.integers(min_value=0, max_value=5))
def test_the_depth_scan_never_underestimates_what_a_parser_would_open(
    text: str, limit: int
) -> None:
    # Not JSON, mostly: whatever passes the scan never has more than `limit` brackets open
    # outside strings, counted the way a recursive parser would meet them.
    try:
        check_depth(text, limit)
    except TooDeep:
        return
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            assert depth <= limit
        elif char in "]}":
            depth -= 1


@pytest.mark.parametrize("kind", ["[", '{"a":'])
def test_20000_levels_are_refused_before_parsing(kind: str) -> None:
    close = "]" if kind == "[" else "}"
    body = (kind * 20_000 + "1" + close * 20_000).encode()
    with pytest.raises(BadActivity, match="nests deeper than 64"):
        parse_activity(body)
