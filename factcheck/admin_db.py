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
    """Create the file 0600 if missing; take group and other permissions off an existing one.

    An existing file is changed by its path, never opened here: closing any descriptor of a SQLite file drops every
    lock this process holds on it (POSIX locks), so another thread's open transaction would lose its lock and
    another process (a second server worker, the CLI) could write at the same time ("disk I/O error", corruption).
    """
    try:
        os.close(os.open(db_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))
        return
    except (FileExistsError, PermissionError):  # there already, or not ours to create (sqlite3 will say why)
        pass
    try:
        mode = stat.S_IMODE(os.stat(db_path).st_mode)
        if mode & 0o077:
            os.chmod(db_path, mode & 0o700)
    except OSError:  # someone else's file, or gone: leave it to sqlite3.connect
        pass


def connect(db_path: str, *schema: str) -> sqlite3.Connection:
    """Open the admin database (creating its folder, and the file 0600) and make sure the caller's tables exist."""
    if db_path not in ("", ":memory:"):
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        _private_file(db_path)
    conn = sqlite3.connect(db_path, timeout=10)
    for statement in schema:
        conn.execute(statement)
    return conn
