"""Fault injection: the writer killed (kill -9) in the middle of a batch on each store, the Elasticsearch node
stopped in the middle of an ingest, and the store going away while the app serves requests.

- A killed writer leaves nothing half-written: re-running the same command leaves the store equal, row for row
  (sources, their versions, passages, full-text rows, dates, entities) or document for document, to a store
  that took the same batches without interruption, for new sources and for new versions of them.
- A node stopped mid-ingest: the command says what failed; re-run after a restart, every source is stored once.
- While the store is down every route that needs it answers 503 with Retry-After (problem+json on the JSON
  routes, a page on the others); once it is back the same app answers again, without a restart.

The node-level tests run their own Elasticsearch node on another port (scripts/elasticsearch with ES_PORT), so
that they can stop it; the writer kills use the shared test node with their own index prefixes.
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from factcheck.config import Config
from factcheck.ingest import ingest_paths
from factcheck.store.sqlite import SqliteStore

from .conftest import SEED_SOURCES, csrf_token_of, post_form
from .services import unavailable
from .test_elastic_store import ES_URL, _delete_indexes, es_session_prefix  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("FACTCHECK_OUTAGE_PORT", "9251"))
URL = f"http://127.0.0.1:{PORT}"
DOCS = 150
KILL_DOCS = 40


def node(action, fresh=False):
    env = dict(os.environ, ES_PORT=str(PORT), **({"ES_FRESH": "1"} if fresh else {}))
    return subprocess.run([str(ROOT / "scripts" / "elasticsearch"), action], env=env, capture_output=True,
                          text=True, timeout=240)


def count(prefix, kind, url=URL):
    try:
        with urllib.request.urlopen(f"{url}/{prefix}-{kind}/_count", timeout=5) as response:
            return json.load(response)["count"]
    except OSError:
        return -1


def ingest(path, prefix):
    env = dict(os.environ, ELASTICSEARCH_URL=URL, FACTCHECK_INDEX_PREFIX=prefix)
    return subprocess.Popen([sys.executable, "-m", "factcheck", "ingest", str(path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def write_docs(path: Path, number: int, edition: int = 1) -> Path:
    """`number` short harbour reports; edition 2 corrects every figure (a new version of each source)."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(number):
            passengers, hours = (i + 20, i % 9 + 2) if edition == 1 else (i + 120, i % 9 + 12)
            handle.write(json.dumps({
                "id": f"doc-{i:03d}", "publisher": "Outage Wire", "published_at": "2024-05-14",
                "text": f"Harbour report {i}. The ferry number {i} left Bergen on Tuesday with {passengers} "
                        f"passengers. Officials in Oslo said the crossing took {hours} hours."}) + "\n")
    return path


# -- the writer killed with SIGKILL mid-batch, on each store -------------------------------------------------------

def sqlite_snapshot(path: Path) -> dict:
    """Everything the SQLite store holds, row for row, leaving out when things were stored."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        query = {
            "sources": "SELECT id, content_hash, url, publisher, published_at, published_day, title, text, version"
                       " FROM sources ORDER BY id",
            "versions": "SELECT source_id, version, content_hash, url, publisher, published_at, title, text"
                        " FROM source_versions ORDER BY source_id, version",
            "passages": "SELECT id, source_id, idx, text, data, first_date FROM passages ORDER BY id",
            "fts": "SELECT p.id, f.terms FROM passages_fts f JOIN passages p ON p.rowid = f.rowid ORDER BY p.id",
            "fts_rows": "SELECT COUNT(*) FROM passages_fts",
            "dates": "SELECT p.id, d.range_start, d.range_end FROM passage_dates d JOIN passages p"
                     " ON p.rowid = d.passage_rowid ORDER BY 1, 2, 3",
            "entities": "SELECT p.id, e.key FROM passage_entities e JOIN passages p ON p.rowid = e.passage_rowid"
                        " ORDER BY 1, 2",
        }
        return {name: conn.execute(sql).fetchall() for name, sql in query.items()}
    finally:
        conn.close()


def elastic_snapshot(store, prefix: str) -> dict:
    """Every document of the prefix's sources, passages and source versions, leaving out when they were stored."""
    from elasticsearch import helpers

    store.es.indices.refresh(index=f"{prefix}-*")
    snapshot = {}
    for kind in ("sources", "passages", "source_versions"):
        docs = {}
        for hit in helpers.scan(store.es, index=f"{prefix}-{kind}", query={"query": {"match_all": {}}}):
            doc = dict(hit["_source"])
            doc.pop("ingested_at", None)
            doc.pop("write_id", None)  # a random token per create (ElasticStore._our_create)
            doc.pop("superseded_at", None)
            if isinstance(doc.get("doc"), dict):
                doc["doc"] = {k: v for k, v in doc["doc"].items() if k != "ingested_at"}
            docs[hit["_id"]] = doc
        snapshot[kind] = docs
    return snapshot


def run_ingest(env: dict, path: Path) -> None:
    """`python -m factcheck ingest path`, uninterrupted."""
    done = subprocess.run([sys.executable, "-m", "factcheck", "ingest", str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def kill_mid_batch(env: dict, path: Path, stored, at_least: int) -> None:
    """Start `ingest path`, SIGKILL it once stored() reaches at_least (and before it finishes), then re-run it."""
    command = [sys.executable, "-m", "factcheck", "ingest", str(path)]
    writer = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while stored() < at_least and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert writer.poll() is None, "the batch finished before the writer could be killed"
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate(timeout=60)
    assert writer.returncode == -signal.SIGKILL
    assert stored() < KILL_DOCS
    run_ingest(env, path)


@pytest.mark.parametrize("kind", ["sqlite", "elasticsearch"])
def test_writer_killed_mid_batch_then_rerun_equals_an_uninterrupted_ingest(kind, tmp_path, request):
    """Two batches, each interrupted by a kill -9 and re-run: new sources, then a new version of each. The
    uninterrupted ingest is the same command, so both use the same extraction settings."""
    first, second = write_docs(tmp_path / "edition-1.jsonl", KILL_DOCS), \
        write_docs(tmp_path / "edition-2.jsonl", KILL_DOCS, edition=2)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTCHECK_", "ELASTICSEARCH"))}
    env["FACTCHECK_CLAIM_VECTORS"] = "0"  # faster; the same in both runs
    if kind == "sqlite":
        killed_db, expected_db = tmp_path / "killed.db", tmp_path / "expected.db"
        env["FACTCHECK_STORE"] = f"sqlite:///{killed_db}"
        expected_env = dict(env, FACTCHECK_STORE=f"sqlite:///{expected_db}")

        def stored_sources():
            if not killed_db.exists():
                return 0
            try:
                with sqlite3.connect(f"file:{killed_db}?mode=ro", uri=True, timeout=1) as conn:
                    return conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
            except sqlite3.Error:
                return 0

        def stored_versions():
            try:
                with sqlite3.connect(f"file:{killed_db}?mode=ro", uri=True, timeout=1) as conn:
                    return conn.execute("SELECT COUNT(*) FROM source_versions").fetchone()[0]
            except sqlite3.Error:
                return 0
    else:
        from factcheck.store.elastic import ElasticStore

        prefix = f"{request.getfixturevalue('es_session_prefix')}-kill-{uuid.uuid4().hex[:6]}"
        env.update(ELASTICSEARCH_URL=ES_URL, FACTCHECK_INDEX_PREFIX=prefix)
        expected_env = dict(env, FACTCHECK_INDEX_PREFIX=prefix + "-expected")

        def refreshed_count(kind_name):  # what is stored now, not what the last refresh made searchable
            try:
                urllib.request.urlopen(f"{ES_URL}/{prefix}-{kind_name}/_refresh", data=b"", timeout=5).close()
            except OSError:
                return 0
            return max(0, count(prefix, kind_name, ES_URL))

        def stored_sources():
            return refreshed_count("sources")

        def stored_versions():
            return refreshed_count("source_versions")

    kill_mid_batch(env, first, stored_sources, at_least=8)
    kill_mid_batch(env, second, stored_versions, at_least=8)

    for path in (first, second):
        run_ingest(expected_env, path)
    if kind == "sqlite":
        killed, wanted = sqlite_snapshot(killed_db), sqlite_snapshot(expected_db)
        assert len(wanted["sources"]) == KILL_DOCS and len(wanted["versions"]) == KILL_DOCS
        assert {row[-1] for row in wanted["sources"]} == {2}
        assert wanted["fts_rows"] == [(len(wanted["passages"]),)]
        for table in wanted:
            assert killed[table] == wanted[table], table
    else:
        expected_prefix = prefix + "-expected"
        expected = ElasticStore(ES_URL, prefix=expected_prefix)
        live = ElasticStore(ES_URL, prefix=prefix)
        try:
            killed, wanted = elastic_snapshot(live, prefix), elastic_snapshot(expected, expected_prefix)
            assert len(wanted["sources"]) == KILL_DOCS and len(wanted["source_versions"]) == KILL_DOCS
            for kind_name in wanted:
                assert killed[kind_name] == wanted[kind_name], kind_name
        finally:
            _delete_indexes(expected, expected_prefix)
            _delete_indexes(live, prefix)
            expected.close()
            live.close()


# -- the Elasticsearch node stopped under the app ------------------------------------------------------------------

@pytest.fixture(scope="module")
def own_node():
    started = node("start", fresh=True)
    if started.returncode != 0:
        message = f"could not start an Elasticsearch node on port {PORT}: {started.stderr[-2000:]}"
        unavailable(message)
    yield
    node("stop")


def test_killed_node_mid_ingest_then_rerun_stores_each_source_once(own_node, tmp_path):
    docs = write_docs(tmp_path / "docs.jsonl", DOCS)
    prefix = "outage-" + uuid.uuid4().hex[:8]

    first = ingest(docs, prefix)
    deadline = time.monotonic() + 180
    while count(prefix, "sources") < 20 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, "the ingest finished before the node could be stopped"
    stopped = node("stop")
    assert stopped.returncode == 0, stopped.stderr
    out, err = first.communicate(timeout=240)

    assert first.returncode != 0
    assert "Traceback" not in err
    assert "Elasticsearch" in err and ("doc-" in err or "docs.jsonl" in err), err

    restarted = node("start")
    assert restarted.returncode == 0, restarted.stderr
    second = ingest(docs, prefix)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    assert "Traceback" not in err

    urllib.request.urlopen(f"{URL}/{prefix}-sources,{prefix}-passages/_refresh", data=b"", timeout=30).close()
    expected = SqliteStore(str(tmp_path / "expected.db"))
    ingest_paths(expected, [str(docs)], Config(load_demo=False))
    assert count(prefix, "sources") == DOCS
    assert count(prefix, "passages") == expected.stats()["passages"]
    expected.close()


# Every route that reads or writes the store: (method, path, form or JSON body, logged in as an editor).
PAGES = [
    ("get", "/", None), ("post", "/check", {"claim": "Norway and Chile met in Geneva"}),
    ("get", "/checks/{check}", None), ("get", "/sources", None), ("get", "/sources/alpine-herald-geneva", None),
    ("get", "/sources/alpine-herald-geneva/versions/1", None), ("get", "/timeline?q=fisheries", None),
    ("get", "/reviews", None), ("get", "/reviews/{check}", None),
    ("post", "/reviews/{check}", {"version": "1", "note": "a note"}),
    ("post", "/checks/{check}/flag", {"note": "again"}),
    ("post", "/sources/new", {"mode": "text", "text": "The harbour reopened on 2 June 2024."}),
]
JSON_ROUTES = [
    ("get", "/timeline.json?q=fisheries", None),
    ("post", "/api/v1/checks", {"claim": "Norway and Chile met in Geneva"}),
    ("post", "/api/v1/checks/batch", {"claims": [{"claim": "Norway and Chile met in Geneva"}]}),
    ("get", "/api/v1/checks/{check}", None), ("get", "/api/v1/checks/{check}/claimreview", None),
    ("get", "/api/v1/sources", None), ("get", "/api/v1/sources/alpine-herald-geneva", None),
    ("get", "/api/v1/sources/alpine-herald-geneva/versions", None),
    ("get", "/api/v1/sources/alpine-herald-geneva/versions/1", None),
    ("post", "/api/v1/sources", {"text": "The harbour reopened on 3 June 2024."}),
    ("get", "/api/v1/timeline?q=fisheries", None), ("post", "/api/v1/reviews", {"check_id": "{check}"}),
    ("get", "/api/v1/reviews", None), ("get", "/api/v1/reviews/{check}", None),
    ("patch", "/api/v1/reviews/{check}", {"note": "a note"}),
]


def _call(client, method, path, body, check_id, token):
    path = path.replace("{check}", check_id)
    if path.startswith(("/api/", "/timeline.json")):
        if isinstance(body, dict):
            body = json.loads(json.dumps(body).replace("{check}", check_id))
        return getattr(client, method)(path, json=body, headers={"If-Match": "*"})
    if method == "post":  # the session's CSRF token, read before the outage (with Elasticsearch as the store, the
        return post_form(client, path, {"csrf_token": token, **(body or {})})  # log-in page is down with it)
    return client.get(path)


def test_store_outage_is_503_with_retry_after_on_every_route_and_the_app_recovers(own_node, tmp_path):
    from factcheck import create_app, users
    from factcheck import review as workflow
    from factcheck.ingest import ingest_records

    prefix = "down-" + uuid.uuid4().hex[:8]
    app = create_app({"store_url": f"sqlite:///{tmp_path}/unused.db", "elasticsearch_url": URL,
                      "index_prefix": prefix, "load_demo": False, "admin_db": str(tmp_path / "admin.db"),
                      "rate_limit": "0", "TESTING": True})
    store = app.extensions["factcheck_store"]
    assert ingest_records(store, SEED_SOURCES, app.extensions["factcheck_config"]).failed == 0
    store.refresh_indexes()
    client = app.test_client()
    check_id = client.post("/api/v1/checks", json={"claim": "Norway and Chile met in Geneva"}).get_json()["id"]
    workflow.flag(store, check_id, by="test")
    users.create_user(app.extensions["factcheck_admin"], "eddie", "eddie-password-1", "editor")  # in the node
    assert post_form(client, "/login", {"username": "eddie", "password": "eddie-password-1"}).status_code == 302
    routes = PAGES + JSON_ROUTES

    token = csrf_token_of(client)
    stopped = node("stop")
    assert stopped.returncode == 0, stopped.stderr
    try:
        for method, path, body in routes:
            response = _call(client, method, path, body, check_id, token)
            text = response.get_data(as_text=True)
            assert response.status_code == 503, (method, path, response.status_code, text[:500])
            assert int(response.headers["Retry-After"]) >= 1, (method, path)
            assert "Traceback" not in text
            if path.startswith(("/api/", "/timeline.json")):
                assert response.mimetype == "application/problem+json", (method, path)
                assert response.get_json()["status"] == 503
            else:
                assert response.mimetype == "text/html", (method, path)
    finally:
        restarted = node("start")
        assert restarted.returncode == 0, restarted.stderr

    for method, path, body in routes:  # the same app, not restarted
        response = _call(client, method, path, body, check_id, token)
        assert response.status_code < 500, (method, path, response.status_code, response.get_data(as_text=True)[:500])
    _delete_indexes(store, prefix)
    store.close()
