"""Admin state: web accounts, API keys, webhooks and pending webhook deliveries, where every app server reaches them.

One small interface (`AdminState`, its docstrings are the contract) with two implementations, picked by the same
configuration that picks the search store (`open_admin`): with Elasticsearch (ELASTICSEARCH_URL set) the state
lives in its own indexes beside the store's (`{prefix}-users`, `-api_keys`, `-webhooks`, `-webhook_queue`,
`-webhook_deliveries`, declared in indexes/*.json; store/admin_elastic.py); otherwise in the admin SQLite file
(FACTCHECK_ADMIN_DB, `SqliteAdminState` below). Domain rules (validation, password hashing, roles) stay in
users.py, keys.py and webhooks.py; this layer stores rows. Every write is visible to the next read, from any
process. No Flask imports here.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol, Union

from . import admin_db
from .config import Config

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store


class Taken(Exception):
    """A row with that unique key (user name, key hash, id) exists already."""


USER_FIELDS = ("username", "role", "session_version", "disabled_at")
KEY_FIELDS = ("id", "name", "role", "created_at", "revoked_at", "last_used_at")
HOOK_FIELDS = ("id", "url", "events", "secret", "created_at")
ATTEMPT_FIELDS = ("id", "event_id", "event", "attempt", "at", "status_code", "error", "duration_ms", "success",
                  "next_attempt_at")
QUEUE_FIELDS = ("id", "webhook_id", "event_id", "event", "body", "attempt", "next_attempt_at", "lease_until",
                "lease_owner", "created_at")


class AdminState(Protocol):
    """Rows of the admin state. Times are ISO strings, except the queue's, which are epoch milliseconds."""

    # -- web accounts: {username, password_hash, role, created_at, session_version, disabled_at}
    def insert_user(self, row: dict) -> None:
        """Add an account (session_version 1); Taken when the name exists (also between concurrent writers)."""

    def get_user(self, username: str) -> Optional[dict]:
        """The account's row with its password_hash, or None."""

    def list_users(self) -> list[dict]:
        """Every account (without password hashes), by name."""

    def update_user(self, username: str, *, password_hash: Optional[str] = None, role: Optional[str] = None,
                    disable_at: Optional[str] = None, enable: bool = False, end_sessions: bool = False) -> bool:
        """Change an account atomically: a new hash or role; `disable_at` sets disabled_at unless set already;
        `enable` clears it; `end_sessions` raises session_version by one. False when there is no such account."""

    def delete_user(self, username: str) -> bool:
        """Remove an account; False when there was none."""

    # -- API keys: {id, name, role, key_hash, created_at, revoked_at, last_used_at}
    def insert_key(self, row: dict) -> None:
        """Add a key; Taken when its hash exists."""

    def list_keys(self) -> list[dict]:
        """Every key (without hashes), revoked ones too, oldest first."""

    def revoke_key(self, key_id: str, at: str) -> Optional[dict]:
        """Mark the key revoked at `at` (kept when revoked already); its row, or None when there is no such key."""

    def live_key(self, key_hash: str) -> Optional[dict]:
        """The unrevoked key with that hash, or None."""

    def touch_keys(self, used: dict[str, str]) -> None:
        """Write last_used_at for several keys at once ({key id: time})."""

    def any_keys(self) -> bool:
        """True once any key has been created."""

    # -- webhooks: {id, url, events (list), secret, created_at} and their attempt log
    def insert_webhook(self, row: dict) -> None:
        """Register a webhook."""

    def list_webhooks(self) -> list[dict]:
        """Every webhook, oldest first."""

    def get_webhook(self, webhook_id: str) -> Optional[dict]:
        """The webhook, or None."""

    def delete_webhook(self, webhook_id: str) -> bool:
        """Remove a webhook and its pending deliveries (its attempt log stays); False when there was none."""

    def record_attempt(self, row: dict) -> None:
        """Log one delivery attempt (ATTEMPT_FIELDS without id, plus webhook_id)."""

    def list_attempts(self, webhook_id: str, limit: int, offset: int) -> list[dict]:
        """Attempts of a webhook, newest first (ATTEMPT_FIELDS; id grows with time)."""

    # -- pending deliveries: a durable queue any worker of any process claims with a lease
    def enqueue(self, rows: list[dict]) -> None:
        """Store pending deliveries {id, webhook_id, event_id, event, body, attempt, next_attempt_at, created_at}."""

    def claim(self, owner: str, now_ms: int, lease_ms: int, limit: int) -> list[dict]:
        """Lease up to `limit` due deliveries (next_attempt_at <= now, no live lease) to `owner` until now +
        lease_ms. A row is leased to one claimer at a time, across processes; each row returned carries a
        `lease` token for `settle`."""

    def settle(self, row: dict, next_attempt_at_ms: Optional[int] = None) -> bool:
        """Finish a claimed delivery: delete it, or (with `next_attempt_at_ms`) put it back for its next attempt
        (attempt + 1) with no lease. False when the lease had been lost (expired and claimed by another)."""

    def queue_state(self, now_ms: int) -> tuple[int, Optional[int]]:
        """(pending deliveries, the earliest time one of them may be claimed, or None when there are none)."""

    @property
    def where(self) -> str:
        """Where the state lives, for messages."""

    def close(self) -> None:
        """Release connections."""


def open_admin(config: Config, store: Optional["Store"] = None) -> AdminState:
    """The admin state for this configuration: Elasticsearch when ELASTICSEARCH_URL is set (sharing `store`'s
    client when it is the Elasticsearch store), else the admin SQLite file."""
    if config.elasticsearch_url:
        from .store.admin_elastic import ElasticAdminState
        from .store.elastic import ElasticStore

        if not isinstance(store, ElasticStore):
            store = ElasticStore(config.elasticsearch_url, prefix=config.index_prefix)
        return ElasticAdminState(store)
    return SqliteAdminState(config.admin_db)


AdminLike = Union[str, AdminState]


def resolve(db: AdminLike) -> AdminState:
    """An AdminState from a state, or from the path of an admin SQLite file."""
    return SqliteAdminState(db) if isinstance(db, str) else db


# ---------------------------------------------------------------------------------------------------------------
# SQLite: the admin file (FACTCHECK_ADMIN_DB); one short connection per call, so every process sees every write.

_USERS = """CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    session_version INTEGER NOT NULL DEFAULT 1,
    disabled_at TEXT
)"""
# Columns added after the first release, for admin databases made before them.
_USERS_ADDED = {"session_version": "INTEGER NOT NULL DEFAULT 1", "disabled_at": "TEXT"}
_KEYS = """CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
)"""
_HOOKS = (
    """CREATE TABLE IF NOT EXISTS webhooks (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        webhook_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        at TEXT NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER,
        success INTEGER NOT NULL,
        next_attempt_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_hook ON webhook_deliveries (webhook_id, id)",
    """CREATE TABLE IF NOT EXISTS webhook_queue (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event TEXT NOT NULL,
        body BLOB NOT NULL,
        attempt INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        lease_until INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_queue_due ON webhook_queue (next_attempt_at)",
)


class SqliteAdminState:
    """AdminState in the admin SQLite file (created 0600 on first write; reads of keys and webhooks never create
    it, so a read-only look at a service not set up leaves no trace)."""

    def __init__(self, path: str):
        self.path = path

    def __repr__(self) -> str:
        return f"SqliteAdminState({self.path!r})"

    @property
    def where(self) -> str:
        """Where the state lives, for messages."""
        return self.path

    def _exists(self) -> bool:
        return self.path in ("", ":memory:") or Path(self.path).exists()

    def _users(self) -> sqlite3.Connection:
        conn = admin_db.connect(self.path, _USERS)
        have = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
        for name, declaration in _USERS_ADDED.items():
            if name not in have:
                with conn:
                    conn.execute(f"ALTER TABLE users ADD COLUMN {name} {declaration}")
        return conn

    def _keys(self) -> sqlite3.Connection:
        return admin_db.connect(self.path, _KEYS)

    def _hooks(self) -> sqlite3.Connection:
        return admin_db.connect(self.path, *_HOOKS)

    # -- users
    def insert_user(self, row: dict) -> None:
        with closing(self._users()) as conn, conn:
            try:
                conn.execute("INSERT INTO users (username, password_hash, role, created_at) VALUES (?,?,?,?)",
                             (row["username"], row["password_hash"], row["role"], row["created_at"]))
            except sqlite3.IntegrityError:
                raise Taken(row["username"]) from None

    def get_user(self, username: str) -> Optional[dict]:
        with closing(self._users()) as conn:
            found = conn.execute(f"SELECT {', '.join(USER_FIELDS)}, password_hash FROM users WHERE username = ?",
                                 (username,)).fetchone()
        return dict(zip((*USER_FIELDS, "password_hash"), found)) if found else None

    def list_users(self) -> list[dict]:
        with closing(self._users()) as conn:
            rows = conn.execute(f"SELECT {', '.join(USER_FIELDS)} FROM users ORDER BY username").fetchall()
        return [dict(zip(USER_FIELDS, row)) for row in rows]

    def update_user(self, username: str, *, password_hash: Optional[str] = None, role: Optional[str] = None,
                    disable_at: Optional[str] = None, enable: bool = False, end_sessions: bool = False) -> bool:
        sets, params = [], []
        if password_hash is not None:
            sets.append("password_hash = ?")
            params.append(password_hash)
        if role is not None:
            sets.append("role = ?")
            params.append(role)
        if disable_at is not None:
            sets.append("disabled_at = COALESCE(disabled_at, ?)")
            params.append(disable_at)
        if enable:
            sets.append("disabled_at = NULL")
        if end_sessions:
            sets.append("session_version = session_version + 1")
        statement = f"UPDATE users SET {', '.join(sets) or 'username = username'} WHERE username = ?"
        with closing(self._users()) as conn, conn:
            return conn.execute(statement, (*params, username)).rowcount > 0

    def delete_user(self, username: str) -> bool:
        with closing(self._users()) as conn, conn:
            return conn.execute("DELETE FROM users WHERE username = ?", (username,)).rowcount > 0

    # -- keys
    def insert_key(self, row: dict) -> None:
        with closing(self._keys()) as conn, conn:
            try:
                conn.execute("INSERT INTO api_keys (id, name, role, key_hash, created_at) VALUES (?,?,?,?,?)",
                             (row["id"], row["name"], row["role"], row["key_hash"], row["created_at"]))
            except sqlite3.IntegrityError:
                raise Taken(row["id"]) from None

    def list_keys(self) -> list[dict]:
        if not self._exists():
            return []
        with closing(self._keys()) as conn:
            rows = conn.execute(f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys ORDER BY created_at, id").fetchall()
        return [dict(zip(KEY_FIELDS, row)) for row in rows]

    def revoke_key(self, key_id: str, at: str) -> Optional[dict]:
        with closing(self._keys()) as conn, conn:
            conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (at, key_id))
            row = conn.execute(f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return dict(zip(KEY_FIELDS, row)) if row else None

    def live_key(self, key_hash: str) -> Optional[dict]:
        if not self._exists():
            return None
        with closing(self._keys()) as conn:
            row = conn.execute(f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys WHERE key_hash = ? "
                               "AND revoked_at IS NULL", (key_hash,)).fetchone()
        return dict(zip(KEY_FIELDS, row)) if row else None

    def touch_keys(self, used: dict[str, str]) -> None:
        if not used or not self._exists():
            return
        with closing(self._keys()) as conn, conn:
            conn.executemany("UPDATE api_keys SET last_used_at = ? WHERE id = ?",
                             [(at, key_id) for key_id, at in used.items()])

    def any_keys(self) -> bool:
        if not self._exists():
            return False
        with closing(self._keys()) as conn:
            return conn.execute("SELECT 1 FROM api_keys LIMIT 1").fetchone() is not None

    # -- webhooks
    def insert_webhook(self, row: dict) -> None:
        with closing(self._hooks()) as conn, conn:
            conn.execute("INSERT INTO webhooks (id, url, events, secret, created_at) VALUES (?,?,?,?,?)",
                         (row["id"], row["url"], json.dumps(row["events"]), row["secret"], row["created_at"]))

    @staticmethod
    def _hook(row) -> dict:
        return {**dict(zip(HOOK_FIELDS, row)), "events": json.loads(row[2])}

    def list_webhooks(self) -> list[dict]:
        if not self._exists():
            return []
        with closing(self._hooks()) as conn:
            rows = conn.execute(f"SELECT {', '.join(HOOK_FIELDS)} FROM webhooks ORDER BY created_at, id").fetchall()
        return [self._hook(row) for row in rows]

    def get_webhook(self, webhook_id: str) -> Optional[dict]:
        if not self._exists():
            return None
        with closing(self._hooks()) as conn:
            row = conn.execute(f"SELECT {', '.join(HOOK_FIELDS)} FROM webhooks WHERE id = ?",
                               (webhook_id,)).fetchone()
        return self._hook(row) if row else None

    def delete_webhook(self, webhook_id: str) -> bool:
        if not self._exists():
            return False
        with closing(self._hooks()) as conn, conn:
            conn.execute("DELETE FROM webhook_queue WHERE webhook_id = ?", (webhook_id,))
            return conn.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount > 0

    def record_attempt(self, row: dict) -> None:
        with closing(self._hooks()) as conn, conn:
            conn.execute(
                "INSERT INTO webhook_deliveries (webhook_id, event_id, event, attempt, at, status_code, error, "
                "duration_ms, success, next_attempt_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (row["webhook_id"], row["event_id"], row["event"], row["attempt"], row["at"], row["status_code"],
                 row["error"], row["duration_ms"], int(bool(row["success"])), row["next_attempt_at"]))

    def list_attempts(self, webhook_id: str, limit: int, offset: int) -> list[dict]:
        if not self._exists():
            return []
        with closing(self._hooks()) as conn:
            rows = conn.execute(f"SELECT {', '.join(ATTEMPT_FIELDS)} FROM webhook_deliveries WHERE webhook_id = ? "
                                "ORDER BY id DESC LIMIT ? OFFSET ?", (webhook_id, limit, offset)).fetchall()
        return [{**dict(zip(ATTEMPT_FIELDS, row)), "success": bool(row[8])} for row in rows]

    # -- the delivery queue
    def enqueue(self, rows: list[dict]) -> None:
        with closing(self._hooks()) as conn, conn:
            conn.executemany(
                "INSERT OR IGNORE INTO webhook_queue (id, webhook_id, event_id, event, body, attempt, "
                "next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?)",
                [(r["id"], r["webhook_id"], r["event_id"], r["event"], r["body"], r["attempt"], r["next_attempt_at"],
                  r["created_at"]) for r in rows])

    def claim(self, owner: str, now_ms: int, lease_ms: int, limit: int) -> list[dict]:
        if not self._exists():
            return []
        with closing(self._hooks()) as conn:
            conn.isolation_level = None
            # BEGIN IMMEDIATE takes the write lock before reading: no other process claims between our
            # SELECT and UPDATE, and the UPDATE's own condition would refuse a row leased meanwhile anyway.
            conn.execute("BEGIN IMMEDIATE")
            try:
                ids = [row[0] for row in conn.execute(
                    "SELECT id FROM webhook_queue WHERE next_attempt_at <= ? AND lease_until < ? "
                    "ORDER BY next_attempt_at, id LIMIT ?", (now_ms, now_ms, limit))]
                claimed = []
                for row_id in ids:
                    if conn.execute("UPDATE webhook_queue SET lease_owner = ?, lease_until = ? WHERE id = ? "
                                    "AND lease_until < ?", (owner, now_ms + lease_ms, row_id, now_ms)).rowcount:
                        row = conn.execute(f"SELECT {', '.join(QUEUE_FIELDS)} FROM webhook_queue WHERE id = ?",
                                           (row_id,)).fetchone()
                        claimed.append({**dict(zip(QUEUE_FIELDS, row)), "lease": (owner, now_ms + lease_ms)})
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        for row in claimed:
            row["body"] = bytes(row["body"])
        return claimed

    def settle(self, row: dict, next_attempt_at_ms: Optional[int] = None) -> bool:
        owner, until = row["lease"]
        with closing(self._hooks()) as conn, conn:
            if next_attempt_at_ms is None:
                cursor = conn.execute("DELETE FROM webhook_queue WHERE id = ? AND lease_owner = ? AND lease_until = ?",
                                      (row["id"], owner, until))
            else:
                cursor = conn.execute(
                    "UPDATE webhook_queue SET attempt = attempt + 1, next_attempt_at = ?, lease_until = 0, "
                    "lease_owner = NULL WHERE id = ? AND lease_owner = ? AND lease_until = ?",
                    (next_attempt_at_ms, row["id"], owner, until))
            return cursor.rowcount > 0

    def queue_state(self, now_ms: int) -> tuple[int, Optional[int]]:
        if not self._exists():
            return 0, None
        with closing(self._hooks()) as conn:
            count, earliest = conn.execute(
                "SELECT COUNT(*), MIN(MAX(next_attempt_at, lease_until)) FROM webhook_queue").fetchone()
        return count, earliest

    def close(self) -> None:
        pass
