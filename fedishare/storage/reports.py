"""Reports of an account and its posts, for admins: made by our members, or received from
other servers as Flags. Each attached post keeps a copy of what it said when it was reported
(`ReportedPost.text`), so a post deleted or edited since still shows what was reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import chunks, from_row, marks

_COLUMNS = (
    "id, activity_id, reporter, reporter_member_id, target, comment, category, rule_ids,"
    " forwarded, created_at, resolved_at, resolved_by"
)


@dataclass(frozen=True)
class ReportedPost:
    uri: str
    status_id: int | None  # in the status index, when it was there
    title: str  # a listing's title; "" for a note
    text: str  # plain text, as it read when reported


@dataclass(frozen=True)
class NewReport:
    activity_id: str | None  # the Flag received (or sent, when forwarded)
    reporter: str  # the actor who reported: our member, or another server's actor
    reporter_member_id: int | None  # our member, for reports made here
    target: str  # the reported account
    comment: str
    category: str
    rule_ids: str  # comma-separated ids of the community's rules cited
    forwarded: bool
    created_at: str  # ISO 8601


@dataclass(frozen=True)
class Report:
    id: int
    activity_id: str | None
    reporter: str
    reporter_member_id: int | None
    target: str
    comment: str
    category: str
    rule_ids: str
    forwarded: bool
    created_at: str
    resolved_at: str | None
    resolved_by: int | None  # the admin; None while open or once their account is gone

    @property
    def rules(self) -> list[str]:
        return [r for r in self.rule_ids.split(",") if r]

    @property
    def is_local(self) -> bool:
        """Made by one of our members (rather than received from another server)."""
        return self.reporter_member_id is not None


async def insert(tx: Transaction, report: NewReport, posts: Sequence[ReportedPost]) -> int | None:
    """Store a report and its posts; None if this Flag's report of `target` is stored
    already (an activity handled again after a crash)."""
    report_id = await tx.fetch_one(
        "INSERT INTO reports (activity_id, reporter, reporter_member_id, target, comment,"
        " category, rule_ids, forwarded, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (activity_id, target) DO NOTHING RETURNING id",
        (
            report.activity_id,
            report.reporter,
            report.reporter_member_id,
            report.target,
            report.comment,
            report.category,
            report.rule_ids,
            report.forwarded,
            report.created_at,
        ),
    )
    if report_id is None:
        return None
    number = int(report_id[0])
    await tx.executemany(
        "INSERT OR IGNORE INTO report_posts (report_id, position, uri, status_id, title, text)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(number, n, p.uri, p.status_id, p.title, p.text) for n, p in enumerate(posts)],
    )
    return number


async def get(db: Database | Transaction, report_id: int) -> Report | None:
    row = await db.fetch_one(f"SELECT {_COLUMNS} FROM reports WHERE id = ?", (report_id,))
    return None if row is None else from_row(Report, row)


async def listed(
    db: Database | Transaction, *, resolved: bool, limit: int, offset: int = 0
) -> list[Report]:
    """Open reports (oldest first: the queue to work through) or resolved ones (newest
    resolved first)."""
    if resolved:
        where, order = "resolved_at IS NOT NULL", "resolved_at DESC, id DESC"
    else:
        where, order = "resolved_at IS NULL", "id"
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM reports WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [from_row(Report, r) for r in rows]


async def posts_of(
    db: Database | Transaction, report_ids: Sequence[int]
) -> dict[int, list[ReportedPost]]:
    found: dict[int, list[ReportedPost]] = {i: [] for i in report_ids}
    for chunk in chunks(report_ids):
        rows = await db.fetch_all(
            "SELECT report_id, uri, status_id, title, text FROM report_posts"
            f" WHERE report_id IN ({marks(chunk)}) ORDER BY report_id, position",
            tuple(chunk),
        )
        for r in rows:
            found[int(r["report_id"])].append(
                ReportedPost(r["uri"], r["status_id"], r["title"], r["text"])
            )
    return found


async def count_open(db: Database | Transaction) -> int:
    row = await db.fetch_one("SELECT count(*) FROM reports WHERE resolved_at IS NULL")
    return 0 if row is None else int(row[0])


async def set_resolved(
    tx: Transaction, report_id: int, resolved_at: str | None, by: int | None
) -> bool:
    """Resolve (or, with `resolved_at=None`, reopen) a report; False if there is none."""
    changed = await tx.execute(
        "UPDATE reports SET resolved_at = ?, resolved_by = ? WHERE id = ?",
        (resolved_at, by, report_id),
    )
    return changed > 0
