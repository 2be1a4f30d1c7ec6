"""Webhooks: registrations, pending deliveries and delivery attempts in the admin state (admin_state.py: the admin
SQLite file, or Elasticsearch when that is the store); deliveries off the request thread, from a durable queue.

A delivery POSTs {"id", "event", "created_at", "data"} as JSON, signed with the webhook's secret:
`X-Factcheck-Signature: sha256=<hex HMAC-SHA256 of the exact body>`. A failed attempt (connection error,
timeout, any status other than 2xx) is retried after config.webhook_backoff seconds, doubling each time, up to
config.webhook_attempts attempts; every attempt is recorded. URLs are checked like ingest's (http/https, public
addresses only unless config.allow_private_urls), at registration and again at each delivery, and the connection
is pinned to the address that was checked. No Flask imports here.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional
from urllib.parse import urlsplit

from .admin_state import AdminLike, resolve
from .config import Config

EVENTS = ("check.completed", "review.published")
MAX_URL = 2048
MAX_SECRET = 200
USER_AGENT = "factcheck-webhooks/1"

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


@dataclass
class _Job:
    webhook_id: str
    event: str
    event_id: str
    body: bytes
    attempt: int = 1


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


def register(db: AdminLike, config: Config, url: str, events: list[str], secret: Optional[str] = None) -> Webhook:
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
    resolve(db).insert_webhook({"id": hook.id, "url": hook.url, "events": hook.events, "secret": hook.secret,
                                "created_at": hook.created_at})
    return hook


def _hook(row: dict) -> Webhook:
    return Webhook(id=row["id"], url=row["url"], events=list(row["events"]), secret=row["secret"],
                   created_at=row["created_at"])


def list_webhooks(db: AdminLike) -> list[Webhook]:
    """Every registered webhook, oldest first."""
    return [_hook(row) for row in resolve(db).list_webhooks()]


def get_webhook(db: AdminLike, webhook_id: str) -> Optional[Webhook]:
    """The webhook, or None."""
    row = resolve(db).get_webhook(webhook_id) if isinstance(webhook_id, str) and webhook_id else None
    return _hook(row) if row else None


def delete_webhook(db: AdminLike, webhook_id: str) -> bool:
    """Remove a webhook (pending deliveries are dropped; its delivery log is kept); False if there was none."""
    return bool(isinstance(webhook_id, str) and webhook_id and resolve(db).delete_webhook(webhook_id))


def list_deliveries(db: AdminLike, webhook_id: str, limit: int = 100, offset: int = 0) -> list[dict]:
    """Delivery attempts of a webhook, newest first."""
    return resolve(db).list_attempts(webhook_id, limit, offset)


def _millis(seconds: float) -> int:
    return int(seconds * 1000)


def _iso_ms(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, timezone.utc).isoformat(timespec="milliseconds")


class Dispatcher:
    """Delivers events from the durable queue in the admin state, on one background thread; `stop()` ends it.

    `publish` stores one pending delivery per subscribed webhook; the worker of any app process claims due
    deliveries with a lease (config.webhook_timeout + LEASE_MARGIN seconds), posts them, and deletes each one or
    puts it back for its next attempt. So a delivery pending when a process stops is sent by the next worker to
    start or poll, and two processes never send the same attempt twice. A process killed during a POST (after
    the receiver got it, before the outcome was stored) leaves the lease to expire, and the attempt is sent
    again: at least once, and the X-Factcheck-Delivery id lets the receiver drop the repeat.
    The worker starts with the first publish, or at once when the queue holds deliveries; it then polls the
    queue every POLL seconds while it holds deliveries (sooner when one is due), every IDLE_POLL seconds when it is
    empty, until stopped.
    """

    POLL = 1.0
    IDLE_POLL = 5.0
    LEASE_MARGIN = 30.0
    BATCH = 16

    def __init__(self, config: Config, state: Optional[AdminLike] = None, start: bool = True):
        from .admin_state import open_admin

        self.config = config
        self.state = resolve(state) if state is not None else open_admin(config)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._cond = threading.Condition()
        self._thread: Optional[threading.Thread] = None
        self._busy = 0
        self._stopped = False
        self._wake = False
        if start:
            try:
                if self.state.queue_state(_millis(time.time()))[0]:
                    with self._cond:
                        self._ensure_thread()
            except Exception:  # noqa: BLE001 - an unreachable state must not stop the app; the next publish retries
                pass

    def publish(self, event: str, data: dict) -> int:
        """Queue `event` for every webhook subscribed to it; return how many deliveries were queued."""
        hooks = [h for h in list_webhooks(self.state) if event in h.events]
        if not hooks:
            return 0
        event_id = "evt-" + secrets.token_hex(8)
        created_at = _now()
        body = json.dumps({"id": event_id, "event": event, "created_at": created_at, "data": data},
                          ensure_ascii=False).encode("utf-8")
        now_ms = _millis(time.time())
        self.state.enqueue([{"id": f"{event_id}:{hook.id}", "webhook_id": hook.id, "event_id": event_id,
                             "event": event, "body": body, "attempt": 1, "next_attempt_at": now_ms,
                             "created_at": created_at} for hook in hooks])
        with self._cond:
            if self._stopped:
                return len(hooks)  # stored: another worker (or the next start) delivers them
            self._wake = True
            self._ensure_thread()
            self._cond.notify_all()
        return len(hooks)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="factcheck-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker (an attempt in flight finishes); pending deliveries stay queued for the next worker."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until the queue holds no delivery and none is in flight here (for tests and orderly
        shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                busy = self._busy
            if not busy and self.state.queue_state(_millis(time.time()))[0] == 0:
                with self._cond:
                    if not self._busy:
                        return True
            time.sleep(0.05)
        return False

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopped:
                    return
                self._wake = False
            try:
                claimed = self.state.claim(self.owner, _millis(time.time()),
                                           _millis(self.config.webhook_timeout + self.LEASE_MARGIN), self.BATCH)
            except Exception:  # noqa: BLE001 - the state is unreachable for now: poll again later
                claimed = []
            for row in claimed:
                with self._cond:
                    if self._stopped:
                        return  # the rest of the batch stays leased; the leases expire and another worker sends
                    self._busy += 1
                try:
                    self._attempt(row)
                except Exception:  # noqa: BLE001 - the lease expires and the attempt is made again
                    pass
                finally:
                    with self._cond:
                        self._busy -= 1
                        self._cond.notify_all()
            if claimed:
                continue
            wait = self.IDLE_POLL
            try:
                count, earliest = self.state.queue_state(_millis(time.time()))
                if earliest is not None:
                    wait = min(self.POLL, max(0.0, earliest / 1000 - time.time()))
            except Exception:  # noqa: BLE001
                pass
            with self._cond:
                if not self._stopped and not self._wake:
                    self._cond.wait(max(wait, 0.01))

    def _attempt(self, row: dict) -> None:
        hook = get_webhook(self.state, row["webhook_id"])
        if hook is None:  # deleted meanwhile
            self.state.settle(row)
            return
        job = _Job(row["webhook_id"], row["event"], row["event_id"], row["body"], int(row["attempt"]))
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
        next_ms = None
        if error is not None and job.attempt < max(1, self.config.webhook_attempts):
            next_ms = _millis(time.time() + self.config.webhook_backoff * (2 ** (job.attempt - 1)))
        self.state.record_attempt({
            "webhook_id": hook.id, "event_id": job.event_id, "event": job.event, "attempt": job.attempt,
            "at": _now(), "status_code": status_code, "error": error, "duration_ms": duration_ms,
            "success": error is None, "next_attempt_at": _iso_ms(next_ms) if next_ms is not None else None})
        self.state.settle(row, next_ms)
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
