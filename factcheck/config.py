"""Settings from the environment, in one place. Every setting is documented in README.md (a test checks)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_STORE = "sqlite:///instance/factcheck.db"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _cookie_secure(raw: str | None):
    value = (raw or "auto").strip().lower()
    if value == "auto":
        return "auto"
    if value in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        return value in ("1", "true", "yes", "on")
    raise ValueError(f"FACTCHECK_COOKIE_SECURE must be auto, true or false, got {raw!r}")


def index_counts(name: str, raw: str | None) -> dict[str, int]:
    """FACTCHECK_ES_SHARDS / FACTCHECK_ES_REPLICAS: "2" for every index, "passages=4" for one kind, or both
    comma-separated ("1,passages=4": the kind's own count wins). {"*": n} holds the count for every index."""
    counts: dict[str, int] = {}
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        kind, _, number = part.rpartition("=")
        kind = kind.strip() or "*"
        try:
            value = int(number.strip())
        except ValueError:
            value = -1
        if value < 0 or (name.endswith("SHARDS") and value == 0):
            raise ValueError(f"{name} takes a count or kind=count items (e.g. 2 or passages=4), got {raw!r}")
        counts[kind] = value
    return counts


def claim_vectors_enabled() -> bool:
    """FACTCHECK_CLAIM_VECTORS: refine uncertain check-worthiness scores with MiniLM sentence vectors (default on;
    off ingests ~2x faster in ~220 MB less memory, with the lexical claim detector). Read by the extractor, which
    takes no Config."""
    return _bool("FACTCHECK_CLAIM_VECTORS", True)


def spot_transformer_enabled() -> bool:
    """FACTCHECK_SPOT_TRANSFORMER: claim spotting (CLI, API, Find claims page) scores sentences with the fine-tuned
    transformer (factcheck/extract/claim_transformer.py; default on); off, it uses the ingest detector."""
    return _bool("FACTCHECK_SPOT_TRANSFORMER", True)


@dataclass
class Config:
    """Runtime settings; `Config.from_env()` reads them from the environment."""

    # FACTCHECK_STORE: where data lives, e.g. sqlite:///instance/factcheck.db (relative to the working directory)
    store_url: str = DEFAULT_STORE
    # ELASTICSEARCH_URL: when set, the Elasticsearch store is used instead of SQLite; several nodes of one cluster
    # comma-separated (http://10.0.0.1:9200,http://10.0.0.2:9200): requests go round them, past a node that is down
    elasticsearch_url: str | None = None
    # FACTCHECK_ES_SHARDS: primary shards of the indexes this store creates, overriding indexes/*.json: "2" for
    # every index, "passages=4" for one kind, "1,passages=4" both
    es_shards: dict = field(default_factory=dict)
    # FACTCHECK_ES_REPLICAS: replicas of every index (same form); unset: indexes/*.json (0 on one node, 1 once
    # there are two or more); applied to existing indexes too
    es_replicas: dict = field(default_factory=dict)
    # FACTCHECK_INDEX_PREFIX: prefix of the Elasticsearch index names and aliases
    index_prefix: str = "factcheck"
    # FACTCHECK_MAX_TEXT_BYTES: largest source text accepted (bytes of UTF-8)
    max_text_bytes: int = 5_000_000
    # FACTCHECK_URL_TIMEOUT: seconds allowed for fetching a URL
    url_timeout: int = 15
    # FACTCHECK_URL_MAX_BYTES: largest page fetched from a URL
    url_max_bytes: int = 10_000_000
    # FACTCHECK_ALLOW_PRIVATE_URLS: allow fetching loopback/private/link-local addresses (off by default)
    allow_private_urls: bool = False
    # FACTCHECK_DEMO: load the bundled demo corpus into an empty store on start-up of `python app.py`
    load_demo: bool = True
    # FACTCHECK_SECRET_KEY: Flask secret key (a random one per process when unset)
    secret_key: str | None = None
    # FACTCHECK_ADMIN_DB: SQLite file for API keys, web accounts and webhooks when the store is SQLite (with
    # Elasticsearch they live in its indexes {prefix}-users, -api_keys, -webhooks, -webhook_queue, -webhook_deliveries)
    admin_db: str = "instance/admin.db"
    # FACTCHECK_KEY_CACHE_SECONDS: how long an API server trusts a key it has looked up; a key revoked by another
    # process (the CLI, another server) keeps working there for at most this long. 0 looks every request up.
    key_cache_seconds: float = 5.0
    # FACTCHECK_RATE_LIMIT: requests per API key (per client address when no key is needed), e.g. 120/minute,
    # 10/second, 5000/hour; 0 or off disables the limit
    rate_limit: str = "120/minute"
    # FACTCHECK_WEBHOOK_ATTEMPTS: delivery attempts per webhook event before giving up
    webhook_attempts: int = 5
    # FACTCHECK_WEBHOOK_BACKOFF: seconds before the first retry; doubled for each further retry
    webhook_backoff: float = 2.0
    # FACTCHECK_COOKIE_SECURE: "auto" (Secure cookie when the request came over https), "true" or "false"
    cookie_secure: object = "auto"
    # FACTCHECK_WEBHOOK_TIMEOUT: seconds allowed for one delivery attempt
    webhook_timeout: int = 10
    # FACTCHECK_LOGIN_LIMIT_ACCOUNT: failed web log-ins allowed per account name, e.g. "5/minute;20/hour"; 0 or off
    # disables; past it every log-in of that account is refused (429) until the window has room again
    login_limit_account: str = "5/minute;20/hour"
    # FACTCHECK_LOGIN_LIMIT_ADDRESS: failed web log-ins allowed per client address (any account names)
    login_limit_address: str = "20/minute;100/hour"
    # FACTCHECK_PUBLISHER_NAME: the organisation publishing the reviews (ClaimReview author), e.g. "Example News"
    publisher_name: str = "factcheck"
    # FACTCHECK_PUBLISHER_URL: its home page (http(s)); left out of the ClaimReview when unset
    publisher_url: str | None = None
    # FACTCHECK_PUBLISHER_LOGO: the http(s) URL of its logo image; left out when unset
    publisher_logo: str | None = None
    # FACTCHECK_CORS_ORIGINS: comma-separated origins (e.g. "https://news.example") whose pages may read the
    # read-only JSON routes (/timeline.json, the API's GET routes for checks, sources, timelines, ClaimReview);
    # "*" allows any. Never the pages with sessions or any write route.
    cors_origins: str = ""
    # FACTCHECK_REDIS_URL: a Redis server (redis://host:6379/0, rediss://..., unix:///path.sock) holding the rate-limit
    # counters (the API's per-key limit, the web log-in throttle), so that every worker process and every app
    # server using it counts together; unset: the counters are in memory, per process
    redis_url: str | None = None
    # FACTCHECK_WORKERS: processes serving requests (`python app.py`; the default of `serve --workers`): 1 is one
    # waitress process, more is gunicorn with that many processes of FACTCHECK_THREADS threads each
    workers: int = 1
    # FACTCHECK_THREADS: request threads per serving process (waitress, or each gunicorn worker)
    threads: int = 8
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "Config":
        return cls(
            store_url=os.environ.get("FACTCHECK_STORE") or DEFAULT_STORE,
            elasticsearch_url=os.environ.get("ELASTICSEARCH_URL") or None,
            index_prefix=os.environ.get("FACTCHECK_INDEX_PREFIX") or "factcheck",
            es_shards=index_counts("FACTCHECK_ES_SHARDS", os.environ.get("FACTCHECK_ES_SHARDS")),
            es_replicas=index_counts("FACTCHECK_ES_REPLICAS", os.environ.get("FACTCHECK_ES_REPLICAS")),
            max_text_bytes=_int("FACTCHECK_MAX_TEXT_BYTES", 5_000_000),
            url_timeout=_int("FACTCHECK_URL_TIMEOUT", 15),
            url_max_bytes=_int("FACTCHECK_URL_MAX_BYTES", 10_000_000),
            allow_private_urls=_bool("FACTCHECK_ALLOW_PRIVATE_URLS", False),
            load_demo=_bool("FACTCHECK_DEMO", True),
            secret_key=os.environ.get("FACTCHECK_SECRET_KEY") or None,
            admin_db=os.environ.get("FACTCHECK_ADMIN_DB") or "instance/admin.db",
            key_cache_seconds=_float("FACTCHECK_KEY_CACHE_SECONDS", 5.0),
            rate_limit=os.environ.get("FACTCHECK_RATE_LIMIT") or "120/minute",
            webhook_attempts=_int("FACTCHECK_WEBHOOK_ATTEMPTS", 5),
            webhook_backoff=_float("FACTCHECK_WEBHOOK_BACKOFF", 2.0),
            webhook_timeout=_int("FACTCHECK_WEBHOOK_TIMEOUT", 10),
            cookie_secure=_cookie_secure(os.environ.get("FACTCHECK_COOKIE_SECURE")),
            login_limit_account=os.environ.get("FACTCHECK_LOGIN_LIMIT_ACCOUNT") or "5/minute;20/hour",
            login_limit_address=os.environ.get("FACTCHECK_LOGIN_LIMIT_ADDRESS") or "20/minute;100/hour",
            publisher_name=os.environ.get("FACTCHECK_PUBLISHER_NAME") or "factcheck",
            publisher_url=os.environ.get("FACTCHECK_PUBLISHER_URL") or None,
            publisher_logo=os.environ.get("FACTCHECK_PUBLISHER_LOGO") or None,
            cors_origins=os.environ.get("FACTCHECK_CORS_ORIGINS") or "",
            redis_url=os.environ.get("FACTCHECK_REDIS_URL") or None,
            workers=_int("FACTCHECK_WORKERS", 1),
            threads=_int("FACTCHECK_THREADS", 8),
        )

    def allowed_origins(self) -> frozenset[str]:
        """The origins of FACTCHECK_CORS_ORIGINS, without a trailing slash (browsers send none)."""
        value = self.cors_origins
        parts = value.split(",") if isinstance(value, str) else list(value or ())
        return frozenset(p.strip().rstrip("/") for p in parts if isinstance(p, str) and p.strip())
