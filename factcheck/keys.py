"""API keys, kept in the admin state (admin_state.py: the admin SQLite file, or Elasticsearch when that is the
store). No Flask imports here.

A key is a random 256-bit token shown once at creation; only its sha256 is stored (a slow password hash adds
nothing for a token with that much entropy). Roles come from factcheck.roles.
"""
from __future__ import annotations

import hashlib
import ipaddress
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from .admin_state import AdminLike, resolve
from .roles import ROLES

TOKEN_PREFIX = "fck_"
MAX_NAME = 100

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


def _key(row: dict) -> ApiKey:
    return ApiKey(row["id"], row["name"], row["role"], row["created_at"], row.get("revoked_at"),
                  row.get("last_used_at"))


def create_key(db: AdminLike, name: str, role: str) -> tuple[ApiKey, str]:
    """A new key for `role`; returns the record and the token (the only time the token is available)."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise ApiKeyError(f"name: give 1-{MAX_NAME} characters")
    if role not in ROLES:
        raise ApiKeyError(f"role: must be one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(id="key-" + secrets.token_hex(6), name=name.strip(), role=role, created_at=_now())
    resolve(db).insert_key({"id": key.id, "name": key.name, "role": key.role, "key_hash": _hash(token),
                            "created_at": key.created_at})
    return key, token


def list_keys(db: AdminLike) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    return [_key(row) for row in resolve(db).list_keys()]


def revoke_key(db: AdminLike, key_id: str) -> ApiKey:
    """Revoke a key (it stays listed, marked revoked); ApiKeyError if there is no such key. A KeyCache of
    another process keeps accepting the key until its entry expires (KeyCache.ttl seconds at most)."""
    state = resolve(db)
    row = state.revoke_key(key_id, _now()) if isinstance(key_id, str) and key_id else None
    if row is None:
        raise ApiKeyError(f"no key with id {key_id!r}")
    for cache in list(getattr(state, "key_caches", ())):  # the caches of this process over this state
        cache.forget()
    return _key(row)


def authenticate(db: AdminLike, token: str) -> Optional[ApiKey]:
    """The live (not revoked) key for this token, or None; records its use (the API uses KeyCache instead)."""
    if not token or not isinstance(token, str):
        return None
    state = resolve(db)
    row = state.live_key(_hash(token))
    if row is None:
        return None
    row["last_used_at"] = _now()
    state.touch_keys({row["id"]: row["last_used_at"]})
    return _key(row)


def any_keys(db: AdminLike) -> bool:
    """True once any key has been created (revoking every key does not open the API again)."""
    return resolve(db).any_keys()


class KeyCache:
    """Key lookups for the API, cached for `ttl` seconds (FACTCHECK_KEY_CACHE_SECONDS), with last_used_at
    written at most once per `touch_every` seconds per key.

    A key revoked in this process (revoke_key with the same state object) stops working at once; one revoked elsewhere (the CLI, another app server)
    stops within `ttl` seconds. Unknown tokens are not cached (each costs one lookup, as before). Once any key
    exists the API stays closed, so that answer is kept for good.
    """

    def __init__(self, state: AdminLike, ttl: float = 5.0, touch_every: float = 60.0, clock=time.monotonic):
        self.state = resolve(state)
        self.ttl = ttl
        self.touch_every = touch_every
        self._clock = clock
        self._lock = threading.Lock()
        self._found: dict[str, tuple[float, ApiKey]] = {}
        self._written: dict[str, float] = {}
        self._unwritten: dict[str, str] = {}
        self._any = False
        try:  # so that revoke_key through this state object reaches the cache
            caches = self.state.__dict__.setdefault("key_caches", weakref.WeakSet())
            caches.add(self)
        except AttributeError:  # pragma: no cover - a state without attributes: revoke through KeyCache.revoke
            pass

    def authenticate(self, token: str) -> Optional[ApiKey]:
        """The live key for this token, or None."""
        if not token or not isinstance(token, str):
            return None
        key_hash = _hash(token)
        now = self._clock()
        with self._lock:
            cached = self._found.get(key_hash)
        if cached is not None and cached[0] > now:
            key = cached[1]
        else:
            row = self.state.live_key(key_hash)
            if row is None:
                with self._lock:
                    self._found.pop(key_hash, None)
                return None
            key = _key(row)
            with self._lock:
                if len(self._found) > 10_000:  # bounded: drop the expired entries
                    self._found = {h: entry for h, entry in self._found.items() if entry[0] > now}
                self._found[key_hash] = (now + self.ttl, key)
        self._used(key, now)
        return key

    def _used(self, key: ApiKey, now: float) -> None:
        key.last_used_at = _now()
        with self._lock:
            self._unwritten[key.id] = key.last_used_at
            if now - self._written.get(key.id, float("-inf")) < self.touch_every:
                return
            self._written[key.id] = now
            batch, self._unwritten = self._unwritten, {}
        self.state.touch_keys(batch)

    def flush(self) -> None:
        """Write the last_used_at times still held in memory."""
        with self._lock:
            batch, self._unwritten = self._unwritten, {}
        if batch:
            self.state.touch_keys(batch)

    def close(self) -> None:
        """flush at shutdown, where a failure costs only a stale last_used_at and must not raise."""
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - the state may be gone already
            pass

    def forget(self) -> None:
        """Drop every cached lookup (the next request of each key reads the state again)."""
        with self._lock:
            self._found.clear()

    def any_keys(self) -> bool:
        """any_keys, remembered once true."""
        if not self._any:
            self._any = self.state.any_keys()
        return self._any


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


def serve_guard(db: AdminLike, host: str) -> tuple[bool, Optional[str]]:
    """Whether serving on `host` is allowed, and what to tell the operator.

    With no API key the JSON API is open to every caller with every role, so it may listen on loopback only.
    """
    if any_keys(db):
        return True, None
    if is_loopback(host):
        return True, ("warning: no API keys exist, so the JSON API is open (every role) to anyone who can reach "
                      f"{host}; listening on loopback only. Create one with: python -m factcheck keys create "
                      "--name NAME --role admin")
    return False, (f"refusing to listen on {host}: no API keys exist, so the JSON API would be open to everyone. "
                   "Create a key first (python -m factcheck keys create --name NAME --role admin) or listen on "
                   "127.0.0.1.")
