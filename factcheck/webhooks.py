"""Webhooks: registrations and delivery attempts in the admin SQLite database, deliveries off the request thread.

A delivery POSTs {"id", "event", "created_at", "data"} as JSON, signed with the webhook's secret:
`X-Factcheck-Signature: sha256=<hex HMAC-SHA256 of the exact body>`. A failed attempt (connection error,
timeout, any status other than 2xx) is retried after config.webhook_backoff seconds, doubling each time, up to
config.webhook_attempts attempts; every attempt is recorded. URLs are checked like ingest's (http/https, public
addresses only unless config.allow_private_urls), at registration and again at each delivery, and the connection
is pinned to the address that was checked. No Flask imports here.
"""
from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import secrets
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

from . import admin_db
from .config import Config

EVENTS = ("check.completed", "review.published")
MAX_URL = 2048
MAX_SECRET = 200
USER_AGENT = "factcheck-webhooks/1"

_SCHEMA = (
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
)


class WebhookError(ValueError):
    """A registration that cannot be accepted; `field` names what is wrong. `refused` is set when the URL is
    well formed but points where this service does not send requests (a private address): a policy, not a
    mistake in the request (the API answers 403 rather than 422)."""

    def __init__(self, field: str, reason: str, refused: bool = False):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.refused = refused


@dataclass
class Webhook:
    id: str
    url: str
    events: list[str]
    secret: str
    created_at: str

    def public(self) -> dict:
        """The registration without its secret."""
        return {"id": self.id, "url": self.url, "events": list(self.events), "created_at": self.created_at}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _connect(db_path: str) -> sqlite3.Connection:
    return admin_db.connect(db_path, *_SCHEMA)


def _exists(db_path: str) -> bool:
    return db_path in ("", ":memory:") or Path(db_path).exists()


def sign(secret: str, body: bytes) -> str:
    """The X-Factcheck-Signature value for `body`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _target(url: str, config: Config, registering: bool = False) -> tuple[str, str, int, str, list[str]]:
    """(scheme, host, port, path, addresses) of an allowed URL; WebhookError("url", ...) otherwise. At
    registration a host that does not resolve (yet) is accepted with no addresses: each delivery resolves and
    checks it again."""
    from .fetch import resolve_allowed
    from .ingest import IngestError

    if not isinstance(url, str) or not url.strip():
        raise WebhookError("url", "give the http(s) URL to deliver to")
    if len(url) > MAX_URL:
        raise WebhookError("url", f"{len(url):,} characters; the limit is {MAX_URL:,}")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookError("url", f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookError("url", f"only http and https URLs are allowed, not {scheme or 'no scheme'}")
    if not parts.hostname:
        raise WebhookError("url", "the URL has no host")
    if parts.username or parts.password:
        raise WebhookError("url", "credentials in the URL are not allowed; use the secret to authenticate")
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = resolve_allowed(parts.hostname, port, config)
    except IngestError as exc:
        if not (registering and exc.reason.startswith("cannot resolve host")):
            raise WebhookError("url", exc.reason, refused=exc.reason.startswith("refused: private")) from None
        addresses = []
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port, path, addresses


def register(db_path: str, config: Config, url: str, events: list[str], secret: Optional[str] = None) -> Webhook:
    """Store a webhook; the secret is generated when not given. WebhookError names the bad field."""
    _target(url, config, registering=True)
    if not isinstance(events, list) or not events:
        raise WebhookError("events", "give at least one of " + ", ".join(EVENTS))
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise WebhookError("events", f"unknown event {unknown[0]!r}; known: {', '.join(EVENTS)}")
    if secret is not None and (not isinstance(secret, str) or not 16 <= len(secret) <= MAX_SECRET):
        raise WebhookError("secret", f"use 16-{MAX_SECRET} characters (or leave it out to get a random one)")
    hook = Webhook(id="whk-" + secrets.token_hex(6), url=url.strip(), events=sorted(set(events)),
                   secret=secret or secrets.token_urlsafe(32), created_at=_now())
    with closing(_connect(db_path)) as conn, conn:
        conn.execute("INSERT INTO webhooks (id, url, events, secret, created_at) VALUES (?,?,?,?,?)",
                     (hook.id, hook.url, json.dumps(hook.events), hook.secret, hook.created_at))
    return hook


def _row_to_hook(row) -> Webhook:
    return Webhook(id=row[0], url=row[1], events=json.loads(row[2]), secret=row[3], created_at=row[4])


def list_webhooks(db_path: str) -> list[Webhook]:
    """Every registered webhook, oldest first."""
    if not _exists(db_path):
        return []
    with closing(_connect(db_path)) as conn:
        rows = conn.execute("SELECT id, url, events, secret, created_at FROM webhooks ORDER BY created_at, id")
        return [_row_to_hook(row) for row in rows.fetchall()]


def get_webhook(db_path: str, webhook_id: str) -> Optional[Webhook]:
    """The webhook, or None."""
    if not _exists(db_path):
        return None
    with closing(_connect(db_path)) as conn:
        row = conn.execute("SELECT id, url, events, secret, created_at FROM webhooks WHERE id = ?",
                           (webhook_id,)).fetchone()
    return _row_to_hook(row) if row else None


def delete_webhook(db_path: str, webhook_id: str) -> bool:
    """Remove a webhook (pending retries are dropped; its delivery log is kept); False if there was none."""
    if not _exists(db_path):
        return False
    with closing(_connect(db_path)) as conn, conn:
        return conn.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount > 0


def list_deliveries(db_path: str, webhook_id: str, limit: int = 100, offset: int = 0) -> list[dict]:
    """Delivery attempts of a webhook, newest first."""
    if not _exists(db_path):
        return []
    with closing(_connect(db_path)) as conn:
        rows = conn.execute(
            "SELECT id, event_id, event, attempt, at, status_code, error, duration_ms, success, next_attempt_at "
            "FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (webhook_id, limit, offset)).fetchall()
    keys = ("id", "event_id", "event", "attempt", "at", "status_code", "error", "duration_ms", "success",
            "next_attempt_at")
    return [{**dict(zip(keys, row)), "success": bool(row[8])} for row in rows]


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    webhook_id: str = field(compare=False)
    event: str = field(compare=False)
    event_id: str = field(compare=False)
    body: bytes = field(compare=False)
    attempt: int = field(compare=False, default=1)


class Dispatcher:
    """Delivers events on one background thread (started on first use); `stop()` ends it."""

    def __init__(self, config: Config):
        self.config = config
        self._heap: list[_Job] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._thread: Optional[threading.Thread] = None
        self._busy = 0
        self._stopped = False

    def publish(self, event: str, data: dict) -> int:
        """Queue `event` for every webhook subscribed to it; return how many deliveries were queued."""
        hooks = [h for h in list_webhooks(self.config.admin_db) if event in h.events]
        if not hooks:
            return 0
        event_id = "evt-" + secrets.token_hex(8)
        body = json.dumps({"id": event_id, "event": event, "created_at": _now(), "data": data},
                          ensure_ascii=False).encode("utf-8")
        with self._cond:
            if self._stopped:
                return 0
            for hook in hooks:
                heapq.heappush(self._heap, _Job(time.monotonic(), next(self._seq), hook.id, event, event_id, body))
            self._ensure_thread()
            self._cond.notify_all()
        return len(hooks)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="factcheck-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker; queued deliveries and retries are dropped."""
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or in flight (for tests and orderly shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0].due > time.monotonic()):
                    self._cond.wait(self._heap[0].due - time.monotonic() if self._heap else None)
                if self._stopped:
                    return
                job = heapq.heappop(self._heap)
                self._busy += 1
            try:
                self._attempt(job)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, job: _Job) -> None:
        hook = get_webhook(self.config.admin_db, job.webhook_id)
        if hook is None:  # deleted meanwhile
            return
        started = time.monotonic()
        status_code, error = None, None
        try:
            status_code = self._post(hook, job)
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except WebhookError as exc:
            error = exc.reason
        except Exception as exc:  # noqa: BLE001 - any failure of one attempt is recorded, never raised
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        duration_ms = int((time.monotonic() - started) * 1000)
        retry_in = None
        if error is not None and job.attempt < max(1, self.config.webhook_attempts):
            retry_in = self.config.webhook_backoff * (2 ** (job.attempt - 1))
        next_at = None
        if retry_in is not None:
            next_at = datetime.fromtimestamp(time.time() + retry_in, timezone.utc).isoformat(timespec="milliseconds")
        with closing(_connect(self.config.admin_db)) as conn, conn:
            conn.execute(
                "INSERT INTO webhook_deliveries (webhook_id, event_id, event, attempt, at, status_code, error, "
                "duration_ms, success, next_attempt_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (hook.id, job.event_id, job.event, job.attempt, _now(), status_code, error, duration_ms,
                 int(error is None), next_at))
        if retry_in is not None:
            with self._cond:
                if not self._stopped:
                    heapq.heappush(self._heap, _Job(time.monotonic() + retry_in, next(self._seq), job.webhook_id,
                                                    job.event, job.event_id, job.body, job.attempt + 1))
                    self._cond.notify_all()

    def _post(self, hook: Webhook, job: _Job) -> int:
        """One delivery attempt within config.webhook_timeout in all (connect, send, status, headers, body)."""
        from .fetch import Deadline, _PinnedHTTPConnection, _PinnedHTTPSConnection

        deadline = Deadline(self.config.webhook_timeout)
        scheme, host, port, path, addresses = _target(hook.url, self.config)
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(host, port, addresses[0], self.config.webhook_timeout)
        try:
            with deadline.guard(connection):
                connection.request("POST", path, body=job.body, headers={
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    "X-Factcheck-Event": job.event,
                    "X-Factcheck-Delivery": job.event_id,
                    "X-Factcheck-Attempt": str(job.attempt),
                    "X-Factcheck-Signature": sign(hook.secret, job.body),
                })
                response = connection.getresponse()
                response.read(65536)
            if deadline.expired:  # cut off while the answer came: its status cannot be trusted
                raise WebhookError("url", f"timed out after {self.config.webhook_timeout} s")
            return response.status
        except (OSError, http.client.HTTPException, ValueError):
            if deadline.expired:
                raise WebhookError("url", f"timed out after {self.config.webhook_timeout} s") from None
            raise
        finally:
            connection.close()
