"""Reliability: hostile inputs tried and held, faults injected and survived, concurrent writers and readers held.

    .venv/bin/python bench/reliability.py [--store sqlite|elasticsearch|both] [--seconds 60] [--kills 5]
                                          [--writers 8] [--readers 8] [--skip hostile,faults,concurrency]

1. Hostile inputs, through the ways in a user has: the JSON API (every JSON endpoint, every documented field
   mutated with hostile values, hostile bodies, query strings and path ids), the web pages (uploads, pasted
   text, URLs, log-in, list pages) and the CLI (one batch of hostile files and lines, then `check --file` and
   `timeline` with bad options). An input is *held* when the answer is not a 5xx, carries no traceback, is
   problem+json on /api, and is a 4xx (or a per-item error) whenever the input is known to be invalid; the CLI
   batch also has to store every good record and name each bad file or line. Afterwards the store passes
   SQLite's integrity check and its counts agree.
2. Faults: `python -m factcheck ingest` is SIGKILLed at a random moment of a batch of 40 new sources and again
   of a batch of new versions of them, then re-run each time; a fault is *survived* when, after the re-runs,
   the store equals one that took both batches without interruption (tests/test_faults.py's comparison: every
   row, or every document, but the times things were stored).
3. Concurrency: the app served by waitress (16 threads) with an admin key; W writers POST sources (each its own
   ids; every third post is a new version of one of its earlier sources) while R readers list sources (and
   follow a `next` cursor), read sources, read the timeline and check claims, for --seconds. Errors: any 5xx,
   connection failure or unexpected status. Lost: a source whose stored text or version is not the last one its
   writer got a 201 for.

Elasticsearch: ELASTICSEARCH_URL, ELASTICSEARCH_TEST_URL or http://127.0.0.1:9200, random index prefixes deleted
at the end.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["FACTCHECK_CLAIM_VECTORS"] = "0"  # the same (faster) extraction in this process and the CLI runs

from factcheck import create_app, keys, users  # noqa: E402
from factcheck.config import Config  # noqa: E402
from factcheck.ingest import ingest_paths, ingest_records  # noqa: E402
from tests.conftest import SEED_SOURCES  # noqa: E402
from tests.test_faults import KILL_DOCS, elastic_snapshot, sqlite_snapshot, write_docs  # noqa: E402

ES_URL = os.environ.get("ELASTICSEARCH_URL") or os.environ.get("ELASTICSEARCH_TEST_URL") or "http://127.0.0.1:9200"
GOOD_TEXT = "The harbour master said the ferry left Bergen on 14 May 2024 with 40 passengers."


def make_app(kind: str, workdir: str, **extra):
    settings = {"store_url": f"sqlite:///{workdir}/fc.db", "elasticsearch_url": None, "load_demo": False,
                "admin_db": f"{workdir}/admin.db", "rate_limit": "0", **extra}
    if kind == "elasticsearch":
        settings.update(elasticsearch_url=ES_URL, index_prefix="rel-" + uuid.uuid4().hex[:8])
    return create_app(settings)


def drop(app) -> None:
    store = app.extensions["factcheck_store"]
    if hasattr(store, "es"):
        names = list(store.es.indices.get(index=f"{store.prefix}-*", expand_wildcards="all"))
        if names:
            store.es.indices.delete(index=",".join(names))
    app.extensions["factcheck_webhooks"].stop()
    store.close()


# ---------------------------------------------------------------------------------------------------------------
# 1. Hostile inputs

def deep(depth: int, kind: str = "array") -> str:
    return ("[" * depth + "]" * depth) if kind == "array" else ('{"a": ' * depth + "1" + "}" * depth)


HOSTILE_VALUES = [None, 0, -1, 10 ** 30, 1.5e308, True, [], {}, [1, 2], {"a": 1}, "", " ", "\t\n", "\x00", "\u200b",
                  "x" * 10_001, "<script>alert(1)</script>", "javascript:alert(1)", "../../etc/passwd",
                  "2024-02-30", "9999-99-99", "0000-00-00", "\u202etxt.exe", "😀" * 50, "' OR 1=1 --", "%00",
                  "NaN", "1e999"]
# Raw bodies that are never valid: (name, bytes, content type)
HOSTILE_BODIES = (
    [(f"array nested {d}", deep(d).encode(), "application/json") for d in (65, 100, 1000, 10_000, 100_000)]
    + [(f"object nested {d}", deep(d, "object").encode(), "application/json") for d in (65, 1000, 10_000)]
    + [(f"integer of {n} digits", ('{"claim": %s, "text": %s}' % ("9" * n, "9" * n)).encode(), "application/json")
       for n in (101, 4301, 5000, 50_000)]
    + [(f"number {v}", ('{"claim": %s}' % v).encode(), "application/json")
       for v in ("NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" * 400 + ".5")]
    + [("invalid UTF-8", b'{"claim": "\xff\xfe"}', "application/json"),
       ("truncated", b'{"claim": "x', "application/json"), ("not JSON", b"claim=x", "application/json"),
       ("empty", b"", "application/json"), ("text/plain", b'{"claim": "x"}', "text/plain"),
       ("a lone surrogate", b'{"claim": "\\ud800"}', "application/json"), ("null", b"null", "application/json"),
       ("a string", b'"x"', "application/json"), ("a number", b"5", "application/json"),
       ("an empty list", b"[]", "application/json")]
)
BASE_BODIES = {
    ("post", "/api/v1/checks"): {"claim": "Norway and Chile met in Geneva", "claim_date": "2024-05-20",
                                 "as_of": "2024-06-01"},
    ("post", "/api/v1/checks/batch"): {"claims": [{"id": "a", "claim": "Norway and Chile met in Geneva"}]},
    ("post", "/api/v1/sources"): {"id": "hostile-src", "text": GOOD_TEXT, "url": "https://x.example/a",
                                  "publisher": "P", "published_at": "2024-05-15", "title": "T"},
    ("post", "/api/v1/reviews"): {"check_id": "{check}", "note": "n"},
    ("patch", "/api/v1/reviews/{check}"): {"status": "in_review", "assignee": "a", "rating": "REFUTED",
                                           "explanation": "e", "claimant": "c", "appearance": "https://x.example/",
                                           "note": "n"},
    ("post", "/api/v1/webhooks"): {"url": "https://hooks.example.org/x", "events": ["check.completed"],
                                   "secret": "s" * 20},
}
QUERY_PARAMS = {
    "/api/v1/sources": ["q", "publisher", "published_from", "published_to", "limit", "cursor"],
    "/api/v1/reviews": ["status", "verdict", "assignee", "limit", "cursor"],
    "/api/v1/timeline": ["q", "entity", "from", "to", "as_of", "limit"],
}
QUERY_VALUES = ["", " ", "-1", "0", "461168601842738792", "9" * 5000, "x" * 5000, "%00", "<script>", "2024-02-30",
                "bogus", "9999999999999999~z", "-9999999999999999~z", "1~" + "x" * 300, "[]", "null", "😀"]
PATH_IDS = ["x" * 5000, "..", "%2e%2e", "batch", "chk-" + "9" * 600, "%00", "😀" * 100, "a/b"]
PATH_TEMPLATES = ["/api/v1/sources/{}", "/api/v1/sources/{}/versions", "/api/v1/sources/{}/versions/1",
                  "/api/v1/checks/{}", "/api/v1/checks/{}/claimreview", "/api/v1/reviews/{}",
                  "/api/v1/webhooks/{}/deliveries", "/sources/{}", "/checks/{}", "/reviews/{}"]


class Tally:
    def __init__(self):
        self.tried, self.held, self.failures = 0, 0, []

    def record(self, name: str, ok: bool, detail: str = "") -> None:
        self.tried += 1
        if ok:
            self.held += 1
        elif len(self.failures) < 30:
            self.failures.append(f"{name}: {detail[:300]}")


def api_answer_ok(response, must_reject: bool) -> tuple[bool, str]:
    text = response.get_data(as_text=True)
    if response.status_code >= 500 or "Traceback" in text:
        return False, f"{response.status_code} {text[:200]}"
    if response.status_code >= 400 and response.mimetype != "application/problem+json":
        return False, f"{response.status_code} {response.mimetype}"
    if must_reject and response.status_code < 400:
        return False, f"accepted with {response.status_code}"
    return True, ""


def hostile_api_and_web(kind: str, tally: Tally) -> None:
    from factcheck import review as workflow
    from tests.conftest import post_form

    with tempfile.TemporaryDirectory() as workdir:
        app = make_app(kind, workdir, login_limit_account="0", login_limit_address="0")
        store = app.extensions["factcheck_store"]
        try:
            ingest_records(store, SEED_SOURCES, app.extensions["factcheck_config"])
            if hasattr(store, "refresh_indexes"):
                store.refresh_indexes()
            client = app.test_client()
            check_id = client.post("/api/v1/checks", json={"claim": "Norway and Chile met in Geneva"}).get_json()["id"]
            workflow.flag(store, check_id, by="bench")
            for (method, path), base in BASE_BODIES.items():
                path = path.replace("{check}", check_id)
                base = json.loads(json.dumps(base).replace("{check}", check_id))
                for name, body, content_type in HOSTILE_BODIES:
                    response = getattr(client, method)(path, data=body, content_type=content_type,
                                                       headers={"If-Match": "*"})
                    ok, detail = api_answer_ok(response, must_reject=True)
                    tally.record(f"{method.upper()} {path} {name}", ok, detail)
                for field in base:
                    for value in HOSTILE_VALUES:
                        body = dict(base)
                        if field == "claims":
                            body["claims"] = [{"claim": value}]
                        else:
                            body[field] = value
                        response = getattr(client, method)(path, json=body, headers={"If-Match": "*"})
                        ok, detail = api_answer_ok(response, must_reject=False)
                        tally.record(f"{method.upper()} {path} {field}={value!r:.40}", ok, detail)
                unknown = dict(base, publishd_at="2024-05-09")
                response = getattr(client, method)(path, json=unknown, headers={"If-Match": "*"})
                ok, detail = api_answer_ok(response, must_reject=True)
                tally.record(f"{method.upper()} {path} unknown field", ok, detail)
            for path, params in QUERY_PARAMS.items():
                for param in params:
                    for value in QUERY_VALUES:
                        response = client.get(path, query_string={param: value, "q": "ferry"} if param != "q"
                                              else {param: value})
                        ok, detail = api_answer_ok(response, must_reject=False)
                        tally.record(f"GET {path}?{param}={value:.30}", ok, detail)
            for first, last, path in (("published_from", "published_to", "/api/v1/sources"),
                                      ("from", "to", "/api/v1/timeline")):
                response = client.get(path, query_string={first: "2024-05-10", last: "2024-05-01", "q": "x"})
                ok, detail = api_answer_ok(response, must_reject=True)
                tally.record(f"GET {path} range ending before it starts", ok and response.status_code == 422,
                             detail or str(response.status_code))
            for template in PATH_TEMPLATES:
                for value in PATH_IDS:
                    response = client.get(template.format(value))
                    text = response.get_data(as_text=True)
                    ok = response.status_code < 500 and "Traceback" not in text
                    tally.record(f"GET {template.format(value)[:60]}", ok, f"{response.status_code} {text[:200]}")

            # the web pages, logged in as an editor (who can add sources)
            users.create_user(app.extensions["factcheck_config"].admin_db, "eddie", "eddie-password-1", "editor")
            for username, password in (("eddie", "wrong"), ("x" * 5000, "y"), ("\x00", "\x00"), ("' OR 1=1 --", "")):
                response = post_form(client, "/login", {"username": username, "password": password})
                tally.record(f"log-in as {username[:20]!r}", response.status_code in (401, 403, 429),
                             str(response.status_code))
            post_form(client, "/login", {"username": "eddie", "password": "eddie-password-1"})
            uploads = [("deep.json", deep(1000)), ("deeper.json", deep(100_000)), ("big.jsonl", '{"text": %s}' %
                        ("9" * 5000)), ("typo.jsonl", json.dumps({"text": GOOD_TEXT, "publishd_at": "2024"})),
                       ("binary.txt", "\x00\x01\x02" * 100), ("nan.json", '{"text": NaN}'),
                       ("list.json", json.dumps([None, 1, "x", [], {}])), ("evil.html", "<script>alert(1)</script>"),
                       ("empty.jsonl", ""), ("../../etc/passwd.txt", "x"), ("no-suffix", "x"),
                       ("huge-line.jsonl", '{"text": "' + "a" * 2_000_000 + '"}')]
            for name, content in uploads:
                response = post_form(client, "/sources/new", {"mode": "file", "file": (io.BytesIO(content.encode()),
                                                                                        name)},
                                     content_type="multipart/form-data")
                text = response.get_data(as_text=True)
                tally.record(f"upload {name}", response.status_code < 500 and "Traceback" not in text,
                             f"{response.status_code}")
            for form in ({"text": " "}, {"text": "\x00\x01"}, {"text": GOOD_TEXT, "published_at": "2024-02-30"},
                         {"text": GOOD_TEXT, "url": "javascript:alert(1)"}, {"text": "x" * 5_100_000}):
                response = post_form(client, "/sources/new", {"mode": "text", **form})
                tally.record(f"paste {str(form)[:40]}", response.status_code < 500, str(response.status_code))
            for url in ("http://[2002:7f00:1::]/", "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
                        "http://[64:ff9b::7f00:1]/", "http://[64:ff9b:1::a00:1]/", "http://[::ffff:127.0.0.1]/",
                        "http://127.0.0.1:1/", "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd",
                        "gopher://x/", "javascript:alert(1)", "http://0/", "http://[::]/", "http://localhost/"):
                response = post_form(client, "/sources/new", {"mode": "url", "source_url": url})
                tally.record(f"fetch {url}", response.status_code == 422, str(response.status_code))
            for path in ("/sources", "/reviews"):
                for value in ("461168601842738792", "0", "-1", "abc", "9" * 5000, "1" * 13):
                    response = client.get(path, query_string={"page": value})
                    tally.record(f"GET {path}?page={value[:20]}", response.status_code == 400,
                                 str(response.status_code))
                response = client.get(path, query_string={"cursor": "<script>"})
                tally.record(f"GET {path}?cursor=<script>", response.status_code == 400, str(response.status_code))
            for query in ({"q": "x", "from": "2024-05-10", "to": "2024-05-01"}, {"q": "x", "from": "garbage"},
                          {"q": "<script>", "entity": "\x00"}):
                for path in ("/timeline", "/timeline.json"):
                    response = client.get(path, query_string=query)
                    ok = response.status_code < 500 and (path == "/timeline" or
                                                         response.mimetype in ("application/json",
                                                                               "application/problem+json"))
                    tally.record(f"GET {path} {query}", ok, str(response.status_code))
            for appearance in ("javascript:alert(1)", "data:text/html,x", "//evil.example", " https://x"):
                response = post_form(client, f"/reviews/{check_id}", {"version": "1", "appearance": appearance})
                tally.record(f"review form appearance {appearance}", response.status_code in (409, 422),
                             str(response.status_code))
            if kind == "sqlite":
                import sqlite3

                conn = sqlite3.connect(f"{workdir}/fc.db")
                ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok" and \
                    conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0] == \
                    conn.execute("SELECT COUNT(*) FROM passages_fts").fetchone()[0]
                conn.close()
                tally.record("SQLite integrity and FTS rows after the run", ok)
        finally:
            drop(app)


def hostile_cli(tally: Tally) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir, "in")
        folder.mkdir()
        bad = []
        good = [json.dumps({"id": f"good-{n}", "text": f"{GOOD_TEXT} Report {n}."}) for n in range(5)]
        for number, value in enumerate(HOSTILE_VALUES):
            bad.append(json.dumps({"id": f"bad-{number}", "text": value}) if value not in ("x" * 10_001,)
                       else json.dumps({"id": f"bad-{number}", "text": GOOD_TEXT, "title": value}))
        bad += [deep(1000), deep(100_000), deep(1000, "object"), '{"text": %s}' % ("9" * 5000), '{"text": NaN}',
                "{broken", json.dumps({"text": GOOD_TEXT, "publishd_at": "2024-05-09"}), '"just a string"', "[1, 2]",
                json.dumps({"id": "x" * 300, "text": GOOD_TEXT}), json.dumps({"text": GOOD_TEXT, "url": 5})]
        lines = good[:2] + bad + good[2:]
        Path(folder, "a.jsonl").write_text("\n".join(lines) + "\n")
        Path(folder, "b-deep.json").write_text(deep(100_000))
        Path(folder, "c-binary.txt").write_bytes(b"\x00\x01" * 100)
        Path(folder, "d-last.json").write_text(json.dumps({"id": "last", "text": GOOD_TEXT + " Last."}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTCHECK_", "ELASTICSEARCH"))}
        env.update(FACTCHECK_STORE=f"sqlite:///{workdir}/cli.db", FACTCHECK_CLAIM_VECTORS="0", PYTHONPATH=str(ROOT))
        run = subprocess.run([sys.executable, "-m", "factcheck", "ingest", str(folder)], capture_output=True,
                             text=True, env=env, cwd=workdir, timeout=600)
        import sqlite3

        conn = sqlite3.connect(f"{workdir}/cli.db")
        stored = {row[0] for row in conn.execute("SELECT id FROM sources")}
        conn.close()
        prefix = f"{folder / 'a.jsonl'}:"
        named = {int(line[len(prefix):].split(":", 1)[0]) for line in run.stderr.splitlines()
                 if line.startswith(prefix) and line[len(prefix):].split(":", 1)[0].isdigit()}
        for number in range(len(lines)):
            record_id = None
            try:
                record = json.loads(lines[number])
                record_id = record.get("id") if isinstance(record, dict) else None
            except (ValueError, RecursionError):
                pass
            # held: stored (a valid record), or reported naming its line; and no traceback either way
            ok = "Traceback" not in run.stderr and ((number + 1) in named or record_id in stored)
            tally.record(f"CLI a.jsonl:{number + 1}", ok, lines[number][:80])
        tally.record("CLI batch goes on to the files after the bad ones",
                     {f"good-{n}" for n in range(5)} | {"last"} <= stored
                     and f"{folder / 'b-deep.json'}: invalid JSON" in run.stderr
                     and f"{folder / 'c-binary.txt'}: not a text file" in run.stderr, run.stdout + run.stderr[-500:])
        claims = Path(workdir, "claims.jsonl")
        claims.write_text("\n".join([deep(1000), '{"claim": %s}' % ("9" * 5000), '{"claim": NaN}', "[]", "{",
                                     json.dumps({"claim": ""}), json.dumps({"claim": "Ferry left Bergen"})]) + "\n")
        run = subprocess.run([sys.executable, "-m", "factcheck", "check", "--file", str(claims)], capture_output=True,
                             text=True, env=env, cwd=workdir, timeout=600)
        tally.record("CLI check --file with hostile lines", run.returncode == 1 and "Traceback" not in run.stderr
                     and run.stderr.count(f"{claims}:") == 6, run.stderr[-500:])
        for options in (["--from", "garbage"], ["--from", "2024-05-10", "--to", "2024-05-01"], ["--as-of", "x" * 5000]):
            run = subprocess.run([sys.executable, "-m", "factcheck", "timeline", "ferry", *options],
                                 capture_output=True, text=True, env=env, cwd=workdir, timeout=600)
            tally.record(f"CLI timeline {' '.join(options)[:40]}",
                         run.returncode == 2 and "Traceback" not in run.stderr, run.stderr[-300:])


# ---------------------------------------------------------------------------------------------------------------
# 2. Faults: the writer killed at random moments


def fault_runs(kind: str, kills: int, rng: random.Random) -> tuple[int, int, list[str]]:
    import sqlite3

    from factcheck.store.elastic import ElasticStore
    from factcheck.store.sqlite import SqliteStore

    injected = survived = 0
    notes = []
    with tempfile.TemporaryDirectory() as workdir:
        first = write_docs(Path(workdir, "edition-1.jsonl"), KILL_DOCS)
        second = write_docs(Path(workdir, "edition-2.jsonl"), KILL_DOCS, edition=2)
        if kind == "sqlite":
            expected = SqliteStore(f"{workdir}/expected.db")
        else:
            expected = ElasticStore(ES_URL, prefix="rel-exp-" + uuid.uuid4().hex[:8])
        for path in (first, second):
            ingest_paths(expected, [str(path)], Config(load_demo=False))
        wanted = sqlite_snapshot(Path(f"{workdir}/expected.db")) if kind == "sqlite" \
            else elastic_snapshot(expected, expected.prefix)
        for attempt in range(kills):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTCHECK_", "ELASTICSEARCH"))}
            env.update(FACTCHECK_CLAIM_VECTORS="0", PYTHONPATH=str(ROOT))
            if kind == "sqlite":
                db = Path(workdir, f"killed-{attempt}.db")
                env["FACTCHECK_STORE"] = f"sqlite:///{db}"

                def stored(table):
                    try:
                        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                    except sqlite3.Error:
                        return 0
            else:
                prefix = "rel-kill-" + uuid.uuid4().hex[:8]
                env.update(ELASTICSEARCH_URL=ES_URL, FACTCHECK_INDEX_PREFIX=prefix)

                def stored(table):  # refreshed first: what is stored now, not what was last made searchable
                    try:
                        urllib.request.urlopen(f"{ES_URL}/{prefix}-{table}/_refresh", data=b"", timeout=5).close()
                        with urllib.request.urlopen(f"{ES_URL}/{prefix}-{table}/_count", timeout=5) as response:
                            return json.load(response)["count"]
                    except OSError:
                        return 0
            round_kills = 0
            for path, table in ((first, "sources"), (second, "source_versions")):
                at = rng.randint(1, KILL_DOCS - 8)
                command = [sys.executable, "-m", "factcheck", "ingest", str(path)]
                writer = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
                deadline = time.monotonic() + 300
                while stored(table) < at and writer.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.01)
                if writer.poll() is None:
                    os.kill(writer.pid, signal.SIGKILL)
                    writer.wait()
                    round_kills += 1
                else:
                    notes.append(f"{kind}: the batch ended before the kill at {at}")
                rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
                if rerun.returncode != 0:
                    notes.append(f"{kind}: re-run failed: {rerun.stderr[-300:]}")
            if kind == "sqlite":
                got = sqlite_snapshot(db)
            else:
                live = ElasticStore(ES_URL, prefix=prefix)
                got = elastic_snapshot(live, prefix)
                names = list(live.es.indices.get(index=f"{prefix}-*"))
                live.es.indices.delete(index=",".join(names))
                live.close()
            injected += round_kills
            if got == wanted:
                survived += round_kills
            else:
                notes.append(f"{kind}: attempt {attempt} differs in "
                             + ", ".join(name for name in wanted if got.get(name) != wanted[name]))
        if kind == "elasticsearch":
            names = list(expected.es.indices.get(index=f"{expected.prefix}-*"))
            expected.es.indices.delete(index=",".join(names))
        expected.close()
    return injected, survived, notes


# ---------------------------------------------------------------------------------------------------------------
# 3. Concurrent writers and readers on a real server


def concurrency(kind: str, writers: int, readers: int, seconds: float) -> dict:
    from waitress.server import create_server

    with tempfile.TemporaryDirectory() as workdir:
        app = make_app(kind, workdir)
        store = app.extensions["factcheck_store"]
        ingest_records(store, SEED_SOURCES, app.extensions["factcheck_config"])
        _, key = keys.create_key(f"{workdir}/admin.db", "bench", "admin")
        server = create_server(app, host="127.0.0.1", port=0, threads=16, connection_limit=200)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.effective_port}/api/v1"
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        stop_at = time.monotonic() + seconds
        lock = threading.Lock()
        counts = {"writes": 0, "reads": 0, "errors": 0}
        errors: list[str] = []
        last: dict[str, tuple[str, int]] = {}  # source id -> (text, version) of the last 201

        def call(method, path, body=None):
            data = json.dumps(body).encode() if body is not None else None
            request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    return response.status, json.load(response)
            except urllib.error.HTTPError as exc:
                return exc.code, None

        def fail(message):
            with lock:
                counts["errors"] += 1
                if len(errors) < 20:
                    errors.append(message)

        def writer(number):
            rng, mine = random.Random(number), []
            sequence = 0
            while time.monotonic() < stop_at:
                sequence += 1
                if mine and sequence % 3 == 0:
                    source_id = rng.choice(mine)
                else:
                    source_id = f"w{number}-{sequence}"
                    mine.append(source_id)
                text = (f"Writer {number} reports that ferry {sequence} left Bergen on 14 May 2024 with "
                        f"{rng.randint(10, 400)} passengers.")
                try:
                    status, body = call("POST", "/sources", {"id": source_id, "text": text, "publisher": f"W{number}",
                                                             "published_at": "2024-05-15"})
                except Exception as exc:  # noqa: BLE001
                    fail(f"write {source_id}: {type(exc).__name__}: {exc}")
                    continue
                if status != 201:
                    fail(f"write {source_id}: HTTP {status}")
                    continue
                with lock:
                    counts["writes"] += 1
                    last[source_id] = (text, body["items"][0]["version"])

        def reader(number):
            rng = random.Random(1000 + number)
            while time.monotonic() < stop_at:
                choice = rng.random()
                try:
                    if choice < 0.3:
                        status, body = call("GET", "/sources?limit=20")
                        if status == 200 and body.get("next"):
                            status, body = call("GET", body["next"].replace("/api/v1", "", 1))
                    elif choice < 0.6:
                        with lock:
                            known = list(last) or ["alpine-herald-geneva"]
                        status, body = call("GET", f"/sources/{rng.choice(known)}")
                    elif choice < 0.8:
                        status, body = call("GET", "/timeline?q=ferry&limit=50")
                    else:
                        status, body = call("POST", "/checks", {"claim": "The ferry left Bergen on 14 May 2024"})
                except Exception as exc:  # noqa: BLE001
                    fail(f"read: {type(exc).__name__}: {exc}")
                    continue
                if status >= 500 or status not in (200, 201):
                    fail(f"read: HTTP {status}")
                    continue
                with lock:
                    counts["reads"] += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        threads += [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        if hasattr(store, "refresh_indexes"):
            store.refresh_indexes()
        lost = 0
        for source_id, (text, version) in last.items():
            stored = store.get_source(source_id)
            if stored is None or stored.text != text or stored.version != version:
                lost += 1
        server.close()
        drop(app)
    return {**counts, "lost": lost, "sources": len(last), "seconds": round(elapsed, 1), "error_samples": errors}


def main(argv=None) -> int:
    import logging

    logging.getLogger("waitress").setLevel(logging.ERROR)  # "Task queue depth" is the load we asked for
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("sqlite", "elasticsearch", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kills", type=int, default=5, help="kill-and-re-run rounds per store (2 kills each)")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip", default="", help="comma-separated: hostile, faults, concurrency")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "elasticsearch"] if args.store == "both" else [args.store]
    skip = set(filter(None, args.skip.split(",")))
    rng = random.Random(args.seed)
    rows = []
    if "hostile" not in skip:
        for kind in kinds:
            tally = Tally()
            started = time.monotonic()
            hostile_api_and_web(kind, tally)
            if kind == kinds[0]:
                hostile_cli(tally)
            rows.append(f"| hostile inputs ({kind}{', + CLI' if kind == kinds[0] else ''}) | {tally.tried:,} tried | "
                        f"{tally.held:,} held | {time.monotonic() - started:.0f} s |")
            for failure in tally.failures:
                print(f"  not held: {failure}")
    if "faults" not in skip:
        for kind in kinds:
            started = time.monotonic()
            injected, survived, notes = fault_runs(kind, args.kills, rng)
            rows.append(f"| writer kill -9 mid-batch ({kind}) | {injected} injected | {survived} survived | "
                        f"{time.monotonic() - started:.0f} s |")
            for note in notes:
                print(f"  {note}")
    if "concurrency" not in skip:
        for kind in kinds:
            result = concurrency(kind, args.writers, args.readers, args.seconds)
            rows.append(f"| {args.writers} writers + {args.readers} readers, {result['seconds']} s ({kind}) | "
                        f"{result['writes']:,} writes, {result['reads']:,} reads | {result['errors']} errors, "
                        f"{result['lost']} lost of {result['sources']:,} sources | |")
            for sample in result["error_samples"]:
                print(f"  {kind}: {sample}")
    print("| what | tried | held | time |")
    print("| --- | ---: | ---: | ---: |")
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
