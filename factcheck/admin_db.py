"""The admin SQLite file (FACTCHECK_ADMIN_DB) that API keys, web accounts and webhooks share.

It holds password hashes and webhook secrets, so it is created readable by its owner only (0600), and an existing
file that others can read is tightened to 0600 when it is opened (SQLite gives its journal the same mode).
"""
from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

FILE_MODE = 0o600


def _private_file(db_path: str) -> None:
    """Create the file 0600 if missing; take group and other permissions off an existing one."""
    try:
        fd = os.open(db_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except PermissionError:
        return  # not ours to create (sqlite3.connect will say why)
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & 0o077:
            try:
                os.fchmod(fd, mode & 0o700)
            except PermissionError:  # someone else's file: leave it as it is
                pass
    finally:
        os.close(fd)


def connect(db_path: str, *schema: str) -> sqlite3.Connection:
    """Open the admin database (creating its folder, and the file 0600) and make sure the caller's tables exist."""
    if db_path not in ("", ":memory:"):
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        _private_file(db_path)
    conn = sqlite3.connect(db_path, timeout=10)
    for statement in schema:
        conn.execute(statement)
    return conn
