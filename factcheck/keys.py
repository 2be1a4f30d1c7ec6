"""API keys, kept in the admin SQLite database (config.admin_db). No Flask imports here.

A key is a random 256-bit token shown once at creation; only its sha256 is stored (a slow password hash adds
nothing for a token with that much entropy). Roles come from factcheck.roles.
"""
from __future__ import annotations

import hashlib
import ipaddress
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from . import admin_db
from .roles import ROLES

TOKEN_PREFIX = "fck_"
MAX_NAME = 100

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
)"""


class ApiKeyError(ValueError):
    """A key that cannot be created or revoked; the message says why."""


@dataclass
class ApiKey:
    id: str
    name: str
    role: str
    created_at: str
    revoked_at: Optional[str] = None
    last_used_at: Optional[str] = None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role, "created_at": self.created_at,
                "revoked_at": self.revoked_at, "last_used_at": self.last_used_at}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _connect(db_path: str) -> sqlite3.Connection:
    return admin_db.connect(db_path, _SCHEMA)


_COLUMNS = "id, name, role, created_at, revoked_at, last_used_at"


def create_key(db_path: str, name: str, role: str) -> tuple[ApiKey, str]:
    """A new key for `role`; returns the record and the token (the only time the token is available)."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise ApiKeyError(f"name: give 1-{MAX_NAME} characters")
    if role not in ROLES:
        raise ApiKeyError(f"role: must be one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(id="key-" + secrets.token_hex(6), name=name.strip(), role=role, created_at=_now())
    with closing(_connect(db_path)) as conn, conn:
        conn.execute("INSERT INTO api_keys (id, name, role, key_hash, created_at) VALUES (?,?,?,?,?)",
                     (key.id, key.name, key.role, _hash(token), key.created_at))
    return key, token


def list_keys(db_path: str) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    if not _exists(db_path):
        return []
    with closing(_connect(db_path)) as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at, id").fetchall()
    return [ApiKey(*row) for row in rows]


def revoke_key(db_path: str, key_id: str) -> ApiKey:
    """Revoke a key (it stays listed, marked revoked); ApiKeyError if there is no such key."""
    with closing(_connect(db_path)) as conn, conn:
        conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (_now(), key_id))
        row = conn.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", (key_id,)).fetchone()
    if row is None:
        raise ApiKeyError(f"no key with id {key_id!r}")
    return ApiKey(*row)


def authenticate(db_path: str, token: str) -> Optional[ApiKey]:
    """The live (not revoked) key for this token, or None."""
    if not token or not _exists(db_path):
        return None
    with closing(_connect(db_path)) as conn, conn:
        row = conn.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
                           (_hash(token),)).fetchone()
        if row is not None:
            conn.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (_now(), row[0]))
    return ApiKey(*row) if row else None


def any_keys(db_path: str) -> bool:
    """True once any key has been created (revoking every key does not open the API again)."""
    if not _exists(db_path):
        return False
    with closing(_connect(db_path)) as conn:
        return conn.execute("SELECT 1 FROM api_keys LIMIT 1").fetchone() is not None


def _exists(db_path: str) -> bool:
    # Reading must not create the file: a read-only check of an unset-up service leaves no trace.
    return db_path in ("", ":memory:") or Path(db_path).exists()


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104."""
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def serve_guard(db_path: str, host: str) -> tuple[bool, Optional[str]]:
    """Whether serving on `host` is allowed, and what to tell the operator.

    With no API key the JSON API is open to every caller with every role, so it may listen on loopback only.
    """
    if any_keys(db_path):
        return True, None
    if is_loopback(host):
        return True, ("warning: no API keys exist, so the JSON API is open (every role) to anyone who can reach "
                      f"{host}; listening on loopback only. Create one with: python -m factcheck keys create "
                      "--name NAME --role admin")
    return False, (f"refusing to listen on {host}: no API keys exist, so the JSON API would be open to everyone. "
                   "Create a key first (python -m factcheck keys create --name NAME --role admin) or listen on "
                   "127.0.0.1.")
