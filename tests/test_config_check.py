"""`fedishare config check`, run as an operator runs it: instance.toml checked without
starting anything, a summary when it is good, the key and what was expected when not."""

from __future__ import annotations

from pathlib import Path

from fedishare.core.config import default_config_text
from tests.processes import cli


def site_at(tmp_path: Path) -> Path:
    """An instance directory with the instance.toml `fedishare init --http` writes."""
    (tmp_path / "instance.toml").write_text(default_config_text("127.0.0.1:8123", insecure=True))
    return tmp_path


async def test_a_good_file_is_ok_with_a_summary_and_opens_no_database(tmp_path: Path) -> None:
    site, port = site_at(tmp_path), 8123
    toml = site / "instance.toml"
    text = toml.read_text().replace("\nblock = []", '\nblock = ["spam.example"]', 1)
    toml.write_text(text.replace("\nreject_reports = []", '\nreject_reports = ["noisy.example"]'))
    code, out, err = await cli(site, "config", "check")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "instance.toml: ok"
    assert f"  domain: 127.0.0.1:{port} (http://127.0.0.1:{port})" in lines
    assert f"  database: {site / 'fedishare.sqlite3'}" in lines
    assert "  registration: approval" in lines
    assert "  federation: 0 allowed, 1 blocked domains in this file" in lines
    assert "  reports rejected from: noisy.example" in lines
    assert not (site / "fedishare.sqlite3").exists()  # nothing was started


async def test_a_bad_value_names_the_key_and_what_was_expected(tmp_path: Path) -> None:
    site = site_at(tmp_path)
    toml = site / "instance.toml"
    text = toml.read_text()
    toml.write_text(text.replace("\ndelivery_concurrency = 50", '\ndelivery_concurrency = "lots"'))
    code, out, err = await cli(site, "config", "check")
    assert code == 1 and out == ""
    assert "fedishare: config check — instance.toml: [limits] delivery_concurrency" in err
    assert "expected an integer, got 'lots'" in err
    assert "Traceback" not in err


async def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    site = site_at(tmp_path)
    (site / "broken.toml").write_text('[instance]\ndomain = "oak.example"\nlisten = \n')
    code, _, err = await cli(site, "config", "check", "--config", "broken.toml")
    assert code == 1
    assert "broken.toml: not valid TOML" in err and "line 3" in err
