"""API key checks per request: the uncached lookup (a read and a last_used_at write per request, as before issue 14)
against KeyCache (a lookup every FACTCHECK_KEY_CACHE_SECONDS, last_used_at at most once a minute), on the admin
SQLite file and on Elasticsearch; and whole requests (GET /api/v1/webhooks with a key) through the Flask test client.

    .venv/bin/python bench/admin_auth.py [--es http://127.0.0.1:9200] [--calls 2000]

Writes nothing outside a temporary folder and a `bench-admin-*` index prefix it deletes at the end.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from factcheck import create_app, keys  # noqa: E402


def per_call(function, calls: int, repeats: int = 3) -> float:
    """Median over `repeats` runs of the mean microseconds per call."""
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        runs.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(runs)


def measure(app, calls: int) -> dict:
    state = app.extensions["factcheck_admin"]
    _, token = keys.create_key(state, "bench", "admin")
    cache = keys.KeyCache(state, ttl=5.0)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/webhooks", headers=headers).status_code == 200
    figures = {
        "uncached lookup + last_used write": per_call(lambda: keys.authenticate(state, token), calls),
        "KeyCache.authenticate": per_call(lambda: cache.authenticate(token), calls),
        "GET /api/v1/webhooks (KeyCache in the app)": per_call(lambda: client.get("/api/v1/webhooks",
                                                                                  headers=headers), calls // 4),
    }
    app.extensions["factcheck_keys"].ttl = 0  # every request looks the key up again (and writes as before)
    app.extensions["factcheck_keys"].touch_every = 0
    figures["GET /api/v1/webhooks (no cache, write per request)"] = per_call(
        lambda: client.get("/api/v1/webhooks", headers=headers), calls // 4)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--es", default=None, help="also measure on this Elasticsearch node")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        backends = {"sqlite": create_app({"store_url": f"sqlite:///{folder}/fc.db", "elasticsearch_url": None,
                                          "admin_db": f"{folder}/admin.db", "load_demo": False,
                                          "rate_limit": "0"})}
        prefix = f"bench-admin-{uuid.uuid4().hex[:6]}"
        if args.es:
            backends["elasticsearch"] = create_app({"elasticsearch_url": args.es, "index_prefix": prefix,
                                                    "load_demo": False, "rate_limit": "0",
                                                    "admin_db": f"{folder}/unused.db"})
        try:
            for name, app in backends.items():
                calls = args.calls if name == "sqlite" else max(100, args.calls // 4)
                for what, micros in measure(app, calls).items():
                    print(f"{name:<14} {what:<52} {micros:9.0f} us/call")
        finally:
            if "elasticsearch" in backends:
                store = backends["elasticsearch"].extensions["factcheck_store"]
                names = list(store.es.indices.get(index=f"{prefix}-*", expand_wildcards="all"))
                if names:
                    store.es.indices.delete(index=",".join(names))
            for app in backends.values():
                app.extensions["factcheck_webhooks"].stop()
                app.extensions["factcheck_store"].close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
