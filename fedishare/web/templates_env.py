"""The Jinja2 environment for our pages (autoescaping on)."""

from __future__ import annotations

import jinja2


def make_templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("fedishare.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        enable_async=False,
    )
