"""The admin SQLite file (FACTCHECK_ADMIN_DB) that API keys, web accounts and webhooks share."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(db_path: str, *schema: str) -> sqlite3.Connection:
    """Open the admin database (creating its folder) and make sure the caller's tables exist."""
    if db_path not in ("", ":memory:"):
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, timeout=10)
    for statement in schema:
        conn.execute(statement)
    return conn
