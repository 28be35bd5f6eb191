"""Filling and sending forms the way a person does: each field found by its label (so an
unlabelled field fails the test), the form sent with its button."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from playwright.async_api import Locator, Page, Response

# Text for text boxes, an option's text for selects, True/False for checkboxes and radio
# buttons, paths for file inputs.
Value = str | bool | Path | Sequence[Path]


async def field(page: Page, label: str) -> Locator:
    """The one field labelled `label`, or else the one whose label starts with it and goes on
    with a hint ("Your message Only alice reads it.")."""
    exact = page.get_by_label(label, exact=True)
    if await exact.count() == 1:
        return exact
    starting = page.get_by_label(re.compile(rf"^{re.escape(label)}\b"))
    count = await starting.count()
    assert count == 1, f"{count} fields are labelled {label!r} on {page.url}"
    return starting


async def fill(page: Page, fields: Mapping[str, Value]) -> None:
    for label, value in fields.items():
        await _set(await field(page, label), label, value)


async def submit(page: Page, button: str, *, within: Locator | None = None) -> Response:
    """Press the button (in `within`, if given) and wait for the page the form leads to,
    after any redirect."""
    scope = within or page
    async with page.expect_navigation() as navigation:
        await scope.get_by_role("button", name=button, exact=True).click()
    response = await navigation.value
    assert response is not None, f"pressing {button!r} loaded no page"
    return response


async def send_form(page: Page, fields: Mapping[str, Value], button: str) -> Response:
    await fill(page, fields)
    return await submit(page, button)


async def field_error(page: Page, label: str) -> str:
    """The error shown beside a field: the error text among what its aria-describedby names
    ("" when there is none)."""
    described_by = await (await field(page, label)).get_attribute("aria-describedby") or ""
    errors = [
        await page.locator(f"[id='{name}']").inner_text()
        for name in described_by.split()
        if "error" in (await page.locator(f"[id='{name}']").get_attribute("class") or "")
    ]
    return " ".join(errors)


async def _set(locator: Locator, label: str, value: Value) -> None:
    kind = await locator.evaluate("(el) => el.tagName === 'INPUT' ? el.type : el.tagName")
    if kind == "file":
        paths = [value] if isinstance(value, Path) else value
        assert isinstance(paths, Sequence) and not isinstance(paths, str), label
        await locator.set_input_files(list(paths))
    elif kind in ("checkbox", "radio"):
        assert isinstance(value, bool), f"{label!r} is a {kind}: give True or False"
        await locator.set_checked(value)
    elif kind == "SELECT":
        assert isinstance(value, str), label
        await locator.select_option(label=value)
    else:
        assert isinstance(value, str), f"{label!r} is a text field: give a string"
        await locator.fill(value)
