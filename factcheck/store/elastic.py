"""The Elasticsearch store: one versioned index per kind behind an alias, created from indexes/*.json.

A source counts as stored when its document exists in the sources index. Its passages carry the `revision` of
the source content they were extracted from (a hash of the text and metadata) and have ids of their own per
revision ("<source>:<index>@<revision>"). A write stores the passages first and the source document last (create
for a new source; a compare-and-set on _seq_no for a new version), so the source document's revision is the switch
that makes one set of passages visible: readers drop every passage whose source is missing or whose revision is
not the source's. Nothing half-written is ever seen, whenever a writer dies; a re-run writes the same ids again.
Passages of a replaced revision are deleted afterwards (a replaced version itself is kept in source_versions).
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional
from urllib.parse import urlsplit

from elasticsearch import (ApiError, ConflictError, Elasticsearch, NotFoundError, SerializationError,
                           TransportError, helpers)
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import ConnectionTimeout as EsConnectionTimeout
from elastic_transport import OrjsonSerializer

from ..models import SOURCE_CONTENT_FIELDS, Passage, Review, Source, Verdict
from ..textutil import index_terms
from .base import (MAX_OFFSET, UNDATED_DAY, CheckHit, Hit, NotFound, Position, StoreError,
                   StoreUnavailable, VersionConflict, millis, window_bounds)

INDEXES_DIR = Path(__file__).resolve().parents[2] / "indexes"
# The store's kinds, then the admin state's (store/admin_elastic.py): created, listed and migrated together.
KINDS = ("sources", "passages", "checks", "reviews", "source_versions",
         "users", "api_keys", "webhooks", "webhook_queue", "webhook_deliveries")
UNAVAILABLE_STATUSES = (429, 502, 503, 504)
MAX_WINDOW = 10_000
TEXT_CHUNK = 1000  # characters per piece of a source's text kept for hits (text_chunks)
COPY_PROGRESS = 10_000  # `indexes migrate` reports every this many documents read
_HEAD_FIELDS = [name for name in Source.__dataclass_fields__ if name not in ("text", "title_vector")]
MAX_ID_BYTES = 512  # Elasticsearch refuses longer document ids: no document can have one
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VERSION = re.compile(r"-v(\d+)$")


def _day(value: Optional[str]) -> Optional[str]:
    """The ISO day at the start of `value`, or None when it does not start with one."""
    return value[:10] if value and _DAY.match(value[:10]) else None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def load_definition(kind: str) -> dict:
    """The settings and mappings of one kind of index, from indexes/<kind>.json."""
    with open(INDEXES_DIR / f"{kind}.json", encoding="utf-8") as handle:
        return json.load(handle)


def definition_hash(definition: dict) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]


def revision(source: Source) -> str:
    """Which content a source document and its passages were written from: a hash of text and metadata."""
    content = json.dumps([getattr(source, name) for name in SOURCE_CONTENT_FIELDS])
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def _rounded(value, dtype):
    """A vector at the precision the SQLite store keeps (float16, so that both stores compare claims alike), as
    an array of `dtype`; None for no vector or a zero one (a dense_vector field must not hold it)."""
    if value is None:
        return None
    import numpy as np

    values = np.asarray(value, dtype=np.float16).astype(dtype)
    return values if values.any() else None


def _vector(value) -> Optional[list[float]]:
    """A vector as a JSON list (a query's), or None."""
    values = _rounded(value, "float32")
    return None if values is None else values.tolist()


def _reason(body) -> Optional[str]:
    """Why Elasticsearch refused a request, from an error answer: the first root cause's reason ("all shards
    failed" names no cause)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        return error
    if not isinstance(error, dict):
        return None
    causes = error.get("root_cause") or []
    cause = causes[0] if causes and isinstance(causes[0], dict) else error.get("caused_by") or error
    return cause.get("reason") or error.get("reason") or error.get("type")


def _stored_vector(value) -> Optional[str]:
    """A vector as a document holds it: base64 of big-endian float32 (Elasticsearch's compact form of a
    dense_vector), kept as written in `_source` (indexes/*.json: exclude_source_vectors false), so that a hit's
    vector is read back as a ~2 KB string instead of being rebuilt from the index for every hit."""
    values = _rounded(value, ">f4")
    return None if values is None else base64.b64encode(values.tobytes()).decode("ascii")


def _unlist(values):
    """A stored vector back as float32 (None when there is none): from its base64 form, or from the list of
    floats Elasticsearch rebuilds for an index that leaves vectors out of `_source` (before `indexes migrate`)."""
    if not values:
        return None
    import numpy as np

    if isinstance(values, str):
        return np.frombuffer(base64.b64decode(values), dtype=">f4").astype(np.float32)
    return np.asarray(values, dtype=np.float32)


def text_chunks(text: str) -> dict[str, str]:
    """The text in pieces of TEXT_CHUNK characters keyed "0", "1", ...: a hit reads the few around its passage
    (by _source filtering) instead of the whole text, which stays in `text` for everything else."""
    return {str(number): text[at:at + TEXT_CHUNK] for number, at in enumerate(range(0, len(text), TEXT_CHUNK))}


def _compact(doc: dict, field: str, **extra) -> dict:
    """A stored document with its vector field in the compact form (left out when there is none)."""
    out = {**doc, **extra}
    vector = _stored_vector(_unlist(out.pop(field, None)))
    if vector:
        out[field] = vector
    return out


def _chunk_numbers(low: int, high: int) -> list[int]:
    """The numbers of the text pieces that hold characters low to high."""
    return list(range(low // TEXT_CHUNK, max(low, high - 1) // TEXT_CHUNK + 1))


def source_doc(source: Source) -> dict:
    doc = {**source.to_dict(), "published_day": _day(source.published_at), "revision": revision(source),
           "text_chunks": text_chunks(source.text or "")}
    title_vector = _stored_vector(source.title_vector)
    if title_vector:
        doc["title_vector"] = title_vector
    return doc


def passage_key(passage: Passage, source_revision: str) -> str:
    """The document id of a passage: one per revision, so two revisions can sit side by side until the switch."""
    return f"{passage.id}@{source_revision}"


def _storable_id(value: str) -> bool:
    return isinstance(value, str) and 0 < len(value.encode("utf-8", "surrogatepass")) <= MAX_ID_BYTES


def passage_doc(passage: Passage, source: Source) -> dict:
    """The indexed form of a passage: flattened keys for filters and boosts, the passage itself under `doc`."""
    spans = sorted((d.range_start[:10], d.range_end[:10]) for d in passage.dates
                   if d.type != "duration" and _day(d.range_start) and _day(d.range_end)
                   and d.range_start[:10] <= d.range_end[:10])
    return {
        "id": passage.id,
        "source_id": passage.source_id,
        "index": passage.index,
        "text": passage.text,
        "terms": index_terms(passage.text),
        "source_revision": revision(source),
        "start": passage.start,
        "end": passage.end,
        "publisher": source.publisher,
        "published_at": source.published_at,
        "published_day": _day(source.published_at),
        "is_claim": bool(passage.is_claim),
        "claim_score": float(passage.claim_score or 0.0),
        "speaker": passage.speaker,
        "entity_keys": sorted({e.key for e in passage.entities if e.key}),
        "entity_labels": sorted({e.label for e in passage.entities if e.label}),
        "number_units": sorted({n.unit for n in passage.numbers if n.unit}),
        "number_kinds": sorted({n.kind for n in passage.numbers if n.kind}),
        "date_values": sorted({d.value for d in passage.dates if d.value}),
        "date_starts": [start for start, _ in spans],
        "date_ends": [end for _, end in spans],
        "date_range": [{"gte": start, "lte": end} for start, end in spans],
        "first_date": spans[0][0] if spans else None,
        "doc": passage.to_dict(),
        **({"vector": vector} if (vector := _stored_vector(passage.vector)) else {}),
    }


def _overlap(date_from: Optional[str], date_to: Optional[str], boost: Optional[float] = None) -> dict:
    bounds: dict[str, Any] = {"relation": "intersects"}
    if date_from:
        bounds["gte"] = date_from[:10]
    if date_to:
        bounds["lte"] = date_to[:10]
    if boost is not None:
        bounds["boost"] = boost
    return {"range": {"date_range": bounds}}


def _revision_filter(source_revision: Optional[str]) -> dict:
    """Passages of that revision (None: written before sources had revisions, and carrying none)."""
    if source_revision is None:
        return {"bool": {"must_not": {"exists": {"field": "source_revision"}}}}
    return {"term": {"source_revision": source_revision}}


def _as_of_filter(as_of: str) -> dict:
    """Published on or before `as_of`, or with no publication date at all."""
    return {"bool": {"should": [{"range": {"published_day": {"lte": as_of[:10]}}},
                                {"bool": {"must_not": {"exists": {"field": "published_day"}}}}],
                     "minimum_should_match": 1}}


class ElasticStore:
    """Store protocol on Elasticsearch; `refresh="wait_for"` makes every write visible to the next search."""

    def __init__(self, url: str, prefix: str = "factcheck", refresh: bool | str = False, *,
                 request_timeout: float = 10.0, max_retries: int = 3, initial_backoff: float = 0.5,
                 shards: int | dict | None = None, replicas: int | dict | None = None):
        """`url`: one node, or several nodes of a cluster comma-separated (requests go round them; one that does
        not answer is skipped for a while and the request retried on another). `shards`/`replicas`: a count
        for every index or {kind: count} ({"*": n} for the rest), overriding indexes/*.json."""
        self.url = url
        self.prefix = prefix
        self.refresh = refresh
        self.max_retries = max_retries
        self.initial_backoff = initial_backoff
        self.shards = self._counts("shards", shards)
        self.replicas = self._counts("replicas", replicas)
        hosts = [part.strip() for part in url.split(",") if part.strip()] if isinstance(url, str) else list(url)
        if not hosts:
            raise StoreError("no Elasticsearch URL given")
        shown = []
        for host in hosts:
            parts = urlsplit(host)
            shown.append(f"{parts.scheme}://{parts.hostname}:{parts.port}" if parts.hostname else host)
        self._display_url = ",".join(shown)
        # orjson reads a check's answers (60 passages with their 384-float vectors and text windows) ~5x faster
        # than the standard library: ~12 ms less CPU per check.
        self.es = Elasticsearch(hosts, request_timeout=request_timeout, max_retries=max_retries,
                                retry_on_timeout=True, retry_on_status=UNAVAILABLE_STATUSES,
                                serializer=OrjsonSerializer())
        self._ready = False

    # -- plumbing ----------------------------------------------------------------------------------------
    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Translate the client's exceptions into the store's, with a plain message."""
        try:
            yield
        except StoreError:
            raise
        except EsConnectionTimeout as exc:
            raise StoreUnavailable(f"Elasticsearch at {self._display_url} timed out while trying to {action}") \
                from exc
        except EsConnectionError as exc:
            raise StoreUnavailable(f"cannot connect to Elasticsearch at {self._display_url} to {action}") from exc
        except ApiError as exc:
            raise self._refusal(action, exc.meta.status, _reason(exc.body) or exc.message) from exc
        except SerializationError as exc:
            raise StoreError(f"could not {action}: {exc}") from exc
        except TransportError as exc:
            raise StoreUnavailable(f"Elasticsearch at {self._display_url} failed to {action}: {exc}") from exc

    def _refusal(self, action: str, status: int, reason: str) -> StoreError:
        """The store's exception for an error answer: StoreUnavailable for an overloaded or unreachable node,
        StoreError with the reason otherwise."""
        if status in UNAVAILABLE_STATUSES:
            return StoreUnavailable(f"Elasticsearch at {self._display_url} is overloaded or unavailable "
                                    f"(HTTP {status}) while trying to {action}")
        return StoreError(f"Elasticsearch refused to {action}: HTTP {status} {reason}")

    def alias(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    def _ensure(self) -> None:
        if not self._ready:
            self.ensure_indexes()

    def wait_until_ready(self, timeout: str = "30s") -> dict:
        """Cluster health once it is at least yellow (the minimal node answers no GET /)."""
        with self._errors("read the cluster health"):
            health = self.es.cluster.health(wait_for_status="yellow", timeout=timeout).body
        if health.get("timed_out"):
            raise StoreUnavailable(f"Elasticsearch at {self._display_url} is not ready: {health.get('status')}")
        return health

    # -- index management (used by factcheck.indexes_cli) ------------------------------------------------
    @staticmethod
    def _counts(what: str, value: int | dict | None) -> dict[str, int]:
        counts = dict(value) if isinstance(value, dict) else ({} if value is None else {"*": value})
        unknown = sorted(set(counts) - {"*", *KINDS})
        if unknown:
            raise StoreError(f"{what} given for unknown indexes {unknown}; the kinds are {', '.join(KINDS)}")
        for kind, count in counts.items():
            if not isinstance(count, int) or count < (1 if what == "shards" else 0):
                raise StoreError(f"{what} of {kind}: {count!r} is not a valid count")
        return counts

    def index_settings(self, kind: str) -> dict:
        """The settings an index of this kind is created with: indexes/<kind>.json, then the configured shards
        and replicas (a configured replica count replaces the definition's auto-expanding one)."""
        settings = dict(load_definition(kind).get("settings", {}))
        shards = self.shards.get(kind, self.shards.get("*"))
        if shards is not None:
            settings["number_of_shards"] = shards
        replicas = self.replicas.get(kind, self.replicas.get("*"))
        if replicas is not None:
            settings["number_of_replicas"] = replicas
            settings.pop("auto_expand_replicas", None)
        return settings

    def _apply_replicas(self, kind: str) -> None:
        """A configured replica count is applied to an existing index too (replicas can change in place)."""
        replicas = self.replicas.get(kind, self.replicas.get("*"))
        if replicas is None:
            return
        current = self.es.indices.get_settings(index=self.alias(kind), name="index.number_of_replicas,"
                                               "index.auto_expand_replicas", flat_settings=True).body
        for index, body in current.items():
            have = body.get("settings", {})
            if have.get("index.number_of_replicas") != str(replicas) or \
                    have.get("index.auto_expand_replicas", "false") != "false":
                self.es.indices.put_settings(index=index, settings={"index.number_of_replicas": replicas,
                                                                    "index.auto_expand_replicas": "false"})

    def _create_index(self, kind: str, name: str, with_alias: bool) -> None:
        definition = load_definition(kind)
        mappings = dict(definition.get("mappings", {}))
        mappings["_meta"] = {**mappings.get("_meta", {}), "factcheck_definition": definition_hash(definition)}
        body: dict[str, Any] = {"settings": self.index_settings(kind), "mappings": mappings}
        if with_alias:
            body["aliases"] = {self.alias(kind): {}}
        try:
            self.es.indices.create(index=name, **body)
        except ApiError as exc:
            if exc.meta.status == 400 and "resource_already_exists" in str(exc.error):
                return  # another process created it first
            raise

    def ensure_indexes(self) -> dict:
        """Create each missing index (`{prefix}-{kind}-v1` behind alias `{prefix}-{kind}`); say which were made."""
        created = {}
        with self._errors("create the indexes"):
            for kind in KINDS:
                alias = self.alias(kind)
                if self.es.indices.exists_alias(name=alias):
                    created[kind] = False
                    self._add_missing_fields(kind)
                    self._apply_replicas(kind)
                    continue
                if self.es.indices.exists(index=alias):
                    raise StoreError(f"{alias} is an index, not an alias; move it aside before using this prefix")
                self._create_index(kind, f"{alias}-v1", with_alias=True)
                created[kind] = True
        self._ready = True
        return created

    def _add_missing_fields(self, kind: str) -> None:
        """Fields added to indexes/<kind>.json since the index was made are added to its mapping in place (an
        additive change needs no migration); `indexes status` still reports the index as not current."""
        wanted = load_definition(kind).get("mappings", {}).get("properties", {})
        mappings = self.es.indices.get_mapping(index=self.alias(kind)).body
        for index, body in mappings.items():
            have = body.get("mappings", {}).get("properties", {})
            missing = {name: spec for name, spec in wanted.items() if name not in have}
            if missing:
                self.es.indices.put_mapping(index=index, properties=missing)

    def _concrete(self, kind: str) -> str:
        names = sorted(self.es.indices.get_alias(name=self.alias(kind)).body)
        if len(names) != 1:
            raise StoreError(f"alias {self.alias(kind)} points at {len(names)} indexes: {names}")
        return names[0]

    def index_status(self) -> dict:
        """Per kind: alias, concrete index, documents, and whether its definition matches indexes/<kind>.json."""
        self._ensure()
        status = {}
        with self._errors("read the index status"):
            for kind in KINDS:
                index = self._concrete(kind)
                meta = self.es.indices.get_mapping(index=index).body[index]["mappings"].get("_meta", {})
                settings = self.es.indices.get_settings(index=index, flat_settings=True).body[index]["settings"]
                status[kind] = {
                    "alias": self.alias(kind), "index": index,
                    "docs": self.es.count(index=index).body["count"],
                    "shards": int(settings.get("index.number_of_shards", 1)),
                    "replicas": int(settings.get("index.number_of_replicas", 0)),
                    "current": meta.get("factcheck_definition") == definition_hash(load_definition(kind)),
                }
        return status

    def migrate_indexes(self, progress=None) -> dict:
        """Copy every kind into `-v{n+1}` built from indexes/*.json, move the aliases at once, drop the old.

        Passages are rebuilt from the stored passages and their sources (orphans are dropped). Writes made while
        it runs may be lost: run it with ingestion stopped. `progress(kind, read, total)` is called every
        COPY_PROGRESS documents read and when a kind is done.
        """
        self._ensure()
        with self._errors("migrate the indexes"):
            old = {kind: self._concrete(kind) for kind in KINDS}
            new = {}
            for kind, name in old.items():
                match = _VERSION.search(name)
                version = int(match.group(1)) if match else 0
                new[kind] = f"{self.alias(kind)}-v{version + 1}"
                if self.es.indices.exists(index=new[kind]):
                    self.es.indices.delete(index=new[kind])  # left over from an interrupted migration
                self._create_index(kind, new[kind], with_alias=False)
            light_sources: dict[str, tuple[Source, Optional[str]]] = {}
            for hit in helpers.scan(self.es, index=old["sources"], query={"query": {"match_all": {}}},
                                    source_excludes=["text", "text_chunks"]):
                light_sources[hit["_id"]] = (Source.from_dict({**hit["_source"], "text": ""}),
                                             hit["_source"].get("revision"))
            # Sources stored before text_chunks existed get theirs (hits read their text from them); vectors are
            # written in their compact form (read back as lists from an index that left them out of _source).
            self._copy(old["sources"], new["sources"],
                       lambda hit: _compact(hit["_source"], "title_vector",
                                            text_chunks=text_chunks(hit["_source"].get("text") or "")),
                       progress and partial(progress, "sources"))
            self._copy(old["checks"], new["checks"], lambda hit: _compact(hit["_source"], "claim_vector"),
                       progress and partial(progress, "checks"))
            for kind in KINDS:
                if kind not in ("passages", "sources", "checks"):
                    self._copy(old[kind], new[kind], lambda hit: hit["_source"], progress and partial(progress, kind))

            def rebuilt(hit: dict) -> Optional[dict]:
                """The passage in the new definition; orphans and passages of a replaced revision are dropped."""
                source, stored_revision = light_sources.get(hit["_source"].get("source_id"), (None, None))
                if source is None or "doc" not in hit["_source"] \
                        or hit["_source"].get("source_revision") != stored_revision:
                    return None
                passage = Passage.from_dict(hit["_source"]["doc"])
                passage.vector = _unlist(hit["_source"].get("vector"))
                doc = passage_doc(passage, source)
                doc["source_revision"] = stored_revision  # None for passages written before revisions existed
                return doc

            self._copy(old["passages"], new["passages"], rebuilt, progress and partial(progress, "passages"))
            self.es.indices.refresh(index=",".join(new.values()))
            actions = []
            for kind in KINDS:
                actions.append({"remove": {"index": old[kind], "alias": self.alias(kind)}})
                actions.append({"add": {"index": new[kind], "alias": self.alias(kind)}})
            self.es.indices.update_aliases(actions=actions)
            self.es.indices.delete(index=",".join(old.values()))
        return {kind: {"from": old[kind], "to": new[kind]} for kind in KINDS}

    def _copy(self, source_index: str, target_index: str, transform, progress=None) -> None:
        """Every document of one index into another through `transform` (None leaves it out), streamed;
        `progress(read, total)` every COPY_PROGRESS documents read and at the end."""
        total = self.es.count(index=source_index)["count"] if progress else 0
        read = 0

        def actions():
            nonlocal read
            for hit in helpers.scan(self.es, index=source_index,
                                    query={"query": {"match_all": {}}, "_source": {"exclude_vectors": False}}):
                read += 1
                if progress and read % COPY_PROGRESS == 0:
                    progress(read, total)
                doc = transform(hit)
                if doc is not None:
                    yield {"_op_type": "index", "_index": target_index, "_id": hit["_id"], "_source": doc}

        for ok, item in helpers.streaming_bulk(self.es, actions(), max_retries=self.max_retries,
                                               initial_backoff=self.initial_backoff, raise_on_error=False):
            if not ok:
                raise StoreError(f"could not copy into {target_index}: {item}")
        if progress:
            progress(read, total)

    # -- sources -----------------------------------------------------------------------------------------
    def add_source(self, source: Source, passages: list[Passage]) -> bool:
        self._ensure()
        if self.has_source(source.id):
            return False
        source.ingested_at = source.ingested_at or _now()
        source.version = 1
        keys = self._write_passages(source, passages)
        write_id = uuid.uuid4().hex
        try:
            with self._errors(f"store the source {source.id}"):
                self.es.create(index=self.alias("sources"), id=source.id,
                               document={**source_doc(source), "write_id": write_id}, refresh=self.refresh)
        except StoreError as exc:
            if isinstance(exc.__cause__, ConflictError):  # stored meanwhile by another writer
                if self._our_create(source.id, write_id):
                    return True
                self._drop_unless_current(source, keys)
                return False
            raise  # the passages stay, invisible without their source document; a re-run writes them again
        return True

    def add_sources(self, batch: list[tuple[Source, list[Passage]]]) -> list:
        """`add_source` for several sources in three round trips in all instead of three each: one mget for
        which ids exist, one bulk of all their passages, one bulk creating the source documents (a source is
        visible once its document is there, so a writer killed in between leaves only invisible passages that
        a re-run writes again). One refresh at the end when the store refreshes on writes. Per source: True,
        False (the id exists; nothing of it is left behind) or the StoreError that failed it alone; an
        unavailable node fails the whole call (StoreUnavailable)."""
        self._ensure()
        results: list = [None] * len(batch)
        with self._errors("look up sources"):
            ids = list(dict.fromkeys(source.id for source, _ in batch))
            docs = self.es.mget(index=self.alias("sources"), ids=ids, source=False)["docs"] if ids else []
        existing = {d["_id"] for d in docs if d.get("found")}
        todo = []
        for position, (source, _passages) in enumerate(batch):
            if source.id in existing:
                results[position] = False
                continue
            source.ingested_at = source.ingested_at or _now()
            source.version = 1
            todo.append(position)
        index = self.alias("passages")
        keys: dict[int, list[str]] = {}
        owners: list[int] = []
        actions = []
        for position in todo:
            source, passages = batch[position]
            source_revision = revision(source)
            keys[position] = [passage_key(p, source_revision) for p in passages]
            for key, passage in zip(keys[position], passages):
                owners.append(position)
                actions.append({"_op_type": "index", "_index": index, "_id": key,
                                "_source": passage_doc(passage, source)})
        failures: dict[int, list[dict]] = {}
        with self._errors(f"store the passages of {len(todo)} sources"):
            for owner, (ok, item) in zip(owners, helpers.streaming_bulk(
                    self.es, actions, chunk_size=500, max_retries=self.max_retries,
                    initial_backoff=self.initial_backoff, max_backoff=30, raise_on_error=False)):
                if not ok:
                    failures.setdefault(owner, []).append(item.get("index", item))
        for position, failed in failures.items():
            source = batch[position][0]
            self._delete_passages(keys[position])
            message = (f"{len(failed)} of {len(keys[position])} passages of {source.id} were not stored: "
                       f"{failed[0].get('error')}")
            statuses = {f.get("status") for f in failed}
            results[position] = StoreUnavailable(message) if statuses <= set(UNAVAILABLE_STATUSES) \
                else StoreError(message)
        creates = [position for position in todo if results[position] is None]
        write_ids = {position: uuid.uuid4().hex for position in creates}
        actions = [{"_op_type": "create", "_index": self.alias("sources"), "_id": batch[position][0].id,
                    "_source": {**source_doc(batch[position][0]), "write_id": write_ids[position]}}
                   for position in creates]
        created: set[str] = set()  # ids this batch created already: a second one with the same id lost
        with self._errors(f"store {len(creates)} sources"):
            for position, (ok, item) in zip(creates, helpers.streaming_bulk(
                    self.es, actions, chunk_size=100, max_retries=self.max_retries,
                    initial_backoff=self.initial_backoff, max_backoff=30, raise_on_error=False)):
                source = batch[position][0]
                info = item.get("create", item)
                if ok:
                    results[position] = True
                    created.add(source.id)
                elif info.get("status") == 409:  # stored meanwhile by another writer (or earlier in the batch)
                    if source.id not in created and self._our_create(source.id, write_ids[position]):
                        results[position] = True
                        created.add(source.id)
                    else:
                        self._drop_unless_current(source, keys[position])
                        results[position] = False
                elif info.get("status") in UNAVAILABLE_STATUSES:
                    results[position] = StoreUnavailable(f"could not store the source {source.id}: "
                                                         f"{info.get('error')}")
                else:  # the passages stay, invisible without their source document; a re-run writes them again
                    results[position] = StoreError(f"Elasticsearch refused to store the source {source.id}: "
                                                   f"{info.get('error')}")
        if self.refresh and todo:
            with self._errors("refresh the indexes"):
                self.es.indices.refresh(index=f"{self.alias('passages')},{self.alias('sources')}")
        return results

    def replace_source(self, source: Source, passages: list[Passage], expected_version: int) -> bool:
        self._ensure()
        if not _storable_id(source.id):
            raise NotFound(f"no source {source.id[:100]}")
        with self._errors(f"read source {source.id}"):
            try:
                current = self.es.get(index=self.alias("sources"), id=source.id, source_excludes=["text_chunks"])
            except NotFoundError:
                raise NotFound(f"no source {source.id}") from None
        stored = Source.from_dict(current["_source"])
        if stored.version != expected_version:
            return False
        source.version = expected_version + 1
        source.ingested_at = _now()
        with self._errors(f"keep version {stored.version} of {source.id}"):
            self.es.index(index=self.alias("source_versions"), id=f"{source.id}@{stored.version}",
                          document={"id": source.id, "version": stored.version, "superseded_at": source.ingested_at,
                                    "doc": stored.to_dict()}, refresh=self.refresh)
        keys = self._write_passages(source, passages)
        try:
            with self._errors(f"store version {source.version} of {source.id}"):
                # the switch: only if nobody replaced the document since we read it. The document says that
                # passages of the old revision are left to delete, so that a writer killed before deleting them
                # has it done by the next one to look (source_head).
                switched = self.es.index(index=current["_index"], id=source.id,
                                         document={**source_doc(source), "stale_passages": True},
                                         if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"],
                                         refresh=self.refresh)
        except StoreError as exc:
            if isinstance(exc.__cause__, ConflictError):
                source.version = expected_version
                self._drop_unless_current(source, keys)
                return False
            raise  # maybe switched, maybe not: either way readers see one whole revision; a re-run completes it
        self._finish_replace(source.id, revision(source), switched["_index"], switched["_seq_no"],
                             switched["_primary_term"])
        return True

    def _finish_replace(self, source_id: str, current_revision: str, index: str, seq_no: int,
                        primary_term: int) -> None:
        """Delete the passages of replaced revisions, then clear the document's note that some are left (unless
        another writer changed the document meanwhile: its own note stands)."""
        if not self._delete_stale_passages(source_id, current_revision):
            return
        try:
            self.es.update(index=index, id=source_id, doc={"stale_passages": False}, if_seq_no=seq_no,
                           if_primary_term=primary_term, refresh=self.refresh)
        except Exception:  # noqa: BLE001 - the note stays; the next writer to look finishes the clean-up
            pass

    def _write_passages(self, source: Source, passages: list[Passage]) -> list[str]:
        """Index the passages of this revision of `source`; on a failure delete what was written and raise."""
        index = self.alias("passages")
        source_revision = revision(source)
        keys = [passage_key(p, source_revision) for p in passages]
        actions = ({"_op_type": "index", "_index": index, "_id": key, "_source": passage_doc(p, source)}
                   for key, p in zip(keys, passages))
        failures = []
        with self._errors(f"store the passages of {source.id}"):
            for ok, item in helpers.streaming_bulk(
                    self.es, actions, chunk_size=500, max_retries=self.max_retries,
                    initial_backoff=self.initial_backoff, max_backoff=30, raise_on_error=False,
                    refresh=self.refresh):
                if not ok:
                    failures.append(item.get("index", item))
        if failures:
            self._delete_passages(keys)
            statuses = {f.get("status") for f in failures}
            message = (f"{len(failures)} of {len(keys)} passages of {source.id} were not stored: "
                       f"{failures[0].get('error')}")
            if statuses <= set(UNAVAILABLE_STATUSES):
                raise StoreUnavailable(message)
            raise StoreError(message)
        return keys

    def _our_create(self, source_id: str, write_id: str) -> bool:
        """After a create answered 409: whether the stored document is the one this call wrote (its write_id, a
        random token per create), i.e. the create was applied but its answer lost (a node died) and the client
        retried it on another node. Then the source was added by this call, and is reported so."""
        head = self._source_document(source_id, ["write_id"])
        return head is not None and head.get("write_id") == write_id

    def _drop_unless_current(self, source: Source, keys: list[str]) -> None:
        """After losing a race: delete the passages written, unless the winner stored the same revision (then
        they are the winner's too)."""
        head = self._source_document(source.id, ["revision"])
        if head is None or head.get("revision") != revision(source):
            self._delete_passages(keys)

    def _delete_passages(self, ids: list[str]) -> None:
        """Best effort: remove passages that no source document points at (the node may be down)."""
        if not ids:
            return
        actions = ({"_op_type": "delete", "_index": self.alias("passages"), "_id": pid} for pid in ids)
        try:
            for _ in helpers.streaming_bulk(self.es, actions, raise_on_error=False, refresh=self.refresh):
                pass
        except Exception:  # noqa: BLE001 - the original error is the one worth raising
            pass

    def _delete_stale_passages(self, source_id: str, current_revision: str) -> bool:
        """Best effort: remove the passages of earlier revisions (invisible already; this frees space and keeps
        the index equal to one written without interruption). True when they are all gone."""
        query = {"query": {"bool": {"filter": [{"term": {"source_id": source_id}}],
                                    "must_not": [{"term": {"source_revision": current_revision}}]}}}
        try:
            if not self.refresh:  # passages written a moment ago are not searchable until a refresh
                self.es.indices.refresh(index=self.alias("passages"))
            stale = [hit["_id"] for hit in helpers.scan(self.es, index=self.alias("passages"), query=query,
                                                        source=False)]
            actions = ({"_op_type": "delete", "_index": self.alias("passages"), "_id": pid} for pid in stale)
            for ok, item in helpers.streaming_bulk(self.es, actions, raise_on_error=False, refresh=self.refresh):
                if not ok and item.get("delete", {}).get("status") != 404:
                    return False
        except Exception:  # noqa: BLE001 - the new revision is stored and visible; leftovers stay invisible
            return False
        return True

    def _source_document(self, source_id: str, fields: Optional[list[str]] = None,
                         excludes: Optional[list[str]] = None) -> Optional[dict]:
        """The stored source document (or some of its fields), or None."""
        if not _storable_id(source_id):
            return None
        with self._errors(f"read source {source_id}"):
            try:
                return self.es.get(index=self.alias("sources"), id=source_id, source_includes=fields,
                                   source_excludes=excludes)["_source"]
            except NotFoundError:
                return None

    def has_source(self, source_id: str) -> bool:
        self._ensure()
        if not _storable_id(source_id):
            return False
        with self._errors(f"look up source {source_id}"):
            return bool(self.es.exists(index=self.alias("sources"), id=source_id))

    def get_source(self, source_id: str) -> Optional[Source]:
        self._ensure()
        doc = self._source_document(source_id, excludes=["text_chunks"])
        return Source.from_dict(doc) if doc is not None else None

    def source_head(self, source_id: str) -> Optional[Source]:
        """Also finishes the clean-up of a replace whose writer died after the switch (writers call this)."""
        self._ensure()
        if not _storable_id(source_id):
            return None
        with self._errors(f"read source {source_id}"):
            try:
                found = self.es.get(index=self.alias("sources"), id=source_id,
                                    source_excludes=["text", "text_chunks"])
            except NotFoundError:
                return None
        doc = found["_source"]
        if doc.get("stale_passages") and doc.get("revision"):
            self._finish_replace(source_id, doc["revision"], found["_index"], found["_seq_no"],
                                 found["_primary_term"])
        return Source.from_dict({**doc, "text": ""})

    def source_heads(self, source_ids: list[str]) -> dict[str, Optional[Source]]:
        """`source_head` of several sources in one mget (None for absent ones)."""
        self._ensure()
        heads: dict[str, Optional[Source]] = {source_id: None for source_id in source_ids}
        ids = [source_id for source_id in heads if _storable_id(source_id)]
        if not ids:
            return heads
        with self._errors("read sources"):
            docs = self.es.mget(index=self.alias("sources"), ids=ids, source_excludes=["text", "text_chunks"])["docs"]
        for found in docs:
            if not found.get("found"):
                continue
            doc = found["_source"]
            if doc.get("stale_passages") and doc.get("revision"):
                self._finish_replace(found["_id"], doc["revision"], found["_index"], found["_seq_no"],
                                     found["_primary_term"])
            heads[found["_id"]] = Source.from_dict({**doc, "text": ""})
        return heads

    def source_versions(self, source_id: str) -> list[Source]:
        current = self.get_source(source_id)
        if current is None:
            return []
        with self._errors(f"read the versions of {source_id}"):
            hits = self.es.search(index=self.alias("source_versions"), query={"term": {"id": source_id}},
                                  sort=[{"version": "desc"}], size=MAX_WINDOW)["hits"]["hits"]
        return [current] + [Source.from_dict(h["_source"]["doc"]) for h in hits]

    def get_passages(self, source_id: str) -> list[Passage]:
        self._ensure()
        head = self._source_document(source_id, ["revision"])
        if head is None:
            return []  # passages of an add_source that never completed
        query = {"bool": {"filter": [{"term": {"source_id": source_id}}, _revision_filter(head.get("revision"))]}}
        return [Passage.from_dict(h["_source"]["doc"])
                for h in self._search_after(self.alias("passages"), query, [{"index": "asc"}], ["doc"])]

    def _search_after(self, index: str, query: dict, sort: list, fields: list[str]) -> Iterator[dict]:
        """Every hit of `query` in `sort` order (the sort must be unique), page by page."""
        after = None
        while True:
            with self._errors(f"search {index}"):
                hits = self.es.search(index=index, query=query, sort=sort, size=1000, source=fields,
                                      search_after=after)["hits"]["hits"]
            yield from hits
            if len(hits) < 1000:
                return
            after = hits[-1]["sort"]

    def list_sources(self, *, query: Optional[str] = None, publisher: Optional[str] = None,
                     published_from: Optional[str] = None, published_to: Optional[str] = None,
                     limit: int = 50, offset: int = 0, after: Optional[Position] = None) -> list[Source]:
        self._ensure()
        filters: list[dict] = []
        if query:
            filters.append({"multi_match": {"query": query, "fields": ["title.content", "text.content"],
                                            "operator": "or", "zero_terms_query": "all"}})
        if publisher:
            filters.append({"term": {"publisher": publisher}})
        if published_from and published_to and published_from[:10] > published_to[:10]:
            return []
        if published_from or published_to:
            bounds = {}
            if published_from:
                bounds["gte"] = published_from[:10]
            if published_to:
                bounds["lte"] = published_to[:10]
            filters.append({"range": {"published_day": bounds}})
        page = self._page(int(limit), int(offset), after)
        if page is None:
            return []
        with self._errors("list sources"):
            hits = self.es.search(index=self.alias("sources"), query={"bool": {"filter": filters}},
                                  sort=[{"published_day": {"order": "desc", "missing": millis(UNDATED_DAY)}},
                                        {"id": "asc"}],
                                  source_excludes=["revision", "text_chunks"], **page)["hits"]["hits"]
        return [Source.from_dict(h["_source"]) for h in hits]

    @staticmethod
    def _page(limit: int, offset: int, after: Optional[Position]) -> Optional[dict]:
        """from/size for the first 10,000 hits, search_after (the sort values of a position) at any depth;
        None when the page is past what can be served."""
        if after is not None:
            return {"size": min(limit, MAX_WINDOW), "search_after": [int(after[0]), after[1]]}
        size = max(0, min(limit, MAX_WINDOW - offset))
        return {"from_": offset, "size": size} if size and offset <= MAX_OFFSET else None

    # -- retrieval ---------------------------------------------------------------------------------------
    _HIT_SOURCE = ["doc", "source_id", "source_revision", "vector"]

    def _search_body(self, text: str, entities: Iterable[str], date_from: Optional[str], date_to: Optional[str],
                     as_of: Optional[str], publisher: Optional[str], limit: int) -> Optional[dict]:
        """The full-text search of `search` as a request body; None when nothing can match."""
        text = (text or "").strip()
        keys = sorted({k for k in entities if k})
        if (not text and not keys) or limit <= 0:
            return None
        # A passage qualifies by one of the claim's indexed terms (textutil.index_terms: the same stemmed words
        # the SQLite store matches) or by a shared entity; entities and an overlapping date add to the score.
        # Constant scores for names and dates, as the SQLite store adds them, so both rank alike.
        qualifies: list[dict] = [{"constant_score": {"filter": {"term": {"entity_keys": key}}, "boost": 1.5}}
                                 for key in keys]
        boosts: list[dict] = []
        terms = index_terms(text)
        if not terms and not keys:
            return None
        if terms:
            qualifies.append({"match": {"terms": {"query": terms, "operator": "or"}}})
        if (date_from or date_to) and not (date_from and date_to and date_from[:10] > date_to[:10]):
            boosts.append(_overlap(date_from, date_to, boost=1.0))
        query = {"bool": {"must": [{"bool": {"should": qualifies, "minimum_should_match": 1}}],
                          "should": boosts, "filter": self._filters(as_of, publisher)}}
        return {"query": query, "size": min(int(limit), MAX_WINDOW), "_source": self._HIT_SOURCE}

    def _knn_body(self, vector, as_of: Optional[str], publisher: Optional[str], limit: int) -> Optional[dict]:
        """The vector search of `nearest` as a request body; None without a vector."""
        query_vector = _vector(vector)
        if query_vector is None or limit <= 0:
            return None
        # Passages of a superseded revision are dropped by _hits: ask for a few more.
        knn = {"field": "vector", "query_vector": query_vector, "k": int(limit) + 10,
               "num_candidates": max(100, 5 * int(limit))}
        filters = self._filters(as_of, publisher)
        if filters:
            knn["filter"] = filters
        return {"knn": knn, "size": int(limit) + 10, "_source": self._HIT_SOURCE}

    @staticmethod
    def _filters(as_of: Optional[str], publisher: Optional[str]) -> list[dict]:
        filters: list[dict] = []
        if publisher:
            filters.append({"term": {"publisher": publisher}})
        if as_of:
            filters.append(_as_of_filter(as_of))
        return filters

    @staticmethod
    def _cosines(hits: list[dict]) -> list[dict]:
        """Elasticsearch scores cosine kNN as (1 + cosine) / 2: give the cosine, as the SQLite store does."""
        for hit in hits:
            hit["_score"] = 2.0 * float(hit.get("_score") or 0.0) - 1.0
        return hits

    def search(self, text: str, *, entities: Iterable[str] = (), date_from: Optional[str] = None,
               date_to: Optional[str] = None, as_of: Optional[str] = None, publisher: Optional[str] = None,
               limit: int = 50) -> list[Hit]:
        self._ensure()
        body = self._search_body(text, entities, date_from, date_to, as_of, publisher, limit)
        if body is None:
            return []
        with self._errors("search passages"):
            hits = self.es.search(index=self.alias("passages"), query=body["query"], size=body["size"],
                                  source=body["_source"])["hits"]["hits"]
        return self._hits(hits)

    def nearest(self, vector, *, as_of: Optional[str] = None, publisher: Optional[str] = None,
                limit: int = 20) -> list[Hit]:
        self._ensure()
        body = self._knn_body(vector, as_of, publisher, limit)
        if body is None:
            return []
        with self._errors("search passages by vector"):
            hits = self.es.search(index=self.alias("passages"), knn=body["knn"], size=body["size"],
                                  source=body["_source"])["hits"]["hits"]
        return self._hits(self._cosines(hits))[: int(limit)]

    def candidates(self, text: str, vector, *, entities: Iterable[str] = (), date_from: Optional[str] = None,
                   date_to: Optional[str] = None, as_of: Optional[str] = None, limit: int = 50,
                   nearest_limit: int = 20) -> tuple[list[Hit], list[Hit]]:
        """Both queries in one request (the node runs them side by side) and their sources read once."""
        self._ensure()
        bodies = [self._search_body(text, entities, date_from, date_to, as_of, None, limit),
                  self._knn_body(vector, as_of, None, nearest_limit)]
        asked = [body for body in bodies if body is not None]
        if not asked:
            return [], []
        with self._errors("search passages"):
            responses = self.es.msearch(index=self.alias("passages"),
                                        searches=[part for body in asked for part in ({}, body)])["responses"]
        for response in responses:  # each part answers on its own: a refused one is in the answer, not raised
            if "error" in response:
                raise self._refusal("search passages", response.get("status") or 500,
                                    _reason(response) or "refused")
        found = iter(responses)
        text_hits = next(found)["hits"]["hits"] if bodies[0] is not None else []
        vector_hits = self._cosines(next(found)["hits"]["hits"]) if bodies[1] is not None else []
        hits = self._hit_list(text_hits + vector_hits)
        return ([h for h in hits[:len(text_hits)] if h is not None],
                [h for h in hits[len(text_hits):] if h is not None][: int(nearest_limit)])

    def timeline(self, *, query: Optional[str] = None, entity: Optional[str] = None,
                 date_from: Optional[str] = None, date_to: Optional[str] = None,
                 as_of: Optional[str] = None, limit: int = 200) -> list[Hit]:
        self._ensure()
        if limit <= 0 or (date_from and date_to and date_from[:10] > date_to[:10]):
            return []  # an empty range (Elasticsearch refuses one with HTTP 400)
        filters: list[dict] = [{"exists": {"field": "first_date"}}]
        if query and index_terms(query):
            filters.append({"match": {"terms": {"query": index_terms(query), "operator": "or"}}})
        if entity:
            filters.append({"term": {"entity_keys": entity}})
        if date_from or date_to:
            filters.append(_overlap(date_from, date_to))
        if as_of:
            filters.append(_as_of_filter(as_of))
        with self._errors("read the timeline"):
            hits = self.es.search(index=self.alias("passages"), query={"bool": {"filter": filters}},
                                  sort=[{"first_date": "asc"}, {"source_id": "asc"}, {"index": "asc"}],
                                  size=min(int(limit), MAX_WINDOW),
                                  source=["doc", "source_id", "source_revision", "vector"])["hits"]["hits"]
        return self._hits(hits)

    def _hits(self, hits: list[dict]) -> list[Hit]:
        """Hits with their sources, each with the window of its source's text around the passage (base.Hit);
        passages whose source is not stored (an unfinished add) or that belong to another revision of it (an
        unfinished or superseded version) are left out."""
        return [hit for hit in self._hit_list(hits) if hit is not None]

    def _hit_list(self, hits: list[dict]) -> list[Optional[Hit]]:
        """`_hits` item for item, with None for a passage left out."""
        passages = []
        for h in hits:
            passage = Passage.from_dict(h["_source"]["doc"])
            passage.vector = _unlist(h["_source"].get("vector"))
            passages.append(passage)
        docs = self._source_windows([(h["_source"]["source_id"], p) for h, p in zip(hits, passages)])
        out = []
        for h, passage in zip(hits, passages):
            found = docs.get(h["_source"]["source_id"])
            if found is None or h["_source"].get("source_revision") != found[0].get("revision"):
                out.append(None)
                continue
            doc, source, windows = found
            text_start, text = windows.get((passage.start, passage.end), (0, ""))
            out.append(Hit(passage, replace(source, text=text), float(h.get("_score") or 0.0), text_start))
        return out

    def _source_windows(self, wanted: list[tuple[str, Passage]]) -> dict[str, tuple[dict, Source, dict]]:
        """For each source id: its stored document without the text, the Source (text ""), and the windows of its
        text around the given passages ({(start, end): (window start, window text)}, see base.Hit), read from the
        text's pieces (text_chunks) so that a long text never leaves the node whole. Missing sources are left
        out; a source stored before the pieces existed has its whole text read once."""
        spans: dict[str, list[tuple[int, int]]] = {}
        for source_id, passage in wanted:
            if _storable_id(source_id) and (passage.start, passage.end) not in spans.setdefault(source_id, []):
                spans[source_id].append((passage.start, passage.end))
        if not spans:
            return {}
        requests = []
        for source_id, items in spans.items():
            pieces = sorted({f"text_chunks.{number}" for start, end in items
                             for number in _chunk_numbers(*window_bounds(start, end))})
            # Naming the vector field returns it (Elasticsearch 9 leaves vectors out of _source by default).
            requests.append({"_id": source_id,
                             "_source": {"includes": _HEAD_FIELDS + ["revision", "title_vector"] + pieces}})
        with self._errors("read sources"):
            found = [d for d in self.es.mget(index=self.alias("sources"), docs=requests)["docs"] if d.get("found")]
            unchunked = [d["_id"] for d in found if "text_chunks" not in d["_source"]]
            texts = {d["_id"]: d["_source"].get("text") or "" for d in self.es.mget(
                index=self.alias("sources"), ids=unchunked, source_includes=["text"])["docs"] if d.get("found")} \
                if unchunked else {}
        out = {}
        for d in found:
            doc = d["_source"]
            source = Source.from_dict({**doc, "text": ""})
            source.title_vector = _unlist(doc.get("title_vector"))
            windows = {}
            for start, end in spans[d["_id"]]:
                low, high = window_bounds(start, end)
                if d["_id"] in texts:
                    windows[(start, end)] = (low, texts[d["_id"]][low:high])
                else:
                    numbers = _chunk_numbers(low, high)
                    pieces = doc.get("text_chunks") or {}
                    windows[(start, end)] = (numbers[0] * TEXT_CHUNK,
                                             "".join(pieces.get(str(number), "") for number in numbers))
            out[d["_id"]] = (doc, source, windows)
        return out

    # -- checks ------------------------------------------------------------------------------------------
    def save_check(self, verdict: Verdict) -> str:
        self._ensure()
        verdict.id = verdict.id or "chk-" + uuid.uuid4().hex[:16]
        verdict.created_at = verdict.created_at or _now()
        doc = {"id": verdict.id, "verdict": verdict.verdict, "claim": verdict.claim,
               "confidence": verdict.confidence, "as_of": verdict.as_of, "claim_date": verdict.claim_date,
               "created_at": verdict.created_at, "doc": verdict.to_dict(), "terms": index_terms(verdict.claim)}
        claim_vector = _stored_vector(verdict.claim_vector)
        if claim_vector:
            doc["claim_vector"] = claim_vector
        with self._errors(f"store check {verdict.id}"):
            self.es.index(index=self.alias("checks"), id=verdict.id, document=doc, refresh=self.refresh)
        return verdict.id

    def nearest_checks(self, vector, *, limit: int = 20) -> list[CheckHit]:
        self._ensure()
        query_vector = _vector(vector)
        if query_vector is None or limit <= 0:
            return []
        knn = {"field": "claim_vector", "query_vector": query_vector, "k": int(limit),
               "num_candidates": max(100, 5 * int(limit))}
        with self._errors("search checks by vector"):
            hits = self.es.search(index=self.alias("checks"), knn=knn, size=int(limit),
                                  source=["doc", "claim_vector"])["hits"]["hits"]
        # Elasticsearch scores cosine kNN as (1 + cosine) / 2: give the cosine, as the SQLite store does.
        return [CheckHit(Verdict.from_dict(h["_source"]["doc"]), 2.0 * float(h.get("_score") or 0.0) - 1.0,
                         _unlist(h["_source"].get("claim_vector"))) for h in hits]

    def search_checks(self, text: str, *, limit: int = 20) -> list[CheckHit]:
        self._ensure()
        terms = index_terms(text or "")
        if not terms or limit <= 0:
            return []
        with self._errors("search checks"):
            hits = self.es.search(index=self.alias("checks"), query={"match": {"terms": {"query": terms}}},
                                  size=min(int(limit), MAX_WINDOW), source=["doc", "claim_vector"])["hits"]["hits"]
        return [CheckHit(Verdict.from_dict(h["_source"]["doc"]), float(h.get("_score") or 0.0),
                         _unlist(h["_source"].get("claim_vector"))) for h in hits]

    def get_check(self, check_id: str) -> Optional[Verdict]:
        self._ensure()
        if not _storable_id(check_id):
            return None
        with self._errors(f"read check {check_id}"):
            try:
                doc = self.es.get(index=self.alias("checks"), id=check_id)["_source"]
            except NotFoundError:
                return None
        return Verdict.from_dict(doc["doc"])

    def refresh_indexes(self) -> None:
        """Make every write so far visible to searches now (after a bulk ingest with refresh off)."""
        self._ensure()
        with self._errors("refresh the indexes"):
            self.es.indices.refresh(index=",".join(self.alias(kind) for kind in KINDS))

    # -- reviews -----------------------------------------------------------------------------------------
    @staticmethod
    def _review_doc(review: Review) -> dict:
        return {"id": review.id, "check_id": review.check_id, "status": review.status,
                "assignee": review.assignee, "machine_verdict": review.machine_verdict, "version": review.version,
                "created_at": review.created_at, "updated_at": review.updated_at,
                "explanation": review.explanation, "flagged_by": review.flagged_by, "doc": review.to_dict()}

    def create_review(self, review: Review) -> Review:
        self._ensure()
        review.version = 1
        review.created_at = review.created_at or _now()
        review.updated_at = review.updated_at or review.created_at
        with self._errors(f"store review {review.id}"):
            try:
                self.es.create(index=self.alias("reviews"), id=review.id, document=self._review_doc(review),
                               refresh=self.refresh)
            except ConflictError:
                raise VersionConflict(f"a review for {review.id} exists already") from None
        return review

    def get_review(self, review_id: str) -> Optional[Review]:
        self._ensure()
        if not _storable_id(review_id):
            return None
        with self._errors(f"read review {review_id}"):
            try:
                doc = self.es.get(index=self.alias("reviews"), id=review_id)["_source"]
            except NotFoundError:
                return None
        return Review.from_dict(doc["doc"])

    def update_review(self, review: Review, expected_version: int) -> Review:
        """Optimistic concurrency twice over: our version number, and Elasticsearch's if_seq_no/if_primary_term
        so that two writers who both read the same version cannot both succeed."""
        self._ensure()
        with self._errors(f"update review {review.id}"):
            try:
                current = self.es.get(index=self.alias("reviews"), id=review.id)
            except NotFoundError:
                raise NotFound(f"no review {review.id}") from None
            if current["_source"]["version"] != expected_version:
                raise VersionConflict(f"review {review.id} changed since version {expected_version}")
            review.version = expected_version + 1
            review.updated_at = _now()
            try:
                self.es.index(index=current["_index"], id=review.id, document=self._review_doc(review),
                              if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"],
                              refresh=self.refresh)
            except ConflictError:
                review.version = expected_version
                raise VersionConflict(f"review {review.id} changed since version {expected_version}") from None
        return review

    def list_reviews(self, *, status: Optional[str] = None, verdict: Optional[str] = None,
                     assignee: Optional[str] = None, limit: int = 50, offset: int = 0,
                     after: Optional[Position] = None, flagged_by: Optional[str] = None,
                     created_before: Optional[str] = None) -> list[Review]:
        self._ensure()
        filters = [{"term": {field: value}} for field, value in
                   (("status", status), ("machine_verdict", verdict), ("assignee", assignee),
                    ("flagged_by", flagged_by)) if value]
        if created_before:
            filters.append({"range": {"created_at": {"lt": created_before}}})
        page = self._page(int(limit), int(offset), after)
        if page is None:
            return []
        with self._errors("list reviews"):
            hits = self.es.search(index=self.alias("reviews"), query={"bool": {"filter": filters}},
                                  sort=[{"updated_at": "asc"}, {"id": "asc"}], **page)["hits"]["hits"]
        return [Review.from_dict(h["_source"]["doc"]) for h in hits]

    def stats(self) -> dict:
        self._ensure()
        with self._errors("count documents"):
            return {kind: self.es.count(index=self.alias(kind))["count"]
                    for kind in ("sources", "passages", "checks")}

    def close(self) -> None:
        self.es.close()


__all__ = ["ElasticStore", "load_definition", "passage_doc", "source_doc", "KINDS"]
