"""`ingest --workers N` (issue 14): extraction in worker processes stores exactly what one process stores, on a real
SQLite file and a real Elasticsearch node; errors, progress, re-runs, Ctrl-C and a killed worker behave as in one
process (each source whole or not at all)."""
from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from factcheck.config import Config
from factcheck.ingest import ingest_paths
from factcheck.store.sqlite import SqliteStore

from .test_elastic_store import elastic_store, es_session_prefix  # noqa: F401 - fixtures used below

REPO = Path(__file__).resolve().parent.parent
PLACES = ["Geneva", "Bergen", "Lyon", "Porto", "Tromsø", "Cork", "Graz", "Ghent", "Turku", "Split", "Brno"]


def short_records(count: int) -> list[dict]:
    """Short sources written for these tests (no third-party text): a council vote in a town on a known day."""
    records = []
    for number in range(count):
        place = PLACES[number % len(PLACES)]
        day = 1 + number % 27
        records.append({
            "id": f"council-{number:02d}", "publisher": f"{place} Courier", "published_at": f"2024-05-{day + 1:02d}",
            "title": f"{place} council approves budget",
            "text": f"{place} council approves budget\nThe council of {place} met on {day} May 2024 and approved a "
                    f"budget of {10 + number} million euros. The mayor said on Tuesday that taxes would not rise. "
                    f"Opposition members voted against it, officials said."})
    return records


def write_jsonl(path: Path, records: list[dict], bad_line_at: int | None = None) -> Path:
    lines = [json.dumps(record) for record in records]
    if bad_line_at is not None:
        lines.insert(bad_line_at - 1, '{"id": "broken", "text": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sqlite_content(path: Path) -> dict:
    """Everything a SQLite store holds about sources and passages, except when they were ingested."""
    connection = sqlite3.connect(path)
    try:
        columns = [c[1] for c in connection.execute("PRAGMA table_info(sources)")]
        sources = [tuple(v for c, v in zip(columns, row) if c != "ingested_at") for row in
                   connection.execute("SELECT * FROM sources ORDER BY id")]
        passages = connection.execute(
            "SELECT id, source_id, idx, text, data, first_date, vector FROM passages ORDER BY id").fetchall()
        versions = connection.execute("SELECT id, version FROM sources ORDER BY id").fetchall()
        return {"sources": sources, "passages": passages, "versions": versions}
    finally:
        connection.close()


def elastic_content(store) -> dict:
    """Every source and passage document of an Elasticsearch store (vectors included), except ingest times."""
    store.es.indices.refresh(index=f"{store.prefix}-*")

    def documents(kind: str) -> list[dict]:
        hits = store.es.search(index=store.alias(kind), size=1000, sort=[{"id": "asc"}], query={"match_all": {}},
                               source=True)["hits"]["hits"]
        return [{k: v for k, v in hit["_source"].items() if k not in ("ingested_at", "write_id")} for hit in hits]  # write_id: per write

    return {"sources": documents("sources"), "passages": documents("passages")}


def elastic_store_at(prefix: str):
    from factcheck.store.elastic import ElasticStore

    from .test_elastic_store import ES_URL

    store = ElasticStore(ES_URL, prefix=prefix, refresh="wait_for")
    store.ensure_indexes()
    store.es.indices.put_settings(index=f"{store.prefix}-*", settings={"index": {"refresh_interval": "50ms"}})
    return store


@pytest.fixture(params=["sqlite", "elasticsearch"])
def two_stores(request, tmp_path):
    """(store for --workers 1, store for --workers 2, content(store)) on the same backend."""
    if request.param == "sqlite":
        stores = [SqliteStore(str(tmp_path / f"w{n}.db")) for n in (1, 2)]
        yield stores[0], stores[1], lambda store: sqlite_content(Path(store.path))
        for store in stores:
            store.close()
    else:
        first = request.getfixturevalue("elastic_store")
        second = elastic_store_at(first.prefix + "-w2")
        yield first, second, elastic_content
        second.es.indices.delete(index=",".join(second.es.indices.get(index=f"{second.prefix}-*")))
        second.close()


def test_two_workers_store_exactly_what_one_process_stores(two_stores, tmp_path):
    one, two, content = two_stores
    records = short_records(36)  # three batches of 16: order across batches and the pool's window
    data = write_jsonl(tmp_path / "batch.jsonl", records, bad_line_at=20)
    config = Config()
    seen: dict[int, list] = {1: [], 2: []}
    reports = {}
    for workers, store in ((1, one), (2, two)):
        reports[workers] = ingest_paths(store, [str(data)], config, workers=workers,
                                        progress=lambda item, outcome, w=workers: seen[w].append((item, outcome)))
    for report in reports.values():
        assert (report.added, report.updated, report.unchanged, report.failed) == (36, 0, 0, 1)
        assert [error["item"] for error in report.errors] == [f"{data}:20"]
        assert report.errors[0]["reason"].startswith("invalid JSON")
    assert reports[2].added_ids == reports[1].added_ids == [record["id"] for record in records]
    assert seen[2] == seen[1] and len(seen[2]) == 37 and seen[2][19] == (f"{data}:20", "failed")
    stored = content(one)
    assert len(stored["passages"]) >= 3 * 36
    assert content(two) == stored

    # the same file again: nothing changes; a changed source: a new version, exactly as in one process
    again = ingest_paths(two, [str(data)], config, workers=2)
    assert (again.added, again.updated, again.unchanged, again.failed) == (0, 0, 36, 1)
    assert content(two) == stored
    records[25]["text"] += " A second vote is planned for June."
    changed = write_jsonl(tmp_path / "changed.jsonl", records)
    for workers, store in ((1, one), (2, two)):
        report = ingest_paths(store, [str(changed)], config, workers=workers)
        assert (report.added, report.updated, report.unchanged, report.failed) == (0, 1, 35, 0)
        assert store.source_head("council-25").version == 2
        assert len(store.source_versions("council-25")) == 2
    assert content(two) == content(one) != stored


# ---------------------------------------------------------------------------------------------------------------
# The command line, as a subprocess: progress, Ctrl-C, a worker killed mid-run


def cli_env(db: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTCHECK_", "ELASTICSEARCH"))}
    return {**env, "FACTCHECK_STORE": f"sqlite:///{db}", "PYTHONPATH": str(REPO)}


def run_cli(db: Path, *args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "factcheck", "ingest", *map(str, args)], env=cli_env(db),
                            capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, **kwargs)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def descendants(pid: int) -> list[int]:
    """Processes below `pid` (children, grandchildren, ...), from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def parent_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stored_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        connection = sqlite3.connect(db, timeout=5)
        try:
            return connection.execute("SELECT count(*) FROM sources").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.OperationalError:
        return 0


def test_cli_workers_option_and_progress_on_a_terminal(tmp_path):
    db = tmp_path / "fc.db"
    data = write_jsonl(tmp_path / "batch.jsonl", short_records(20), bad_line_at=7)
    refused = run_cli(db, "--workers", "0", data)
    assert refused.returncode == 2 and "--workers: '0': give 1 or more" in refused.stderr

    leader, follower = pty.openpty()  # stderr a terminal: the progress bar is drawn there, as in one process
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a 0-column terminal: no bar
    try:
        process = subprocess.Popen([sys.executable, "-m", "factcheck", "ingest", "--workers", "2", str(data)],
                                   env=cli_env(db), stdout=subprocess.PIPE, stderr=follower, text=True,
                                   stdin=subprocess.DEVNULL)
        os.close(follower)
        terminal = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            terminal += chunk
        stdout = process.communicate(timeout=600)[0]
    finally:
        os.close(leader)
    shown = terminal.decode("utf-8", "replace")
    assert process.returncode == 1, shown
    assert stdout.startswith("added 20, updated 0, unchanged 0, failed 1")
    assert f"{data}:7: invalid JSON" in shown
    counts = [int(n) for n in re.findall(r"(\d+)item", shown)]
    assert counts and max(counts) >= 1  # the bar is drawn and counts stored items (redrawn at most every 0.1 s)


ARTICLES = 40

@pytest.fixture(scope="module")
def demo_reference(tmp_path_factory):
    """ARTICLES demo articles (long enough for a run to be interrupted) and their store as one process makes it."""
    folder = tmp_path_factory.mktemp("reference")
    data = folder / "articles.jsonl"
    with open(REPO / "factcheck" / "demo" / "wikinews.jsonl", encoding="utf-8") as handle:
        data.write_text("".join(line for _, line in zip(range(ARTICLES), handle)), encoding="utf-8")
    db = folder / "reference.db"
    result = run_cli(db, "--workers", "1", data)
    assert result.returncode == 0 and result.stdout.startswith(f"added {ARTICLES},"), result.stderr
    return data, sqlite_content(db)


def _interruptible() -> None:
    """In the child: Ctrl-C (SIGINT) as a terminal delivers it. A suite started in the background by a
    non-interactive shell inherits SIGINT ignored, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_ingest(db: Path, data: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "factcheck", "ingest", "--workers", "2", str(data)],
                            env=cli_env(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, preexec_fn=_interruptible)


def ingest_until_first_batch(db: Path, data: Path) -> subprocess.Popen:
    """A two-worker ingest of `data` into `db`, running, once its first batch is stored (or it has ended)."""
    process = start_ingest(db, data)
    wait_for(lambda: stored_count(db) > 0 or process.poll() is not None, "the first stored batch")
    return process


def wait_for(condition, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def rerun_fills_the_gap(db: Path, data: Path, reference: dict, *, added: int, unchanged: int) -> None:
    """Ingesting the same input again stores what is missing, leaves what is there, and ends with the store a
    one-go ingest makes."""
    again = run_cli(db, "--workers", "2", data)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"added {added}, updated 0, unchanged {unchanged}, failed 0")
    assert sqlite_content(db) == reference


def whole_sources(db: Path, reference: dict) -> set[str]:
    """Ids stored in `db`; asserts each has exactly the passages (and vectors) the reference run stored."""
    content = sqlite_content(db)
    ids = {row[0] for row in content["sources"]}
    mine = [row for row in content["passages"]]
    theirs = [row for row in reference["passages"] if row[1] in ids]
    assert mine == theirs
    assert content["sources"] == [row for row in reference["sources"] if row[0] in ids]
    return ids


def test_ctrl_c_stops_workers_and_leaves_only_whole_sources(tmp_path, demo_reference):
    data, reference = demo_reference
    db = tmp_path / "fc.db"
    process = ingest_until_first_batch(db, data)
    workers = descendants(process.pid)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert "did not end within" not in err  # the workers were stopped, not left to the exit deadline
    assert len(workers) >= 3  # the fork server and two workers (and a resource tracker)
    wait_for(lambda: not any(alive(pid) for pid in workers), "the worker processes to end", timeout=30)
    first = whole_sources(db, reference)
    assert 0 < len(first) < ARTICLES
    rerun_fills_the_gap(db, data, reference, added=ARTICLES - len(first), unchanged=len(first))


def test_an_interrupted_cli_whose_clean_up_is_stuck_still_exits_130_soon(tmp_path):
    """The exit deadline after Ctrl-C: a thread that never ends (Python's exit would join it for ever) does not
    keep the CLI running; it exits with 130, saying so."""
    code = """
import runpy, sys, threading
import factcheck.ingest

def interrupted(*args, **kwargs):
    threading.Thread(target=threading.Event().wait, name="never-ends").start()
    raise KeyboardInterrupt

factcheck.ingest.ingest_paths = interrupted
sys.argv = ["factcheck", "ingest", "nothing.jsonl"]
runpy.run_module("factcheck", run_name="__main__", alter_sys=True)
"""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", code], env=cli_env(tmp_path / "fc.db"), capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 130, result.stderr
    assert result.stderr.startswith("interrupted\n") and "did not end within 5 s" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 30


def test_a_killed_worker_fails_the_batches_in_the_pool_and_a_rerun_fills_the_gap(tmp_path, demo_reference):
    data, reference = demo_reference
    db = tmp_path / "fc.db"
    # once the first batch is stored, the others (up to workers + 1 batches) are in the pool
    process = ingest_until_first_batch(db, data)
    # the CLI's children are the fork server (and a resource tracker); the extraction workers are its children
    below = descendants(process.pid)
    workers = [pid for pid in below if parent_of(pid) in below]
    os.kill(workers[0], signal.SIGKILL)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 1, err
    summary = re.match(r"added (\d+), updated 0, unchanged 0, failed (\d+)", out)
    assert summary, out
    added, failed = int(summary.group(1)), int(summary.group(2))
    assert added + failed == ARTICLES and failed >= 1
    assert err.count("an extraction worker process ended unexpectedly") == failed
    assert len(whole_sources(db, reference)) == added
    rerun_fills_the_gap(db, data, reference, added=failed, unchanged=added)


def test_workers_end_when_the_ingest_is_killed(tmp_path, demo_reference):
    data, reference = demo_reference
    db = tmp_path / "fc.db"
    process = ingest_until_first_batch(db, data)
    below = descendants(process.pid)
    process.kill()  # kill -9: no clean-up runs in the ingesting process
    process.communicate(timeout=60)
    assert len(below) >= 3  # the fork server and two workers (and a resource tracker)
    wait_for(lambda: not any(alive(pid) for pid in below), "the workers to notice and end", timeout=30)
    assert 0 < len(whole_sources(db, reference)) < ARTICLES


def test_workers_that_keep_dying_stop_the_ingest_with_the_reason(tmp_path):
    """Every worker is killed as it starts: each batch in the pool is reported, new pools are tried, and after
    MAX_BROKEN_POOLS in a row the ingest stops as it does when the store goes away (nothing stored)."""
    import threading

    from factcheck.ingest_pool import MAX_BROKEN_POOLS, WORKER_LOST

    data = write_jsonl(tmp_path / "batch.jsonl", short_records(16 * 14))
    store = SqliteStore(str(tmp_path / "fc.db"))
    done = threading.Event()

    def kill_workers() -> None:  # the workers are the children of this process's fork server
        while not done.is_set():
            below = descendants(os.getpid())
            for pid in below:
                if parent_of(pid) in below:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.02)

    killer = threading.Thread(target=kill_workers, daemon=True)
    killer.start()
    try:
        report = ingest_paths(store, [str(data)], Config(), workers=2)
    finally:
        done.set()
        killer.join()
    try:
        assert report.added == 0 and store.stats()["sources"] == 0
        assert report.stopped == (f"the extraction workers ended unexpectedly {MAX_BROKEN_POOLS} times in a row "
                                  "without finishing a batch")
        reasons = {error["reason"] for error in report.errors}
        assert reasons == {WORKER_LOST, f"not stored: {report.stopped}"}
        assert report.not_attempted and report.not_attempted[0].startswith("everything after ")
    finally:
        store.close()
