"""open_store(): the one place that picks a storage backend."""
from __future__ import annotations

from ..config import Config
from .base import Hit, NotFound, Store, StoreError, StoreUnavailable, VersionConflict

__all__ = ["open_store", "Store", "Hit", "StoreError", "StoreUnavailable", "NotFound", "VersionConflict"]


def open_store(config: Config | None = None) -> Store:
    """Elasticsearch when ELASTICSEARCH_URL is set, else the SQLite file named by FACTCHECK_STORE."""
    config = config or Config.from_env()
    if config.elasticsearch_url:
        from .elastic import ElasticStore

        return ElasticStore(config.elasticsearch_url, prefix=config.index_prefix, shards=config.es_shards,
                            replicas=config.es_replicas)
    url = config.store_url
    if not url.startswith("sqlite:///"):
        raise StoreError(f"FACTCHECK_STORE must look like sqlite:///path/to/file.db, got {url!r}")
    from .sqlite import SqliteStore

    return SqliteStore(url[len("sqlite:///"):])
