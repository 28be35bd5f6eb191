"""The Jinja2 environment for our pages: autoescaping on, and the page text looked up in
gettext catalogs (Babel) under fedishare/web/locale, so a neighbourhood can translate it.
English is the source language: with no catalog, text shows as written."""

from __future__ import annotations

from pathlib import Path

import jinja2
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def make_templates(locale: str = "en") -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fedishare.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        enable_async=False,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = Translations.load(str(LOCALE_DIR), [locale], DOMAIN)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env
