"""Failed log-ins counted per key (an account, an address) within a window."""

from __future__ import annotations

from fedishare.storage.database import Database, Transaction


async def count(db: Database, key: str, since: float) -> tuple[int, float]:
    """Failures for `key` in the window that started at or after `since`, and when that
    window started (0 if none)."""
    row = await db.fetch_one("SELECT failures, first_at FROM login_failures WHERE key = ?", (key,))
    if row is None or row["first_at"] < since:
        return 0, 0.0
    return int(row["failures"]), float(row["first_at"])


async def record(tx: Transaction, key: str, now: float, since: float) -> None:
    """One more failure for `key`; a window that started before `since` starts again."""
    await tx.execute(
        "INSERT INTO login_failures (key, failures, first_at) VALUES (?, 1, ?)"
        " ON CONFLICT (key) DO UPDATE SET failures = CASE"
        " WHEN login_failures.first_at < ? THEN 1 ELSE login_failures.failures + 1 END,"
        " first_at = CASE WHEN login_failures.first_at < ? THEN excluded.first_at"
        " ELSE login_failures.first_at END",
        (key, now, since, since),
    )


async def clear(tx: Transaction, key: str) -> None:
    await tx.execute("DELETE FROM login_failures WHERE key = ?", (key,))
