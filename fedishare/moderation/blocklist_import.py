"""Importing a domain blocklist from CSV as Mastodon exports it (Administration > Federation >
Export): a header row `#domain,#severity,#reject_media,#reject_reports,#public_comment,
#obfuscate`, then one domain a row. Only `#domain` must be there; the others may be left out
(as Mastodon's importer allows).

Severity `suspend` (or none) blocks the domain, `silence` silences it, `noop` (which in
Mastodon only limits media or reports) is skipped; the public comment becomes the reason.
Domains moderated already, here or in instance.toml, are left as they are. The file is read
whole first: one bad row refuses the file, naming its line and what was expected, and
nothing is imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from fedishare.context import Instance
from fedishare.core.domain_policy import Severity
from fedishare.core.errors import Invalid
from fedishare.moderation import domain_blocks
from fedishare.storage.actors import LocalActor

MAX_BYTES = 2_000_000
MAX_ROWS = 20_000
COLUMNS = (
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
)
_SEVERITIES = {"": "suspend", "suspend": "suspend", "silence": "silence", "noop": None}
_BOOLEANS = ("", "true", "false")


@dataclass(frozen=True)
class Imported:
    added: int  # domains blocked or silenced now
    present: int  # moderated already (from the web or instance.toml): left as they were
    skipped: int  # rows of severity noop


def parse(inst: Instance, data: bytes) -> tuple[list[tuple[str, Severity, str]], int]:
    """The (domain, severity, reason) of each row to import, and how many were noop;
    Invalid("file: …") naming the first bad line."""
    if len(data) > MAX_BYTES:
        raise Invalid(f"file: at most {MAX_BYTES // 1_000_000} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("file: not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise Invalid(f"file: line 1: not CSV ({exc})") from None
    if header is None:
        raise Invalid("file: empty; expected a header row starting #domain")
    names = [h.strip().lower() for h in header]
    unknown = [n for n in names if n not in COLUMNS]
    if "#domain" not in names or unknown:
        raise Invalid(
            f"file: line 1: expected the header {','.join(COLUMNS)}"
            + (f" (not {unknown[0]!r})" if unknown else "")
        )
    entries: list[tuple[str, Severity, str]] = []
    seen: set[str] = set()
    noop = 0
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(entries) + noop >= MAX_ROWS:
                raise Invalid(f"file: at most {MAX_ROWS} rows")
            if len(row) != len(names):
                raise Invalid(f"file: line {line}: expected {len(names)} columns, not {len(row)}")
            cells = dict(zip(names, (c.strip() for c in row), strict=True))
            entry = _entry(inst, cells, line)
            if entry is None:
                noop += 1
            elif entry[0] not in seen:
                seen.add(entry[0])
                entries.append(entry)
    except csv.Error as exc:
        raise Invalid(f"file: line {reader.line_num}: not CSV ({exc})") from None
    return entries, noop


def _entry(inst: Instance, cells: dict[str, str], line: int) -> tuple[str, Severity, str] | None:
    try:
        domain = domain_blocks.normal_domain(cells["#domain"], inst)
    except Invalid as exc:
        raise Invalid(f"file: line {line}: #{exc.reason}") from None
    severity_text = cells.get("#severity", "").lower()
    if severity_text not in _SEVERITIES:
        raise Invalid(
            f"file: line {line}: #severity: suspend, silence or noop, not {severity_text!r}"
        )
    for name in ("#reject_media", "#reject_reports", "#obfuscate"):
        if cells.get(name, "").lower() not in _BOOLEANS:
            raise Invalid(f"file: line {line}: {name}: true or false, not {cells[name]!r}")
    reason = cells.get("#public_comment", "")
    if len(reason) > domain_blocks.MAX_REASON:
        raise Invalid(
            f"file: line {line}: #public_comment: at most {domain_blocks.MAX_REASON} characters"
        )
    severity = _SEVERITIES[severity_text]
    if severity is None:
        return None
    return domain, domain_blocks.severity_of(severity), reason


async def import_csv(inst: Instance, data: bytes, by: LocalActor) -> Imported:
    """Block or silence the domains of a Mastodon CSV export, all or (Invalid) none."""
    entries, noop = parse(inst, data)
    added, present = await domain_blocks.block_many(inst, entries, by)
    return Imported(added, present, noop)
