"""The embedded default store: one SQLite file, FTS5 full-text search ranked by bm25, WAL mode."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import queue
import threading
import uuid
from contextlib import contextmanager
from functools import wraps
from datetime import datetime, timezone
from typing import Iterable, Optional

from ..models import Passage, Review, Source, Verdict
from ..textutil import index_terms
from .base import (MAX_MILLIS, MAX_OFFSET, MIN_MILLIS, TEXT_WINDOW, UNDATED_DAY, CheckHit, Hit, NotFound, Position,
                   StoreError, StoreUnavailable, VersionConflict, from_millis, pack_vector, unpack_vector)
from .vectors import VectorTable

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    url TEXT, publisher TEXT, published_at TEXT, published_day TEXT, title TEXT,
    text TEXT NOT NULL, ingested_at TEXT, version INTEGER NOT NULL DEFAULT 1, title_vector BLOB
);
CREATE TABLE IF NOT EXISTS source_versions (
    source_id TEXT NOT NULL, version INTEGER NOT NULL,
    content_hash TEXT NOT NULL, url TEXT, publisher TEXT, published_at TEXT, title TEXT,
    text TEXT NOT NULL, ingested_at TEXT,
    PRIMARY KEY (source_id, version)
);
CREATE INDEX IF NOT EXISTS sources_published ON sources(published_day);
CREATE INDEX IF NOT EXISTS sources_publisher ON sources(publisher);
CREATE INDEX IF NOT EXISTS sources_listing ON sources(COALESCE(published_day, '0001-01-01') DESC, id);
CREATE TABLE IF NOT EXISTS passages (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    data TEXT NOT NULL,
    first_date TEXT,
    vector BLOB
);
CREATE INDEX IF NOT EXISTS passages_source ON passages(source_id, idx);
CREATE INDEX IF NOT EXISTS passages_first_date ON passages(first_date);
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS passages_vocab USING fts5vocab(passages_fts, row);
CREATE TABLE IF NOT EXISTS passage_dates (
    passage_rowid INTEGER NOT NULL REFERENCES passages(rowid) ON DELETE CASCADE,
    range_start TEXT NOT NULL, range_end TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passage_dates_range ON passage_dates(range_start, range_end);
CREATE INDEX IF NOT EXISTS passage_dates_passage ON passage_dates(passage_rowid);
CREATE TABLE IF NOT EXISTS passage_entities (
    passage_rowid INTEGER NOT NULL REFERENCES passages(rowid) ON DELETE CASCADE,
    key TEXT NOT NULL
);
DROP INDEX IF EXISTS passage_entities_key;
CREATE INDEX IF NOT EXISTS passage_entities_keys ON passage_entities(key, passage_rowid);
CREATE TABLE IF NOT EXISTS checks (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, claim TEXT NOT NULL, verdict TEXT NOT NULL, data TEXT NOT NULL,
    terms TEXT, vector BLOB
);
CREATE INDEX IF NOT EXISTS checks_created ON checks(created_at);
CREATE VIRTUAL TABLE IF NOT EXISTS checks_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS reviews (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, machine_verdict TEXT NOT NULL, assignee TEXT,
    version INTEGER NOT NULL, updated_at TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_queue ON reviews(status, updated_at);
"""

SCHEMA_VERSION = 5
# The sort key of list_sources, written as the sources_listing index has it (the planner matches the text).
_DAY_KEY = f"COALESCE(published_day, '{UNDATED_DAY}')"
CANDIDATES_PER_HIT = 25  # search ranks the passages of a claim's rarest terms: at least this many per hit wanted

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def fts_query(text: str, max_terms: int = 32) -> str:
    """Turn free text into a safe FTS5 query over the indexed terms (textutil.index_terms, the same words the
    Elasticsearch store indexes; stop words are already gone): each term quoted, so no FTS syntax gets
    through, and OR-ed."""
    seen: list[str] = []
    for token in _TOKEN.findall(index_terms(text)):
        if token in seen:
            continue
        seen.append(token)
        if len(seen) >= max_terms:
            break
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in seen)


def _borrowing(method):
    """Run a store method with a pooled connection lent to this thread (see SqliteStore._use)."""
    @wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._use():
            return method(self, *args, **kwargs)
    return wrapper


def _vector_rows(rows) -> tuple:
    """(rowids, float32 matrix) of (rowid, packed vector) rows."""
    import numpy as np

    rowids = np.array([r[0] for r in rows], dtype=np.int64)
    matrix = np.vstack([unpack_vector(r[1]) for r in rows]) if rows else np.zeros((0, 384), dtype=np.float32)
    return rowids, matrix


def _day(value: Optional[str]) -> Optional[str]:
    return value[:10] if value else None


class SqliteStore:
    """Store protocol on one SQLite file; a connection per thread, writes in one transaction per source."""

    def __init__(self, path: str):
        self.path = path
        if path != ":memory:":
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)
        self._local = threading.local()
        self._vector_lock = threading.Lock()
        self._vectors = None  # ((max rowid, its version), count, VectorTable) of the stored passage vectors
        self._check_vectors = None  # (max rowid, count, VectorTable) of the stored claim vectors
        self._idle: queue.LifoQueue = queue.LifoQueue(maxsize=8)
        with self._use() as conn:
            self._migrate(conn)
            conn.executescript(SCHEMA)
            self._add_version_column(conn)
            self._index_old_checks(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @staticmethod
    def _add_version_column(conn: sqlite3.Connection) -> None:
        """Version 3 numbers the versions of a source (files of version 2 have no such column: all are 1)."""
        columns = {row[1] for row in conn.execute("PRAGMA table_info(sources)")}
        if "version" not in columns:
            conn.execute("ALTER TABLE sources ADD COLUMN version INTEGER NOT NULL DEFAULT 1")

    @staticmethod
    def _index_old_checks(conn: sqlite3.Connection) -> None:
        """Version 5 indexes the claims of saved checks by their terms (checks saved before have none: index them
        now; their vectors stay absent, so only search_checks finds them)."""
        rows = conn.execute("SELECT rowid, claim FROM checks WHERE terms IS NULL").fetchall()
        if not rows:
            return
        conn.execute("BEGIN IMMEDIATE")
        for rowid, claim in rows:
            terms = index_terms(claim)
            conn.execute("UPDATE checks SET terms = ? WHERE rowid = ?", (terms, rowid))
            conn.execute("DELETE FROM checks_fts WHERE rowid = ?", (rowid,))
            conn.execute("INSERT INTO checks_fts (rowid, terms) VALUES (?, ?)", (rowid, terms))
        conn.execute("COMMIT")

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        """Version 1 indexed the raw text with FTS5's porter stemmer; version 2 indexes index_terms(); version 3
        numbers source versions (`_add_version_column`); version 4 keeps sentence vectors beside the rows (older
        rows have none: the checker computes theirs when it reads them)."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for table, column in (("passages", "vector"), ("sources", "title_vector"), ("checks", "terms"),
                              ("checks", "vector")):
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if columns and column not in columns:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} BLOB")
        exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'passages_fts'").fetchone()
        if not exists or version >= 2:
            return
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DROP TABLE passages_fts")
        conn.execute("CREATE VIRTUAL TABLE passages_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 2')")
        for rowid, text in conn.execute("SELECT rowid, text FROM passages").fetchall():
            conn.execute("INSERT INTO passages_fts (rowid, terms) VALUES (?, ?)", (rowid, index_terms(text)))
        conn.execute("COMMIT")

    # -- connections -------------------------------------------------------------------------------------
    # A small pool rather than one connection per thread: a threaded web server starts a thread per request,
    # and per-thread connections would pile up (two file descriptors each) until close().
    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open SQLite database {self.path}: {exc}") from exc
        return conn

    @contextmanager
    def _use(self):
        """Borrow a connection for one operation (nested use in the same thread reuses it)."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._open()
        self._local.conn = conn
        try:
            yield conn
        finally:
            self._local.conn = None
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            try:
                self._idle.put_nowait(conn)
            except queue.Full:
                conn.close()

    def _conn(self) -> sqlite3.Connection:
        return self._local.conn

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break

    # -- sources -----------------------------------------------------------------------------------------
    @contextmanager
    def _write(self):
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on any error."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise StoreUnavailable(f"SQLite is busy or unwritable: {exc}") from exc
            raise

    @staticmethod
    def _insert_source(conn: sqlite3.Connection, source: Source, passages: list[Passage]) -> None:
        source.ingested_at = source.ingested_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
        conn.execute(
            "INSERT INTO sources (id, content_hash, url, publisher, published_at, published_day, title, text,"
            " ingested_at, version, title_vector) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (source.id, source.content_hash, source.url, source.publisher, source.published_at,
             _day(source.published_at), source.title, source.text, source.ingested_at, source.version,
             pack_vector(source.title_vector)))
        for passage in passages:
            resolved = [d for d in passage.dates if d.range_start and d.range_end and d.type != "duration"]
            first = min((d.range_start for d in resolved), default=None)
            cur = conn.execute(
                "INSERT INTO passages (id, source_id, idx, text, data, first_date, vector) VALUES (?,?,?,?,?,?,?)",
                (passage.id, source.id, passage.index, passage.text, json.dumps(passage.to_dict()), first,
                 pack_vector(passage.vector)))
            rowid = cur.lastrowid
            conn.execute("INSERT INTO passages_fts (rowid, terms) VALUES (?, ?)",
                         (rowid, index_terms(passage.text)))
            conn.executemany("INSERT INTO passage_dates VALUES (?,?,?)",
                             [(rowid, d.range_start, d.range_end) for d in resolved])
            conn.executemany("INSERT INTO passage_entities VALUES (?,?)",
                             [(rowid, key) for key in {e.key for e in passage.entities if e.key}])

    @_borrowing
    def add_source(self, source: Source, passages: list[Passage]) -> bool:
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM sources WHERE id = ?", (source.id,)).fetchone():
                return False
            source.version = 1
            self._insert_source(conn, source, passages)
        return True

    @_borrowing
    def replace_source(self, source: Source, passages: list[Passage], expected_version: int) -> bool:
        with self._write() as conn:
            row = conn.execute("SELECT version FROM sources WHERE id = ?", (source.id,)).fetchone()
            if row is None:
                raise NotFound(f"no source {source.id}")
            if row["version"] != expected_version:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO source_versions (source_id, version, content_hash, url, publisher,"
                " published_at, title, text, ingested_at) SELECT id, version, content_hash, url, publisher,"
                " published_at, title, text, ingested_at FROM sources WHERE id = ?", (source.id,))
            # The FTS table is not linked to passages by a foreign key: its rows go first, then the passages
            # (their dates and entities follow by ON DELETE CASCADE), then the source row.
            conn.execute("DELETE FROM passages_fts WHERE rowid IN (SELECT rowid FROM passages WHERE source_id = ?)",
                         (source.id,))
            conn.execute("DELETE FROM passages WHERE source_id = ?", (source.id,))
            conn.execute("DELETE FROM sources WHERE id = ?", (source.id,))
            source.version = expected_version + 1
            source.ingested_at = None
            self._insert_source(conn, source, passages)
        return True

    @_borrowing
    def has_source(self, source_id: str) -> bool:
        return self._conn().execute("SELECT 1 FROM sources WHERE id = ?", (source_id,)).fetchone() is not None

    @_borrowing
    def source_head(self, source_id: str) -> Optional[Source]:
        row = self._conn().execute(
            "SELECT id, '' AS text, content_hash, url, publisher, published_at, title, ingested_at, version"
            " FROM sources WHERE id = ?", (source_id,)).fetchone()
        return _source(row) if row else None

    @_borrowing
    def source_versions(self, source_id: str) -> list[Source]:
        current = self._conn().execute("SELECT * FROM sources WHERE id = ?", (source_id,)).fetchone()
        if current is None:
            return []
        older = self._conn().execute(
            "SELECT source_id AS id, content_hash, url, publisher, published_at, title, text, ingested_at, version"
            " FROM source_versions WHERE source_id = ? ORDER BY version DESC", (source_id,))
        return [_source(current)] + [_source(row) for row in older]

    @_borrowing
    def get_source(self, source_id: str) -> Optional[Source]:
        row = self._conn().execute("SELECT * FROM sources WHERE id = ?", (source_id,)).fetchone()
        return _source(row) if row else None

    @_borrowing
    def get_passages(self, source_id: str) -> list[Passage]:
        rows = self._conn().execute("SELECT data FROM passages WHERE source_id = ? ORDER BY idx", (source_id,))
        return [Passage.from_dict(json.loads(r["data"])) for r in rows]

    @_borrowing
    def list_sources(self, *, query=None, publisher=None, published_from=None, published_to=None,
                     limit: int = 50, offset: int = 0, after: Optional[Position] = None) -> list[Source]:
        if offset > MAX_OFFSET:
            return []
        clauses, params = [], []
        if after is not None:
            # newest day first: what follows the position is an earlier day, or the same day with a later id
            # (written as a range on the day first, so that the listing index starts there)
            if after[0] < MIN_MILLIS:
                return []  # before the year 1: nothing sorts after it
            day = from_millis(after[0]).date().isoformat()
            if after[0] % 86_400_000 == 0:
                clauses.append(f"{_DAY_KEY} <= ? AND ({_DAY_KEY} < ? OR id > ?)")
                params += [day, day, after[1]]
            else:  # between two midnights: every source of that day sorts after it
                clauses.append(f"{_DAY_KEY} <= ?")
                params.append(day)
        if query:
            match = fts_query(query)
            if match:
                clauses.append("id IN (SELECT p.source_id FROM passages_fts f JOIN passages p ON p.rowid = f.rowid"
                               " WHERE passages_fts MATCH ?)")
                params.append(match)
        if publisher:
            clauses.append("publisher = ?")
            params.append(publisher)
        if published_from:
            clauses.append("published_day >= ?")
            params.append(_day(published_from))
        if published_to:
            clauses.append("published_day <= ?")
            params.append(_day(published_to))
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._conn().execute(f"SELECT * FROM sources {where} ORDER BY {_DAY_KEY} DESC, id LIMIT ? OFFSET ?",
                                    (*params, int(limit), int(offset)))
        return [_source(r) for r in rows]

    # -- retrieval ---------------------------------------------------------------------------------------
    @_borrowing
    def search(self, text: str, *, entities: Iterable[str] = (), date_from=None, date_to=None, as_of=None,
               publisher=None, limit: int = 50) -> list[Hit]:
        match = fts_query(text)
        keys = sorted({k for k in entities if k})
        if not match and not keys:
            return []
        filters, params = [], []
        if as_of:
            filters.append("(s.published_day IS NULL OR s.published_day <= ?)")
            params.append(_day(as_of))
        if publisher:
            filters.append("s.publisher = ?")
            params.append(publisher)
        where = "".join(" AND " + f for f in filters)
        conn = self._conn()
        scores: dict[int, float] = {}
        if match:
            scores = dict(self._ranked(conn, match, where, params, int(limit) * 4))
        if keys:
            marks = ",".join("?" * len(keys))
            # Joined to passages and sources only to filter: a common name is in thousands of passages.
            joins = " JOIN passages p ON p.rowid = e.passage_rowid JOIN sources s ON s.id = p.source_id" \
                if where else ""
            rows = conn.execute(
                f"SELECT e.passage_rowid AS rowid, COUNT(DISTINCT e.key) AS n FROM passage_entities e{joins}"
                f" WHERE e.key IN ({marks}) {where} GROUP BY e.passage_rowid ORDER BY n DESC, e.passage_rowid"
                " LIMIT ?", (*keys, *params, int(limit) * 4))
            for r in rows:
                scores[r["rowid"]] = scores.get(r["rowid"], 0.0) + 1.5 * r["n"]
        if (date_from or date_to) and scores:
            marks = ",".join("?" * len(scores))
            rows = conn.execute(
                f"SELECT DISTINCT passage_rowid FROM passage_dates WHERE passage_rowid IN ({marks})"
                " AND range_end >= ? AND range_start <= ?",
                (*scores, _day(date_from) or "0000-01-01", _day(date_to) or "9999-12-31"))
            for r in rows:
                scores[r["passage_rowid"]] += 1.0
        best = sorted(scores.items(), key=lambda item: -item[1])[: int(limit)]
        return self._hits(best)

    def _ranked(self, conn: sqlite3.Connection, match: str, where: str, params: list,
                wanted: int) -> list[tuple[int, float]]:
        """The `wanted` passages best matching the OR-query `match` by bm25, as (rowid, score), best first.

        Ranking every row that shares one word with a claim is what makes a check slow on a large store (a
        median claim shares a common word with ~20,000 of 150,000 passages, and bm25 costs per row). So the
        terms are taken rarest first until they match at least CANDIDATES_PER_HIT x `wanted` passages: only
        passages with one of those rare terms are ranked, each by its full bm25 score over all the terms (the
        passages that also have a common term, and those that have none, in two queries). A passage sharing
        only common words with the claim is left out; such a passage ranks below hundreds of passages that
        share a rarer word, so the best ones are those of the full query (bench/RESULTS.md measures it)."""
        terms = match.split(" OR ")
        rare: list[str] = []
        if len(terms) > 1:
            found = dict(conn.execute(
                f"SELECT term, doc FROM passages_vocab WHERE term IN ({','.join('?' * len(terms))})",
                [t[1:-1].replace('""', '"') for t in terms]).fetchall())
            covered = 0
            for term in sorted(terms, key=lambda t: found.get(t[1:-1].replace('""', '"'), 0)):
                if covered >= wanted * CANDIDATES_PER_HIT:
                    break
                rare.append(term)
                covered += found.get(term[1:-1].replace('""', '"'), 0)
        common = [t for t in terms if t not in rare]
        if not rare or not common:
            return self._bm25(conn, match, where, params, wanted)
        rare_terms, common_terms = " OR ".join(rare), " OR ".join(common)
        both = self._bm25(conn, f"({rare_terms}) AND ({common_terms})", where, params, wanted)
        only = self._bm25(conn, f"({rare_terms}) NOT ({common_terms})", where, params, wanted)
        return sorted(both + only, key=lambda item: (-item[1], item[0]))[:wanted]

    @staticmethod
    def _bm25(conn: sqlite3.Connection, match: str, where: str, params: list,
              wanted: int) -> list[tuple[int, float]]:
        if not where:
            # No filter on sources: rank in the full-text index alone, joining nothing (several times faster).
            rows = conn.execute(
                "SELECT rowid, -bm25(passages_fts) AS score FROM passages_fts WHERE passages_fts MATCH ?"
                " ORDER BY bm25(passages_fts), rowid LIMIT ?", (match, wanted))
        else:
            rows = conn.execute(
                "SELECT f.rowid AS rowid, -bm25(passages_fts) AS score FROM passages_fts f"
                " JOIN passages p ON p.rowid = f.rowid JOIN sources s ON s.id = p.source_id"
                f" WHERE passages_fts MATCH ? {where} ORDER BY bm25(passages_fts), f.rowid LIMIT ?",
                (match, *params, wanted))
        return [(r["rowid"], r["score"]) for r in rows]

    def candidates(self, text: str, vector, *, entities: Iterable[str] = (), date_from=None, date_to=None,
                   as_of=None, limit: int = 50, nearest_limit: int = 20) -> tuple[list[Hit], list[Hit]]:
        found = self.search(text, entities=entities, date_from=date_from, date_to=date_to, as_of=as_of, limit=limit)
        return found, self.nearest(vector, as_of=as_of, limit=nearest_limit) if vector is not None else []

    @_borrowing
    def nearest(self, vector, *, as_of=None, publisher=None, limit: int = 20) -> list[Hit]:
        if vector is None or limit <= 0:
            return []
        scored = self._vector_matrix().top(vector, int(limit) * (5 if as_of or publisher else 1))
        if not scored:
            return []
        if as_of or publisher:
            filters, params = [], []
            if as_of:
                filters.append("(s.published_day IS NULL OR s.published_day <= ?)")
                params.append(_day(as_of))
            if publisher:
                filters.append("s.publisher = ?")
                params.append(publisher)
            marks = ",".join("?" * len(scored))
            allowed = {r[0] for r in self._conn().execute(
                f"SELECT p.rowid FROM passages p JOIN sources s ON s.id = p.source_id WHERE p.rowid IN ({marks})"
                f" AND {' AND '.join(filters)}", (*[r for r, _ in scored], *params))}
            scored = [item for item in scored if item[0] in allowed]
        return self._hits(scored[: int(limit)])

    def _vector_matrix(self) -> VectorTable:
        """Every stored passage vector as one float32 matrix (rowids beside it), kept in memory and brought up to
        date from the rows added since (a whole reload when rows were removed). Whether rows changed is read from
        the largest rowid and the row count, two index lookups (counting the rows that have a vector would read
        every row, ~0.1-0.7 s per check at 150,000 passages)."""
        import numpy as np

        conn = self._conn()
        # The last row's source version too: a replaced source whose new passages reuse the rowids its old ones
        # had at the end of the table leaves the largest rowid and the count as they were.
        last = conn.execute("SELECT MAX(rowid) FROM passages").fetchone()[0]
        top = (last, self._row_version(conn, last)) if last is not None else None
        count = conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        with self._vector_lock:
            cached = self._vectors
            if cached is not None and cached[0] == top and cached[1] == count:
                return cached[2]
            if cached is not None and cached[0] is not None and top is not None and top[0] > cached[0][0] and \
                    self._row_version(conn, cached[0][0]) == cached[0][1]:
                added = conn.execute("SELECT rowid, vector FROM passages WHERE rowid > ? ORDER BY rowid",
                                     (cached[0][0],)).fetchall()
                if cached[1] + len(added) == count:
                    table = cached[2].extended(*_vector_rows([r for r in added if r[1] is not None]))
                    self._vectors = (top, count, table)
                    return table
            table = VectorTable(*_vector_rows(conn.execute(
                "SELECT rowid, vector FROM passages WHERE vector IS NOT NULL ORDER BY rowid").fetchall()))
            self._vectors = (top, count, table)
            return table

    @staticmethod
    def _row_version(conn: sqlite3.Connection, rowid: int) -> Optional[int]:
        """The version of the source of the passage at `rowid` (None when there is none)."""
        row = conn.execute("SELECT s.version FROM passages p JOIN sources s ON s.id = p.source_id WHERE p.rowid = ?",
                           (rowid,)).fetchone()
        return row[0] if row else None

    @_borrowing
    def timeline(self, *, query=None, entity=None, date_from=None, date_to=None, as_of=None,
                 limit: int = 200) -> list[Hit]:
        clauses = ["p.first_date IS NOT NULL"]
        params: list = []
        if query:
            match = fts_query(query)
            if match:
                clauses.append("p.rowid IN (SELECT rowid FROM passages_fts WHERE passages_fts MATCH ?)")
                params.append(match)
        if entity:
            clauses.append("p.rowid IN (SELECT passage_rowid FROM passage_entities WHERE key = ?)")
            params.append(entity)
        if date_from or date_to:
            clauses.append("p.rowid IN (SELECT passage_rowid FROM passage_dates WHERE range_end >= ?"
                           " AND range_start <= ?)")
            params += [_day(date_from) or "0000-01-01", _day(date_to) or "9999-12-31"]
        if as_of:
            clauses.append("(s.published_day IS NULL OR s.published_day <= ?)")
            params.append(_day(as_of))
        rows = self._conn().execute(
            "SELECT p.rowid AS rowid FROM passages p JOIN sources s ON s.id = p.source_id"
            f" WHERE {' AND '.join(clauses)} ORDER BY p.first_date, p.source_id, p.idx LIMIT ?",
            (*params, int(limit)))
        return self._hits([(r["rowid"], 0.0) for r in rows])

    def _hits(self, scored: list[tuple[int, float]]) -> list[Hit]:
        if not scored:
            return []
        marks = ",".join("?" * len(scored))
        # The source's text is cut to the window around the passage in SQL (substr counts characters, as Python's
        # offsets do), so a long source's text is not copied into Python once per hit.
        rows = self._conn().execute(
            "SELECT rowid, data, vector, id, content_hash, url, publisher, published_at, title, ingested_at, version,"
            " title_vector, text_start, substr(text, text_start + 1, stop - text_start) AS text FROM"
            " (SELECT p.rowid AS rowid, p.data AS data, p.vector AS vector, s.*,"
            "  max(0, json_extract(p.data, '$.start') - ?) AS text_start, json_extract(p.data, '$.end') + ? AS stop"
            f"  FROM passages p JOIN sources s ON s.id = p.source_id WHERE p.rowid IN ({marks}))",
            [TEXT_WINDOW, TEXT_WINDOW, *[rowid for rowid, _ in scored]])
        by_rowid = {r["rowid"]: r for r in rows}
        hits = []
        for rowid, score in scored:
            row = by_rowid.get(rowid)
            if row is not None:
                passage = Passage.from_dict(json.loads(row["data"]))
                passage.vector = unpack_vector(row["vector"])
                hits.append(Hit(passage, _source(row), float(score), row["text_start"]))
        return hits

    # -- checks ------------------------------------------------------------------------------------------
    @_borrowing
    def save_check(self, verdict: Verdict) -> str:
        verdict.id = verdict.id or "chk-" + uuid.uuid4().hex[:16]
        verdict.created_at = verdict.created_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
        terms = index_terms(verdict.claim)
        with self._write() as conn:
            # The FTS row follows the check's rowid, which a replacement changes: drop both, then insert both.
            conn.execute("DELETE FROM checks_fts WHERE rowid IN (SELECT rowid FROM checks WHERE id = ?)",
                         (verdict.id,))
            conn.execute("DELETE FROM checks WHERE id = ?", (verdict.id,))
            cur = conn.execute(
                "INSERT INTO checks (id, created_at, claim, verdict, data, terms, vector) VALUES (?,?,?,?,?,?,?)",
                (verdict.id, verdict.created_at, verdict.claim, verdict.verdict, json.dumps(verdict.to_dict()),
                 terms, pack_vector(verdict.claim_vector)))
            conn.execute("INSERT INTO checks_fts (rowid, terms) VALUES (?, ?)", (cur.lastrowid, terms))
        return verdict.id

    @_borrowing
    def nearest_checks(self, vector, *, limit: int = 20) -> list[CheckHit]:
        if vector is None or limit <= 0:
            return []
        return self._check_hits(self._check_matrix().top(vector, int(limit)))

    @_borrowing
    def search_checks(self, text: str, *, limit: int = 20) -> list[CheckHit]:
        match = fts_query(text or "")
        if not match or limit <= 0:
            return []
        rows = self._conn().execute(
            "SELECT rowid, -bm25(checks_fts) AS score FROM checks_fts WHERE checks_fts MATCH ?"
            " ORDER BY bm25(checks_fts), rowid LIMIT ?", (match, int(limit))).fetchall()
        return self._check_hits([(r["rowid"], float(r["score"])) for r in rows])

    def _check_hits(self, scored: list[tuple[int, float]]) -> list[CheckHit]:
        if not scored:
            return []
        marks = ",".join("?" * len(scored))
        rows = self._conn().execute(f"SELECT rowid, data, vector FROM checks WHERE rowid IN ({marks})",
                                    [rowid for rowid, _ in scored]).fetchall()
        by_rowid = {r["rowid"]: r for r in rows}
        return [CheckHit(Verdict.from_dict(json.loads(by_rowid[rowid]["data"])), score,
                         unpack_vector(by_rowid[rowid]["vector"]))
                for rowid, score in scored if rowid in by_rowid]

    def _check_matrix(self) -> VectorTable:
        """Every stored claim vector as one float32 matrix (rowids beside it), reloaded when checks changed."""
        conn = self._conn()
        # two index lookups, not a read of every row (see _vector_matrix)
        top = conn.execute("SELECT MAX(rowid) FROM checks").fetchone()[0]
        count = conn.execute("SELECT COUNT(*) FROM checks").fetchone()[0]
        with self._vector_lock:
            cached = self._check_vectors
            if cached is not None and cached[0] == top and cached[1] == count:
                return cached[2]
            table = VectorTable(*_vector_rows(conn.execute(
                "SELECT rowid, vector FROM checks WHERE vector IS NOT NULL ORDER BY rowid").fetchall()))
            self._check_vectors = (top, count, table)
            return table

    @_borrowing
    def get_check(self, check_id: str) -> Optional[Verdict]:
        row = self._conn().execute("SELECT data FROM checks WHERE id = ?", (check_id,)).fetchone()
        return Verdict.from_dict(json.loads(row["data"])) if row else None

    # -- reviews -----------------------------------------------------------------------------------------
    @_borrowing
    def create_review(self, review: Review) -> Review:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        review.version = 1
        review.created_at = review.created_at or now
        review.updated_at = review.updated_at or now
        try:
            self._conn().execute(
                "INSERT INTO reviews (id, status, machine_verdict, assignee, version, updated_at, data)"
                " VALUES (?,?,?,?,?,?,?)",
                (review.id, review.status, review.machine_verdict, review.assignee, review.version,
                 review.updated_at, json.dumps(review.to_dict())))
        except sqlite3.IntegrityError:
            raise VersionConflict(f"a review for {review.id} exists already") from None
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"SQLite is busy or unwritable: {exc}") from exc
        return review

    @_borrowing
    def get_review(self, review_id: str) -> Optional[Review]:
        row = self._conn().execute("SELECT data FROM reviews WHERE id = ?", (review_id,)).fetchone()
        return Review.from_dict(json.loads(row["data"])) if row else None

    @_borrowing
    def update_review(self, review: Review, expected_version: int) -> Review:
        conn = self._conn()
        review.updated_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        stored = dict(review.to_dict(), version=expected_version + 1)
        try:
            cur = conn.execute(
                "UPDATE reviews SET status = ?, machine_verdict = ?, assignee = ?, version = ?, updated_at = ?,"
                " data = ? WHERE id = ? AND version = ?",
                (review.status, review.machine_verdict, review.assignee, expected_version + 1, review.updated_at,
                 json.dumps(stored), review.id, expected_version))
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"SQLite is busy or unwritable: {exc}") from exc
        if cur.rowcount == 0:
            if conn.execute("SELECT 1 FROM reviews WHERE id = ?", (review.id,)).fetchone() is None:
                raise NotFound(f"no review {review.id}")
            raise VersionConflict(f"review {review.id} changed since version {expected_version}")
        review.version = expected_version + 1
        return review

    @_borrowing
    def list_reviews(self, *, status=None, verdict=None, assignee=None, limit: int = 50,
                     offset: int = 0, after: Optional[Position] = None, flagged_by: Optional[str] = None,
                     created_before: Optional[str] = None) -> list[Review]:
        if offset > MAX_OFFSET:
            return []
        clauses, params = [], []
        for column, value in (("status", status), ("machine_verdict", verdict), ("assignee", assignee)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        # Who flagged it is the first audit entry; when it was flagged, created_at (UTC ISO text: text order is
        # time order). Both live in the stored JSON: the queue is small, so no column of their own.
        if flagged_by:
            clauses.append("json_extract(data, '$.audit[0].by') = ?")
            params.append(flagged_by)
        if created_before:
            clauses.append("json_extract(data, '$.created_at') < ?")
            params.append(created_before)
        if after is not None and after[0] > MAX_MILLIS:
            return []
        if after is not None and after[0] >= MIN_MILLIS:
            # updated_at is stored as UTC ISO text to the second, so text order is time order
            moment = from_millis(after[0])
            second = moment.replace(microsecond=0).isoformat(timespec="seconds")
            if after[0] % 1000 == 0:
                clauses.append("(updated_at > ? OR (updated_at = ? AND id > ?))")
                params += [second, second, after[1]]
            else:  # inside a second: every review of that second sorts before it
                clauses.append("updated_at > ?")
                params.append(second)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._conn().execute(f"SELECT data FROM reviews {where} ORDER BY updated_at, id LIMIT ? OFFSET ?",
                                    (*params, int(limit), int(offset)))
        return [Review.from_dict(json.loads(r["data"])) for r in rows]

    @_borrowing
    def stats(self) -> dict:
        conn = self._conn()
        return {name: conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
                for name in ("sources", "passages", "checks")}


def _source(row: sqlite3.Row) -> Source:
    return Source(id=row["id"], text=row["text"], content_hash=row["content_hash"], url=row["url"],
                  publisher=row["publisher"], published_at=row["published_at"], title=row["title"],
                  ingested_at=row["ingested_at"], version=row["version"],
                  title_vector=unpack_vector(row["title_vector"]) if "title_vector" in row.keys() else None)


__all__ = ["SqliteStore", "fts_query", "StoreError"]
