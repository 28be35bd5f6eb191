from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fedishare.cli import main
from fedishare.core.config import load_config
from fedishare.lifecycle import open_instance
from fedishare.listings import service
from fedishare.storage import actors
from tests.json_api.test_listings import BIKE


def test_listings_command_searches_by_words_and_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "instance.toml"
    assert main(["--config", str(cfg), "init", "--domain", "oak.example"]) == 0
    assert main(["--config", str(cfg), "account", "create", "alice"]) == 0

    async def offer_bike() -> service.Change:
        async with open_instance(load_config(cfg)) as inst:
            alice = await actors.find_by_username(inst.db, "alice")
            assert alice is not None
            draft = {k: v for k, v in BIKE.items() if k != "type"}
            return await service.create_listing(inst, alice, draft)

    change = asyncio.run(offer_bike())
    capsys.readouterr()

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--config", str(cfg), "listings", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = run("bike", "--near", "51.5,-0.12", "--radius", "5")
    assert code == 0
    assert out.startswith("open\tgive\tBlue one-speed bike\tOakfield (")
    assert out.rstrip().endswith(change.listing.id)
    code, out, err = run("sofa")
    assert code == 0 and out == "" and "no listings found" in err
    code, _, err = run("--near", "95,0")
    assert code == 1 and "lat" in err
