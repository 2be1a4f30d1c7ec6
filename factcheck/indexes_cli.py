"""`python -m factcheck indexes create|status|migrate`: manage the Elasticsearch indexes behind the store.

The work is done by the store (only factcheck/store/elastic.py talks to Elasticsearch); the embedded SQLite store
creates its schema when opened and has nothing to migrate.
"""
from __future__ import annotations

from .store.base import Store, StoreError


def _is_elastic(store: Store) -> bool:
    return hasattr(store, "migrate_indexes") and hasattr(store, "ensure_indexes")


def create(store: Store) -> str:
    """Create the missing indexes and their aliases; say which were created."""
    if not _is_elastic(store):
        return "nothing to do: the SQLite store creates its tables when opened"
    created = [kind for kind, made in store.ensure_indexes().items() if made]
    return "created " + ", ".join(created) if created else "all indexes exist"


def status(store: Store) -> dict:
    """Per index: alias, concrete index, document count, whether its definition matches indexes/*.json."""
    if not _is_elastic(store):
        return {"backend": "sqlite", **store.stats()}
    return {"backend": "elasticsearch", **store.index_status()}


def migrate(store: Store, progress=None) -> str:
    """Rebuild every index as its next version from indexes/*.json and move the aliases to it at once;
    `progress(kind, read, total)` as the documents are copied."""
    if not _is_elastic(store):
        raise StoreError("migrate applies to the Elasticsearch store only (set ELASTICSEARCH_URL)")
    moved = store.migrate_indexes(progress=progress)
    return ", ".join(f"{step['from']} -> {step['to']}" for step in moved.values())
