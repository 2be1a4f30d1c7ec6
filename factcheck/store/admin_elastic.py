"""AdminState on Elasticsearch (factcheck/admin_state.py has the contract): the store's client and prefix, five
indexes of their own (indexes/users.json, api_keys.json, webhooks.json, webhook_queue.json,
webhook_deliveries.json), created with the store's (`python -m factcheck indexes create`).

Uniqueness is the document id's: an account's id is its name and a key's id is its hash, written with
op_type=create, so two writers racing for one name get one success and one conflict. Reads by id are realtime;
writes that a later search must see refresh the (small) index. Changes are compare-and-set writes on _seq_no
and _primary_term (the minimal node runs no scripts), the claim of a delivery too, so two workers never hold
one lease.
"""
from __future__ import annotations

import time
from typing import Optional

from .base import StoreError
from .elastic import ConflictError, ElasticStore, NotFoundError, helpers

ADMIN_KINDS = ("users", "api_keys", "webhooks", "webhook_queue", "webhook_deliveries")
_PAGE = 1000  # admin lists are small; past this a list is cut (there is no paging in the interface)


def _conflict(exc: StoreError) -> bool:
    return isinstance(exc.__cause__, ConflictError)


def _missing(exc: StoreError) -> bool:
    return isinstance(exc.__cause__, NotFoundError)


class ElasticAdminState:
    """AdminState in `{prefix}-users` and the other admin indexes of an ElasticStore."""

    def __init__(self, store: ElasticStore):
        self.store = store
        self.es = store.es

    def __repr__(self) -> str:
        return f"ElasticAdminState({self.store._display_url!r}, prefix={self.store.prefix!r})"

    @property
    def where(self) -> str:
        return f"Elasticsearch at {self.store._display_url} (indexes {self.store.prefix}-users, ...)"

    def _index(self, kind: str) -> str:
        self.store._ensure()
        return self.store.alias(kind)

    def _get(self, kind: str, doc_id: str) -> Optional[dict]:
        index = self._index(kind)
        try:
            with self.store._errors(f"read {kind}"):
                return self.es.get(index=index, id=doc_id).body
        except StoreError as exc:
            if _missing(exc):
                return None
            raise

    def _search(self, kind: str, query: dict, sort: list, size: int = _PAGE, offset: int = 0,
                excludes: Optional[list] = None) -> list[dict]:
        index = self._index(kind)
        with self.store._errors(f"list {kind}"):
            hits = self.es.search(index=index, query=query, sort=sort, size=size, from_=offset,
                                  source_excludes=excludes or None, seq_no_primary_term=True).body["hits"]["hits"]
        return hits

    def _create(self, kind: str, doc_id: str, doc: dict) -> None:
        index = self._index(kind)
        try:
            with self.store._errors(f"add to {kind}"):
                self.es.create(index=index, id=doc_id, document=doc, refresh=True)
        except StoreError as exc:
            if _conflict(exc):
                raise self._taken(doc_id) from None
            raise

    @staticmethod
    def _taken(doc_id: str):
        from ..admin_state import Taken

        return Taken(doc_id)

    def _change(self, kind: str, doc_id: str, change) -> Optional[dict]:
        """Apply `change(source) -> fields` to a document with a compare-and-set on its _seq_no, again on a
        conflict (the node may run no scripts, so no scripted update); the new source, or None when missing."""
        index = self._index(kind)
        for _ in range(50):
            found = self._get(kind, doc_id)
            if found is None:
                return None
            source = {**found["_source"], **change(found["_source"])}
            try:
                with self.store._errors(f"change {kind}"):
                    self.es.index(index=index, id=doc_id, document=source, if_seq_no=found["_seq_no"],
                                  if_primary_term=found["_primary_term"], refresh=True)
                return source
            except StoreError as exc:
                if not _conflict(exc):
                    raise
        raise StoreError(f"could not change {kind} {doc_id!r}: it kept changing under us")

    def _delete(self, kind: str, doc_id: str, **conditions) -> bool:
        index = self._index(kind)
        try:
            with self.store._errors(f"delete from {kind}"):
                self.es.delete(index=index, id=doc_id, refresh=True, **conditions)
        except StoreError as exc:
            if _missing(exc) or _conflict(exc):
                return False
            raise
        return True

    # -- users
    def insert_user(self, row: dict) -> None:
        self._create("users", row["username"], {**row, "session_version": 1, "disabled_at": None})

    def get_user(self, username: str) -> Optional[dict]:
        found = self._get("users", username)
        return found["_source"] if found else None

    def list_users(self) -> list[dict]:
        hits = self._search("users", {"match_all": {}}, [{"username": "asc"}], excludes=["password_hash"])
        return [{name: hit["_source"].get(name) for name in ("username", "role", "session_version", "disabled_at")}
                for hit in hits]

    def update_user(self, username: str, *, password_hash: Optional[str] = None, role: Optional[str] = None,
                    disable_at: Optional[str] = None, enable: bool = False, end_sessions: bool = False) -> bool:
        def change(user: dict) -> dict:
            fields: dict = {}
            if password_hash is not None:
                fields["password_hash"] = password_hash
            if role is not None:
                fields["role"] = role
            if disable_at is not None and user.get("disabled_at") is None:
                fields["disabled_at"] = disable_at
            if enable:
                fields["disabled_at"] = None
            if end_sessions:
                fields["session_version"] = int(user.get("session_version") or 1) + 1
            return fields

        return self._change("users", username, change) is not None

    def delete_user(self, username: str) -> bool:
        return self._delete("users", username)

    # -- keys
    def insert_key(self, row: dict) -> None:
        self._create("api_keys", row["key_hash"], {**row, "revoked_at": None, "last_used_at": None})

    @staticmethod
    def _key(source: dict) -> dict:
        return {name: source.get(name) for name in ("id", "name", "role", "created_at", "revoked_at",
                                                    "last_used_at")}

    def list_keys(self) -> list[dict]:
        hits = self._search("api_keys", {"match_all": {}}, [{"created_at": "asc"}, {"id": "asc"}])
        return [self._key(hit["_source"]) for hit in hits]

    def revoke_key(self, key_id: str, at: str) -> Optional[dict]:
        hits = self._search("api_keys", {"term": {"id": key_id}}, [{"created_at": "asc"}], size=1)
        if not hits:
            return None
        changed = self._change("api_keys", hits[0]["_id"],
                               lambda key: {} if key.get("revoked_at") else {"revoked_at": at})
        return self._key(changed) if changed else None

    def live_key(self, key_hash: str) -> Optional[dict]:
        found = self._get("api_keys", key_hash)
        if not found or found["_source"].get("revoked_at"):
            return None
        return self._key(found["_source"])

    def touch_keys(self, used: dict[str, str]) -> None:
        if not used:
            return
        hits = self._search("api_keys", {"terms": {"id": list(used)}}, [{"id": "asc"}], size=len(used))
        actions = [{"_op_type": "update", "_index": self._index("api_keys"), "_id": hit["_id"],
                    "doc": {"last_used_at": used[hit["_source"]["id"]]}} for hit in hits]
        with self.store._errors("record key use"):
            helpers.bulk(self.es, actions, raise_on_error=False, refresh=True)  # at most once a minute a key

    def any_keys(self) -> bool:
        index = self._index("api_keys")
        with self.store._errors("count keys"):
            return self.es.count(index=index).body["count"] > 0

    # -- webhooks
    def insert_webhook(self, row: dict) -> None:
        self._create("webhooks", row["id"], dict(row))

    def list_webhooks(self) -> list[dict]:
        return [hit["_source"] for hit in self._search("webhooks", {"match_all": {}},
                                                       [{"created_at": "asc"}, {"id": "asc"}])]

    def get_webhook(self, webhook_id: str) -> Optional[dict]:
        found = self._get("webhooks", webhook_id) if webhook_id else None
        return found["_source"] if found else None

    def delete_webhook(self, webhook_id: str) -> bool:
        if not webhook_id or not self._delete("webhooks", webhook_id):
            return False
        for hit in self._search("webhook_queue", {"term": {"webhook_id": webhook_id}}, [{"next_attempt_at": "asc"}],
                                excludes=["body"]):
            self._delete("webhook_queue", hit["_id"])
        return True

    def record_attempt(self, row: dict) -> None:
        index = self._index("webhook_deliveries")
        doc = {**row, "id": time.time_ns() // 1000}  # microseconds: grows with time, as SQLite's row id does
        with self.store._errors("log a webhook delivery"):
            self.es.index(index=index, document=doc, refresh=True)

    def list_attempts(self, webhook_id: str, limit: int, offset: int) -> list[dict]:
        hits = self._search("webhook_deliveries", {"term": {"webhook_id": webhook_id}}, [{"id": "desc"}],
                            size=limit, offset=offset)
        return [{name: hit["_source"].get(name) for name in (
            "id", "event_id", "event", "attempt", "at", "status_code", "error", "duration_ms", "success",
            "next_attempt_at")} for hit in hits]

    # -- the delivery queue
    def enqueue(self, rows: list[dict]) -> None:
        index = self._index("webhook_queue")
        actions = [{"_op_type": "create", "_index": index, "_id": row["id"],
                    "_source": {**row, "body": row["body"].decode("utf-8"), "lease_until": 0, "lease_owner": None,
                                "available_at": row["next_attempt_at"]}}
                   for row in rows]
        with self.store._errors("queue webhook deliveries"):
            _, errors = helpers.bulk(self.es, actions, refresh=True, raise_on_error=False)
        failed = [e for e in errors if e.get("create", {}).get("status") != 409]
        if failed:
            raise StoreError(f"could not queue {len(failed)} webhook deliveries: {failed[0]}")

    def claim(self, owner: str, now_ms: int, lease_ms: int, limit: int) -> list[dict]:
        # available_at = max(next_attempt_at, lease_until), kept by every write
        query = {"bool": {"filter": [{"range": {"available_at": {"lte": now_ms}}},
                                     {"range": {"lease_until": {"lt": now_ms}}}]}}
        index = self._index("webhook_queue")
        until = now_ms + lease_ms
        claimed: list[dict] = []
        for _ in range(3):
            hits = self._search("webhook_queue", query, [{"available_at": "asc"}], size=limit)
            for hit in hits:
                try:
                    with self.store._errors("claim a webhook delivery"):
                        # the search may be a refresh behind: the compare-and-set is what decides
                        result = self.es.update(index=index, id=hit["_id"], if_seq_no=hit["_seq_no"],
                                                if_primary_term=hit["_primary_term"],
                                                doc={"lease_owner": owner, "lease_until": until,
                                                     "available_at": until}).body
                except StoreError as exc:
                    if _conflict(exc) or _missing(exc):
                        continue  # another worker got it first, or it is done
                    raise
                claimed.append({**hit["_source"], "id": hit["_id"], "body": hit["_source"]["body"].encode("utf-8"),
                                "lease_owner": owner, "lease_until": until,
                                "lease": (result["_seq_no"], result["_primary_term"])})
            if claimed or not hits:
                break
            # every row found was claimed by others since the last refresh: look again at the current state
            with self.store._errors("refresh the webhook queue"):
                self.es.indices.refresh(index=index)
        return claimed

    def settle(self, row: dict, next_attempt_at_ms: Optional[int] = None) -> bool:
        seq_no, primary_term = row["lease"]
        index = self._index("webhook_queue")
        if next_attempt_at_ms is None:
            return self._delete("webhook_queue", row["id"], if_seq_no=seq_no, if_primary_term=primary_term)
        try:
            with self.store._errors("reschedule a webhook delivery"):
                self.es.update(index=index, id=row["id"], if_seq_no=seq_no, if_primary_term=primary_term,
                               doc={"attempt": row["attempt"] + 1, "next_attempt_at": next_attempt_at_ms,
                                    "lease_until": 0, "lease_owner": None, "available_at": next_attempt_at_ms},
                               refresh=True)
        except StoreError as exc:
            if _conflict(exc) or _missing(exc):
                return False
            raise
        return True

    def queue_state(self, now_ms: int) -> tuple[int, Optional[int]]:
        index = self._index("webhook_queue")
        with self.store._errors("read the webhook queue"):
            hits = self.es.search(index=index, size=1, sort=[{"available_at": "asc"}], source=["available_at"],
                                  track_total_hits=True).body["hits"]
        count = hits["total"]["value"]
        return count, (int(hits["hits"][0]["_source"]["available_at"]) if hits["hits"] else None)

    def close(self) -> None:
        pass  # the client belongs to the store
