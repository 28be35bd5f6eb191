"""[community] latitude/longitude and [federation] radius_km."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from fedishare.core.config import ConfigError, default_config_text, parse_config


def parse(**sections: dict[str, Any]) -> Any:
    data: dict[str, Any] = {"instance": {"domain": "oak.example"}}
    data.update(sections)
    return parse_config(data, Path("instance.toml"))


def test_no_centre_and_no_limit_by_default() -> None:
    config = parse()
    assert config.community.centre is None
    assert config.federation.radius_km == 0


def test_a_centre_and_a_radius() -> None:
    config = parse(
        community={"latitude": 51.5, "longitude": 0},
        federation={"radius_km": 25},
    )
    assert config.community.centre == (51.5, 0.0)
    assert config.federation.radius_km == 25.0


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"community": {"latitude": 51.5}}, r"\[community\] longitude: expected a number"),
        ({"community": {"longitude": 2}}, r"\[community\] latitude: expected a number"),
        ({"community": {"latitude": 91, "longitude": 0}}, "between -90 and 90, got 91"),
        ({"community": {"latitude": 0, "longitude": -181}}, "between -180 and 180"),
        ({"community": {"latitude": "51", "longitude": 0}}, "expected a number, got '51'"),
        ({"community": {"latitude": True, "longitude": 0}}, "expected a number, got True"),
        ({"federation": {"radius_km": -1}}, r"\[federation\] radius_km: expected kilometres"),
        ({"federation": {"radius_km": 10}}, "unless \\[community\\] latitude and longitude"),
    ],
)
def test_refusals(sections: dict[str, dict[str, Any]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(**sections)


def test_the_template_documents_the_keys_and_parses() -> None:
    text = default_config_text("oak.example", insecure=False)
    assert "# latitude = 51.50" in text and "radius_km = 0" in text
    config = parse_config(tomllib.loads(text), Path("instance.toml"))
    assert config.federation.radius_km == 0 and config.community.centre is None
    uncommented = text.replace("# latitude", "latitude").replace("# longitude", "longitude")
    assert parse_config(tomllib.loads(uncommented), Path("x")).community.centre == (51.5, -0.12)


def test_the_shipped_instance_toml_is_the_template() -> None:
    shipped = Path(__file__).resolve().parents[2] / "instance.toml"
    assert shipped.read_text(encoding="utf-8") == default_config_text()
