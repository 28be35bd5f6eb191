"""Accessibility checks with axe-core, injected into the page only in tests.

`bash scripts/test` installs axe-core from the npm registry into .test-assets/ (git-ignored).
The page's CSP refuses injected scripts, so `assert_accessible` needs a page from a context
opened with `bypass_csp=True`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE = Path(__file__).parents[2] / ".test-assets/node_modules/axe-core/axe.min.js"
FAILING = ("serious", "critical")

_RUN = """
async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map((v) => ({
  id: v.id,
  impact: v.impact,
  help: v.help,
  nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
}))
"""


async def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, of every impact."""
    assert AXE.is_file(), f"axe-core is not installed at {AXE}: run `bash scripts/test` once"
    if not await page.evaluate("() => typeof axe !== 'undefined'"):
        await page.add_script_tag(path=AXE)
    found: list[dict[str, Any]] = await page.evaluate(_RUN)
    return found


async def assert_accessible(page: Page) -> None:
    """Fail on any serious or critical axe-core violation, each listed with the elements."""
    failing = [v for v in await violations(page) if v["impact"] in FAILING]
    assert not failing, f"axe-core on {page.url}:\n" + "\n".join(map(_describe, failing))


def _describe(violation: dict[str, Any]) -> str:
    lines = [f"- {violation['impact']} {violation['id']}: {violation['help']}"]
    for node in violation["nodes"]:
        summary = " ".join((node["summary"] or "").split())
        lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)
