"""Full-page screenshots at a phone's and a desktop's width, for people to look at: saved as
screenshots/PAGE-WIDTH.png at the repository root (git-ignored)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page

SCREENSHOTS = Path(__file__).parents[2] / "screenshots"
PHONE, DESKTOP = 390, 1280
HEIGHT = 844


async def save_screenshots(page: Page, name: str) -> list[Path]:
    """Screenshot the page at each width; the viewport is left at the desktop width."""
    SCREENSHOTS.mkdir(exist_ok=True)
    saved = []
    for width in (PHONE, DESKTOP):
        await page.set_viewport_size({"width": width, "height": HEIGHT})
        path = SCREENSHOTS / f"{name}-{width}.png"
        await page.screenshot(path=path, full_page=True)
        saved.append(path)
    return saved


async def sideways_overflow(page: Page, width: int = PHONE) -> int:
    """How many pixels the page is wider than a `width` px viewport (0: nothing to scroll
    sideways). The viewport is left at that width."""
    await page.set_viewport_size({"width": width, "height": HEIGHT})
    scroll_width: int = await page.evaluate("() => document.documentElement.scrollWidth")
    return max(0, scroll_width - width)


def png_width(path: Path) -> int:
    """The width in the PNG's header (bytes 16-19 of the IHDR chunk)."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(header[16:20], "big")
