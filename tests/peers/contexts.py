"""Offline JSON-LD contexts for everything built on bovine (herd, its client, pasture).

bovine resolves contexts through a cache file, bovine_jsonld_cache.sqlite in the working
directory, loaded once at import. It answers activitystreams and its own about:bovine from
built-in copies and fetches the rest; a failed fetch is cached as an empty context for good,
after which publicKey/publicKeyPem stop expanding, remote keys are stored broken and the first
signed requests fail with 401. So every peer directory gets a seeded cache before it starts.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CACHE_FILE = "bovine_jsonld_cache.sqlite"

# Context URL -> fixture file. about:bovine pulls in did/v1 and multikey/v1; actors everywhere
# use security/v1. Add an entry when a peer's refused_connections() shows another context.
JSONLD_CONTEXTS: Mapping[str, str] = {
    "https://w3id.org/security/v1": "security-v1.json",
    "https://www.w3.org/ns/did/v1": "did-v1.json",
    "https://w3id.org/security/multikey/v1": "multikey-v1.json",
}


def seed_jsonld_cache(directory: Path, contexts: Mapping[str, str] = JSONLD_CONTEXTS) -> None:
    """Writes bovine's context cache into directory, before any bovine process starts there."""
    db = sqlite3.connect(directory / CACHE_FILE)
    try:
        # bovine's own schema, so its CREATE TABLE IF NOT EXISTS leaves this table alone.
        db.execute("CREATE TABLE IF NOT EXISTS jsonld (url TEXT PRIMARY KEY, context TEXT)")
        for url, name in contexts.items():
            context = json.loads((FIXTURES / name).read_text())["@context"]
            db.execute("INSERT OR REPLACE INTO jsonld VALUES (?, ?)", (url, json.dumps(context)))
        db.commit()
    finally:
        db.close()
