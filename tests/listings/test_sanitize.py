"""The nh3 cleaner's configuration (a bad one panics inside nh3) and HTML to text."""

from __future__ import annotations

import nh3
import pytest

from fedishare.listings import sanitize
from fedishare.listings.sanitize import clean_html, cleaner, html_to_text


def test_the_cleaner_builds_and_is_built_once() -> None:
    assert isinstance(cleaner(), nh3.Cleaner)
    assert cleaner() is cleaner()


def test_class_is_allowed_through_allowed_classes_only() -> None:
    # Listing `class` in attributes as well would make nh3 panic (a BaseException).
    for tag in sanitize.CLASSES:
        assert "class" not in sanitize.ATTRIBUTES.get(tag, set())


def test_mastodon_mentions_and_hashtags_survive() -> None:
    html = (
        '<p><span class="h-card"><a href="https://m.example/@bob" class="u-url mention">'
        '@<span>bob</span></a></span> see <a href="https://m.example/tags/offer" '
        'class="mention hashtag" rel="tag">#<span>offer</span></a></p>'
    )
    out = clean_html(html)
    assert 'class="h-card"' in out
    assert 'class="u-url mention"' in out
    assert 'class="mention hashtag"' in out
    assert 'rel="nofollow noopener noreferrer"' in out


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<script>alert(1)</script>ok", "ok"),
        ("<style>p{}</style>ok", "ok"),
        ('<p onclick="x()">ok</p>', "<p>ok</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="nofollow noopener noreferrer">x</a>'),
        ('<a href="data:text/html,x">x</a>', '<a rel="nofollow noopener noreferrer">x</a>'),
        ('<img src="https://e.example/t.gif">ok', "ok"),
        ('<span class="evil">ok</span>', '<span class="">ok</span>'),
        ("<!-- hidden -->ok", "ok"),
        ("<iframe src='https://e.example'></iframe>ok", "ok"),
    ],
)
def test_what_is_removed(html: str, expected: str) -> None:
    assert clean_html(html) == expected


def test_text_keeps_paragraphs_and_line_breaks() -> None:
    html = "<p>One<br>two</p><p>Three &amp; <b>four</b></p><ul><li>a</li><li>b</li></ul>"
    assert html_to_text(html) == "One\ntwo\n\nThree & four\n\na\nb"


def test_text_drops_mastodons_invisible_link_parts() -> None:
    html = (
        '<p><a href="https://example.com/very/long/path"><span class="invisible">https://'
        '</span><span class="ellipsis">example.com/very</span><span class="invisible">'
        "/long/path</span></a></p>"
    )
    assert html_to_text(html) == "example.com/very"


def test_text_of_hostile_html_is_only_text() -> None:
    assert html_to_text("<script>alert(1)</script><p>Hi</p>") == "Hi"
