"""API authentication (Bearer keys), role checks and the per-key rate limit, as one view decorator.

401 means "who are you?" (no key, unknown key, revoked key) and carries `WWW-Authenticate: Bearer`; 403 means
"you may not" (a valid key whose role lacks the permission). With no key ever created the API is open with
every role, to loopback callers only: the app itself refuses anyone else (403), whatever server runs it and on
whatever address it listens, and a request that came through a proxy (Forwarded / X-Forwarded-For / X-Real-IP)
does not count as loopback. `python app.py` and `serve` also refuse to listen elsewhere (keys.serve_guard).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from flask import current_app, g, request

from .. import jsonsafe, keys, ratelimit
from ..roles import allowed
from .shared import problem

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$", re.IGNORECASE)
_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
            "d": 86400, "day": 86400}


@dataclass
class Caller:
    """Who is calling: a key, or anyone when the API is open (no key exists)."""

    name: str
    role: str
    key_id: Optional[str] = None

    @property
    def label(self) -> str:
        """How the caller appears in audit trails."""
        return f"key:{self.name}" if self.key_id else "anonymous"


def parse_rate(text: str) -> Optional[tuple[int, float]]:
    """"120/minute" -> (120, 60.0); None for "0", "off" or "" (no limit); ValueError for anything else."""
    text = (text or "").strip().lower()
    if text in ("", "0", "off", "none", "unlimited"):
        return None
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"FACTCHECK_RATE_LIMIT must look like 120/minute (or 0 to disable), got {text!r}")
    count, multiple, unit = int(match.group(1)), int(match.group(2) or 1), match.group(3)
    if count == 0:
        return None
    return count, float(multiple * _PERIODS[unit])


class RateLimiter:
    """`capacity` requests per caller in any `period` seconds (a moving window), counted in `storage`.

    With memory storage the count is per process; with Redis (FACTCHECK_REDIS_URL) every process sharing it counts
    together, so N workers still allow `capacity` requests per caller, not N times that.
    """

    NAMESPACE = "factcheck-api"

    def __init__(self, capacity: int, period: float, storage):
        self.item = ratelimit.per_period(capacity, period)
        self._window = ratelimit.Window(storage)

    def take(self, who: str) -> Optional[int]:
        """None when the request may go ahead (and it is counted), else the seconds to wait (Retry-After)."""
        if self._window.hit(self.item, self.NAMESPACE, who):
            return None
        return self._window.wait(self.item, self.NAMESPACE, who)


def _unauthorized(detail: str, error: str):
    return problem(401, detail, title="Unauthorized",
                   headers={"WWW-Authenticate": f'Bearer realm="factcheck", error="{error}"'})


def current_caller() -> Caller:
    """The caller of the current API request (set by `requires`)."""
    return g.api_caller


_PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def _local_caller() -> bool:
    """True when the request comes straight from this machine's loopback (not relayed by a proxy on it)."""
    return keys.is_loopback(request.remote_addr or "") and not any(h in request.headers for h in _PROXY_HEADERS)


def authenticate() -> "Caller | object":
    """The Caller, or the 401/403 problem response."""
    key_cache: keys.KeyCache = current_app.extensions["factcheck_keys"]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not key_cache.any_keys():
        if not _local_caller():
            return problem(403, "This API has no keys yet, so it answers only on this machine's loopback "
                                "address. Create a key first (python -m factcheck keys create --name NAME --role "
                                "admin), then send it as Authorization: Bearer <key>.", title="Forbidden")
        return Caller(name="anonymous", role="admin")
    if not header:
        return _unauthorized("This API needs a key: send Authorization: Bearer <key>.", "invalid_request")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("Send the key as Authorization: Bearer <key>.", "invalid_request")
    key = key_cache.authenticate(token.strip())
    if key is None:
        return _unauthorized("The API key is not valid (unknown or revoked).", "invalid_token")
    return Caller(name=key.name, role=key.role, key_id=key.id)


def requires(permission: str):
    """View decorator: authenticate (401), check the role (403), then the caller's rate limit (429)."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            caller = authenticate()
            if not isinstance(caller, Caller):
                return caller
            if not allowed(caller.role, permission):
                return problem(403, f"A {caller.role} key may not do this; it needs the {permission!r} "
                                    "permission.", title="Forbidden")
            limiter: Optional[RateLimiter] = current_app.extensions.get("factcheck_rate_limiter")
            if limiter is not None:
                wait = limiter.take(caller.key_id or f"ip:{request.remote_addr}")
                if wait is not None:
                    return problem(429, f"Too many requests; try again in {wait} seconds.",
                                   title="Too Many Requests", headers={"Retry-After": str(wait)})
            if request.method in ("POST", "PUT", "PATCH") and not request.is_json:
                return problem(415, "Send the body as JSON with Content-Type: application/json.",
                               title="Unsupported Media Type")
            if request.method in ("POST", "PUT", "PATCH"):
                if not request.get_data(cache=True):
                    return problem(400, "The body is empty; send a JSON document.", title="Bad Request",
                                   errors={"_body": ["Empty body."]})
                # Parsed here, within limits, before any view or webargs reads it: nesting 1,000 deep or a
                # 5,000-digit number is a 400 naming the problem, never a RecursionError or a 500.
                try:
                    g.json_body = jsonsafe.loads(request.get_data(cache=True))
                except ValueError as exc:
                    reason = f"The body is not valid JSON: {jsonsafe.describe(exc)}."
                    return problem(400, reason, title="Bad Request", errors={"_body": [reason]})
            g.api_caller = caller
            return view(*args, **kwargs)

        wrapper._permission = permission
        return wrapper
    return decorator
