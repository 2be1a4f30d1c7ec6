"""Rate-limit counters: moving windows of the `limits` library, in memory or in Redis. No Flask imports here.

Both the API's per-key limit (api/auth.py) and the web log-in throttle (web/auth.py) count here. Without
FACTCHECK_REDIS_URL the counters live in this process's memory, so with several worker processes each process
limits on its own; with it, every process and every app server using that Redis shares one count.
"""
from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from .config import Config
from .store.base import StoreUnavailable

REDIS_SCHEMES = ("redis", "rediss", "unix")
REDIS_TIMEOUT = 2.0  # seconds to connect to Redis or get an answer: a request waits no longer than that for it


class CountersUnavailable(StoreUnavailable):
    """The rate-limit counters (Redis) cannot be reached; requests that need them get 503 with Retry-After."""


def open_storage(config: Config):
    """The `limits` storage for config.redis_url (Redis), or in memory when it is unset."""
    from limits.storage import storage_from_string

    url = (config.redis_url or "").strip()
    if not url:
        return storage_from_string("memory://", wrap_exceptions=True)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in REDIS_SCHEMES:
        raise ValueError(f"FACTCHECK_REDIS_URL must be a redis://, rediss:// or unix:// URL, got {url!r}")
    return storage_from_string(url, wrap_exceptions=True, socket_timeout=REDIS_TIMEOUT,
                               socket_connect_timeout=REDIS_TIMEOUT)


def describe(storage) -> str:
    """Where the counters are, for messages: "memory" or the Redis address without credentials."""
    pool = getattr(getattr(storage, "storage", None), "connection_pool", None)
    kwargs = getattr(pool, "connection_kwargs", None) or {}
    if "path" in kwargs:
        return f"Redis at {kwargs['path']}"
    if "host" in kwargs:
        return f"Redis at {kwargs['host']}:{kwargs.get('port', 6379)}"
    return "memory"


class Window:
    """Moving windows over one storage: `hit` counts an event, `test` says whether one more fits, `wait` how long
    until it does. Keys are (namespace, who). A storage failure is CountersUnavailable (HTTP 503)."""

    def __init__(self, storage):
        from limits.strategies import MovingWindowRateLimiter

        self.storage = storage
        self._window = MovingWindowRateLimiter(storage)

    def _call(self, method, *args):
        from limits.errors import StorageError

        try:
            return method(*args)
        except StorageError as exc:
            raise CountersUnavailable(f"the rate-limit counters ({describe(self.storage)}) cannot be reached: "
                                      f"{exc.storage_error or exc}") from None

    def hit(self, item, namespace: str, who: str) -> bool:
        """Count one event; False (and nothing counted) when the window is already full."""
        return self._call(self._window.hit, item, namespace, who)

    def test(self, item, namespace: str, who: str) -> bool:
        """True when one more event would fit now."""
        return self._call(self._window.test, item, namespace, who)

    def wait(self, item, namespace: str, who: str) -> int:
        """Whole seconds (at least 1) until the window has room again."""
        reset_at = self._call(self._window.get_window_stats, item, namespace, who).reset_time
        return max(1, math.ceil(reset_at - time.time()))


def per_period(count: int, seconds: float):
    """The `limits` item for `count` events in any `seconds`."""
    from limits import RateLimitItemPerSecond

    return RateLimitItemPerSecond(count, max(1, int(round(seconds))))


__all__ = ["open_storage", "describe", "Window", "per_period", "CountersUnavailable"]
