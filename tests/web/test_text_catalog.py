"""The catalog template that translators start from holds every string of the pages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
POT = ROOT / "fedishare/web/locale/messages.pot"
PYBABEL = Path(sys.executable).with_name("pybabel")
# The command babel.cfg gives, writing to OUTPUT.
EXTRACT = ("-q", "extract", "-F", "babel.cfg", "--add-comments=TRANSLATORS:")


def msgids(pot: Path) -> set[str]:
    with pot.open("rb") as f:
        return {str(message.id) for message in read_po(f) if message.id}


def extract(output: Path) -> None:
    done = subprocess.run(
        [str(PYBABEL), *EXTRACT, "--project", "fedishare", "-o", str(output), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_messages_pot_holds_every_string_of_the_templates(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    extract(fresh)
    now, kept = msgids(fresh), msgids(POT)
    assert {"Log in", "Sign up", "Back to the board"} <= now  # the extraction found the pages
    regenerate = (
        f".venv/bin/pybabel {' '.join(EXTRACT)} --project fedishare -o {POT.relative_to(ROOT)} ."
    )
    assert now == kept, (
        f"{POT.relative_to(ROOT)} is out of date; regenerate it with\n  {regenerate}\n"
        f"missing: {sorted(now - kept)}\nno longer used: {sorted(kept - now)}"
    )
