"""factcheck: check claims against dated news sources.

`create_app()` builds the Flask app. Flask is imported inside it, not at module level, because every
`factcheck.*` import runs this file first and nothing below the web layer should pull in Flask.
"""
from __future__ import annotations

import dataclasses
import json
import secrets
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Union

from .config import Config

if TYPE_CHECKING:  # pragma: no cover
    from flask import Flask

    from .store import Store

__all__ = ["create_app", "load_demo", "serve_app", "resolve_config", "DEMO_CORPUS"]

DEMO_CORPUS = Path(__file__).parent / "demo" / "wikinews.jsonl"
MAX_CONTENT_LENGTH = 20 * 1024 * 1024


def resolve_config(config: Union[Config, dict, None] = None) -> tuple[Config, dict]:
    """A Config (from the environment unless given) and the Flask settings (UPPER_CASE keys) of a dict."""
    if isinstance(config, Config):
        return config, {}
    base = Config.from_env()
    overrides = dict(config or {})
    flask_settings = {key: overrides.pop(key) for key in list(overrides) if key.isupper()}
    known = {f.name for f in dataclasses.fields(Config)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown configuration field(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return dataclasses.replace(base, **overrides), flask_settings


def create_app(config: Union[Config, dict, None] = None) -> "Flask":
    """Build the app: configuration, one store for the app's lifetime, blueprints and error handlers."""
    from flask import Flask

    from . import api, ratelimit, web
    from .admin_state import open_admin
    from .keys import KeyCache
    from .store import open_store

    settings, flask_settings = resolve_config(config)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        FACTCHECK_CONFIG=settings,
        FACTCHECK_COOKIE_SECURE=settings.cookie_secure,
    )
    app.config.update(flask_settings)
    app.json = _json_provider(app)

    # Rate-limit counters (API keys, web log-ins): in memory, or in Redis shared by every process (ratelimit.py)
    counters = ratelimit.open_storage(settings)
    store = open_store(settings)
    app.extensions["factcheck_store"] = store
    app.extensions["factcheck_config"] = settings
    app.extensions["factcheck_counters"] = counters
    # Accounts, API keys and webhooks: beside the store (Elasticsearch) or in the admin SQLite file.
    admin = open_admin(settings, store)
    app.extensions["factcheck_admin"] = admin
    key_cache = KeyCache(admin, ttl=settings.key_cache_seconds)
    app.extensions["factcheck_keys"] = key_cache
    weakref.finalize(app, key_cache.close)
    # Flask has no app-level teardown (teardown_appcontext runs per request), so the store is closed when the
    # app object goes away or, at the latest, when the interpreter exits.
    weakref.finalize(app, store.close)

    app.register_blueprint(web.bp)
    api.init_app(app)  # flask-smorest blueprints, OpenAPI document, docs, rate limit, webhook worker
    _register_error_handlers(app)
    app.after_request(_security_headers)
    app.after_request(_cors_headers)
    return app


# The read-only JSON routes another site's page may fetch (FACTCHECK_CORS_ORIGINS): no session is read there
# and nothing changes. The HTML pages (sessions, CSRF) and every write route are never opened to other origins.
CORS_ENDPOINTS = frozenset({
    "web.timeline_json", "api.get_check", "reviews.get_claimreview", "sources.get_source",
    "sources.list_source_versions", "sources.get_source_version", "sources.list_sources", "sources.timeline",
    "api-docs.openapi_json"})


def _cors_headers(response):
    """Access-Control-Allow-Origin for a configured origin on the read-only routes (GET, HEAD and their
    preflight); the API's key goes in the Authorization header, so that header may be sent, but no cookies."""
    from flask import current_app, request

    endpoint = request.endpoint
    if request.method == "OPTIONS":  # a preflight: which route would the GET it asks about reach?
        try:
            endpoint = current_app.url_map.bind_to_environ(request.environ).match(method="GET")[0]
        except Exception:  # noqa: BLE001 - no GET route here (404, 405): nothing to allow
            endpoint = None
    if endpoint not in CORS_ENDPOINTS or request.method not in ("GET", "HEAD", "OPTIONS"):
        return response
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    allowed = current_app.extensions["factcheck_config"].allowed_origins()
    if not origin or not (origin in allowed or "*" in allowed):
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = "ETag, Link, Location, Retry-After"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
        response.headers["Access-Control-Allow-Headers"] = "Authorization"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _json_provider(app: "Flask"):
    """Flask's JSON with keys in the order given, reading request bodies through jsonsafe (depth and number
    limits, so request.get_json() anywhere answers 400 rather than failing with a RecursionError)."""
    from flask.json.provider import DefaultJSONProvider

    from . import jsonsafe

    class Provider(DefaultJSONProvider):
        sort_keys = False

        def loads(self, s, **kwargs):
            return jsonsafe.loads(s)

    return Provider(app)


def serve_app(app: "Flask", host: str, port: int, threads: int = 8) -> None:
    """Serve the app with waitress, a production WSGI server (a pool of `threads` threads), until interrupted.

    Several processes (gunicorn) are factcheck.serving.exec_gunicorn: they build their own apps."""
    from .serving import serve_waitress

    serve_waitress(app, host, port, threads)


def _wants_problem_json() -> bool:
    """JSON routes answer errors in JSON: the API, and the pages' JSON exports (/timeline.json)."""
    from flask import request

    return request.path == "/api" or request.path.startswith("/api/") or request.path.endswith(".json")


def _register_error_handlers(app: "Flask") -> None:
    """Translate every error once, at the edge: problem+json under /api, a small HTML page elsewhere."""
    from werkzeug.exceptions import HTTPException, InternalServerError

    from . import api, web
    from .store import StoreUnavailable

    def respond(status: int, title: str, detail: str, headers: dict | None = None, errors=None):
        if _wants_problem_json():
            return api.problem(status, detail, title=title, errors=errors, headers=headers)
        return web.error_page(status, title, detail, headers=headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if _wants_problem_json():  # keeps the field errors of a validation failure (webargs' exc.data)
            return api.http_problem(exc)
        # Keep headers such as Allow (405); drop the HTML Content-Type werkzeug would send.
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return respond(exc.code or 500, exc.name, exc.description or exc.name, headers)

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(exc: StoreUnavailable):
        app.logger.warning("store unavailable: %s", exc)
        retry_after = max(1, int(getattr(exc, "retry_after", 5) or 5))
        return respond(503, "Service Unavailable",
                       f"The data store is unavailable right now; try again in {retry_after} seconds.",
                       {"Retry-After": str(retry_after)})

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above, kept for safety
            return http_error(exc)
        app.logger.exception("unhandled error on %s", _request_line())
        err = InternalServerError()
        return respond(500, err.name, "Something went wrong on our side; the error has been logged.")


def _request_line() -> str:
    from flask import request

    return f"{request.method} {request.path}"


def _security_headers(response):
    """Defence in depth against injected markup: no scripts at all, styles and images from here only."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
    return response


def load_demo(store: "Store", config: Config, every: int = 20) -> int:
    """Ingest the bundled Wikinews corpus into an empty store when config.load_demo; return sources added.

    It takes about half a minute on a first run (extraction and sentence vectors), so it says so and counts the
    sources as they are stored, every `every` sources and at the end."""
    if not config.load_demo or store.stats().get("sources", 0) > 0:
        return 0
    from .ingest import ingest_records

    with DEMO_CORPUS.open(encoding="utf-8") as handle:
        total = sum(1 for line in handle if line.strip())
    print(f"loading the demo corpus ({total} Wikinews articles) into the empty store; the first run takes about "
          "half a minute...", flush=True)
    done = {"count": 0}

    def progress(item: str, outcome: str) -> None:
        done["count"] += 1
        if done["count"] % every == 0 or done["count"] == total:
            print(f"  {done['count']}/{total} sources", flush=True)

    with DEMO_CORPUS.open(encoding="utf-8") as handle:
        records = (json.loads(line) for line in handle if line.strip())
        report = ingest_records(store, records, config, progress)
    added = report.added if isinstance(report.added, int) else len(report.added)
    print(f"loaded demo corpus: {added} sources", flush=True)
    return added
