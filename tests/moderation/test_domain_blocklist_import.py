"""Importing a domain blocklist as Mastodon exports it: suspend blocks, silence silences,
noop is skipped, domains moderated already stay as they were; one bad row refuses the file
with its line number and nothing is imported."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fedishare.context import Instance
from fedishare.core.errors import Invalid
from fedishare.lifecycle import open_instance
from fedishare.moderation import blocklist_import, domain_blocks
from fedishare.storage import actors
from fedishare.storage.actors import LocalActor
from tests.harness import make_config

HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"


@pytest.fixture
async def oak(tmp_path: Path) -> AsyncIterator[Instance]:
    config = make_config(tmp_path, "oak.test", federation={"block": ["spam.example"]})
    async with open_instance(config) as inst:
        yield inst


async def admin(inst: Instance) -> LocalActor:
    found = await actors.find_by_kind(inst.db, "application")
    assert found is not None
    return found


async def moderated(inst: Instance) -> dict[str, tuple[str, str]]:
    return {b.domain: (b.severity, b.reason) for b in await domain_blocks.blocks(inst)}


async def test_a_mastodon_export_blocks_silences_and_skips(oak: Instance) -> None:
    await domain_blocks.block(oak, "kept.example", "ours", await admin(oak), "silence")
    export = HEADER + (
        "bad.example,suspend,true,true,Harassment,false\n"
        '"loud.example",silence,false,false,"Spam, mostly",true\n'
        "media.example,noop,true,false,,false\n"
        "kept.example,suspend,false,false,,false\n"
        "a.spam.example,suspend,false,false,,false\n"  # instance.toml blocks it already
        "\n"
        "BAD.example,suspend,false,false,again,false\n"  # the same domain twice
    )
    result = await blocklist_import.import_csv(oak, export.encode(), await admin(oak))
    assert result == blocklist_import.Imported(added=2, present=2, skipped=1)
    assert await moderated(oak) == {
        "bad.example": ("suspend", "Harassment"),
        "loud.example": ("silence", "Spam, mostly"),
        "kept.example": ("silence", "ours"),
    }
    assert not oak.domains.permits("bad.example") and oak.domains.permits("loud.example")
    assert oak.domains.severity("x.loud.example") == "silence"
    # Only #domain is needed; severity defaults to suspend, as Mastodon's importer has it.
    minimal = "#domain\nother.example\n"
    await blocklist_import.import_csv(oak, minimal.encode(), await admin(oak))
    assert (await moderated(oak))["other.example"] == ("suspend", "")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            HEADER + "ok.example,suspend,,,,\nworse.example,limit,,,,\n",
            "file: line 3: #severity: suspend, silence or noop, not 'limit'",
        ),
        (
            HEADER + "ok.example,suspend,,,,\nnot a domain,suspend,,,,\n",
            "file: line 3: #domain: not a domain name (like spam.example)",
        ),
        (HEADER + "ok.example,suspend\n", "file: line 2: expected 6 columns, not 2"),
        (
            HEADER + "ok.example,suspend,maybe,,,\n",
            "file: line 2: #reject_media: true or false, not 'maybe'",
        ),
        (
            "domain,severity\nok.example,suspend\n",
            "file: line 1: expected the header #domain,#severity,#reject_media,"
            "#reject_reports,#public_comment,#obfuscate (not 'domain')",
        ),
        ("", "file: empty; expected a header row starting #domain"),
        (HEADER + "oak.test,suspend,,,,\n", "file: line 2: #domain: this is our own domain"),
    ],
)
async def test_a_bad_row_refuses_the_whole_file(oak: Instance, text: str, reason: str) -> None:
    with pytest.raises(Invalid) as refused:
        await blocklist_import.import_csv(oak, text.encode(), await admin(oak))
    assert refused.value.reason == reason
    assert await moderated(oak) == {}


async def test_a_file_that_is_not_utf8_text_is_refused(oak: Instance) -> None:
    with pytest.raises(Invalid) as refused:
        await blocklist_import.import_csv(oak, b"#domain\n\xff\xfe.example\n", await admin(oak))
    assert refused.value.reason == "file: not UTF-8 text"
