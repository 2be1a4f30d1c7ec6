"""Elasticsearch going down in the middle of an ingest: the command says which sources failed, and after a
restart the same command fills the gap, leaving every source stored exactly once.

This test runs its own node on another port (scripts/elasticsearch with ES_PORT), so it can kill it.
"""
import json
import os
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
from .services import unavailable

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("FACTCHECK_OUTAGE_PORT", "9251"))
URL = f"http://127.0.0.1:{PORT}"
DOCS = 150


def node(action, fresh=False):
    env = dict(os.environ, ES_PORT=str(PORT), **({"ES_FRESH": "1"} if fresh else {}))
    return subprocess.run([str(ROOT / "scripts" / "elasticsearch"), action], env=env, capture_output=True,
                          text=True, timeout=240)


def count(prefix, kind):
    try:
        with urllib.request.urlopen(f"{URL}/{prefix}-{kind}/_count", timeout=5) as response:
            return json.load(response)["count"]
    except OSError:
        return -1


def ingest(path, prefix):
    env = dict(os.environ, ELASTICSEARCH_URL=URL, FACTCHECK_INDEX_PREFIX=prefix)
    return subprocess.Popen([sys.executable, "-m", "factcheck", "ingest", str(path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def own_node():
    started = node("start", fresh=True)
    if started.returncode != 0:
        message = f"could not start an Elasticsearch node on port {PORT}: {started.stderr[-2000:]}"
        unavailable(message)
    yield
    node("stop")


def test_killed_node_mid_ingest_then_rerun_stores_each_source_once(own_node, tmp_path):
    docs = tmp_path / "docs.jsonl"
    with docs.open("w", encoding="utf-8") as handle:
        for i in range(DOCS):
            handle.write(json.dumps({
                "id": f"doc-{i:03d}", "publisher": "Outage Wire", "published_at": "2024-05-14",
                "text": f"Harbour report {i}. The ferry number {i} left Bergen on Tuesday with {i + 20} passengers. "
                        f"Officials in Oslo said the crossing took {i % 9 + 2} hours."}) + "\n")
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
