"""A real 3-node Elasticsearch cluster on loopback (scripts/elasticsearch cluster start --nodes 3): one node killed
with SIGKILL while checks and writes go on.

- Every check answers and still finds the source it is about (a check that lost a shard would lose that evidence).
- Nothing acknowledged is lost: every source whose ingest reported it added is there afterwards, whole, with all
  its passages; re-running the ingest stores the rest, each source once.
- The killed node restarts (scripts/elasticsearch cluster start-node N), rejoins, and the cluster is green again.

The cluster lane runs these tests: `scripts/test --cluster` starts the cluster, runs them (pytest --cluster) and
stops it; every other run deselects them. Without a cluster they skip, and fail under CI=true (as .ci/run sets).
The store is given all three node URLs, as ELASTICSEARCH_URL would give them. The killing and restarting need the
nodes on this machine, started by scripts/elasticsearch (their pids come from the nodes' own _nodes API).
"""
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from factcheck.check import check_claim
from factcheck.config import Config
from factcheck.ingest import ingest_records
from factcheck.store.base import StoreError
from factcheck.store.elastic import KINDS, ElasticStore

from .services import unavailable

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[1]
CLUSTER_URL = (os.environ.get("ELASTICSEARCH_CLUSTER_URL")
               or "http://127.0.0.1:9211,http://127.0.0.1:9212,http://127.0.0.1:9213")
NODES = len(CLUSTER_URL.split(","))

# Towns and what each built: one source per town, so that a claim about one town has one source to find.
TOWNS = ["Alderbury", "Brackwater", "Coldharbour", "Dunmere", "Eastwick", "Fernhollow", "Glenrock", "Hartfield",
         "Ivybridge", "Juniper Bay", "Kestrel Point", "Larkspur", "Millbrook", "Northwold", "Oakhaven", "Pinecrest",
         "Queensford", "Ravensmoor", "Stonebridge", "Thornbury", "Upton Vale", "Westerly", "Yarrowdale", "Zennor"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
FIRST = 16      # sources stored before the checks start
LATER = 64      # sources written while the checks run and a node is killed
SENTENCES = 3   # every text below is three sentences: three passages


def library_record(i: int) -> dict:
    town = TOWNS[i % len(TOWNS)]
    return {"id": f"library-{i:03d}", "publisher": "Cluster Gazette", "published_at": "2023-11-20",
            "title": f"{town} library reopens",
            "text": f"The public library of {town} reopened on {i % 27 + 1} {MONTHS[i % 12]} 2023 after repairs. "
                    f"The council of {town} said the repairs cost {i + 3} million euros. "
                    f"Readers in {town} borrowed {100 + i} books on the first day."}


def harbour_record(i: int) -> dict:
    return {"id": f"harbour-{i:03d}", "publisher": "Harbour Wire", "published_at": "2024-05-14",
            "text": f"Harbour report {i}. The ferry number {i} left the harbour on Tuesday with {i + 20} "
                    f"passengers. The crossing took {i % 9 + 2} hours, the port authority said."}


def claim_of(i: int) -> str:
    town = TOWNS[i % len(TOWNS)]
    return f"The public library of {town} reopened on {i % 27 + 1} {MONTHS[i % 12]} 2023."


def answer(store, claim: str) -> tuple[str, tuple[str, ...]]:
    """What a user sees of a check: the verdict and which sources are its evidence."""
    verdict = check_claim(store, claim)
    return verdict.verdict, tuple(sorted({e.source_id for e in verdict.evidence}))


def get(url: str, path: str, timeout: float = 10):
    """GET the first node of `url` (a comma-separated list) that answers."""
    error = None
    for base in url.split(","):
        try:
            with urllib.request.urlopen(base.strip() + path, timeout=timeout) as response:
                return json.load(response)
        except OSError as exc:
            error = exc
    raise OSError(f"no node of {url} answered {path}: {error}")


def node_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "scripts" / "elasticsearch"), "cluster", *args], capture_output=True,
                          text=True, timeout=420)


@pytest.fixture(scope="module")
def cluster():
    """The cluster's URL once all its nodes are in and it is green."""
    try:
        health = get(CLUSTER_URL, f"/_cluster/health?wait_for_nodes={NODES}&wait_for_status=green&timeout=60s",
                     timeout=70)
    except OSError as exc:
        unavailable(f"no Elasticsearch cluster at {CLUSTER_URL}: {exc} (scripts/test --cluster starts one)")
    if health.get("timed_out") or health.get("number_of_nodes") != NODES:
        unavailable(f"the cluster at {CLUSTER_URL} is not {NODES} green nodes: {health}")
    return CLUSTER_URL


@pytest.fixture
def cluster_store(cluster):
    """A store on every node of the cluster, its indexes with one replica (passages on 3 shards)."""
    store = ElasticStore(cluster, prefix=f"fc-cluster-{uuid.uuid4().hex[:8]}", replicas=1, shards={"passages": 3})
    store.ensure_indexes()
    yield store
    try:
        names = list(store.es.indices.get(index=f"{store.prefix}-*", expand_wildcards="all"))
        if names:
            store.es.indices.delete(index=",".join(names))
    finally:
        store.close()


def test_a_killed_node_loses_no_check_and_no_acknowledged_write(cluster_store):
    store, config = cluster_store, Config(load_demo=False)
    status = store.index_status()
    assert {kind: (status[kind]["replicas"]) for kind in KINDS} == dict.fromkeys(KINDS, 1)
    assert status["passages"]["shards"] == 3

    libraries = [library_record(i) for i in range(FIRST)]
    report = ingest_records(store, libraries, config)
    assert report.failed == 0, report.errors
    store.refresh_indexes()
    claims = [claim_of(i) for i in range(FIRST)]
    own = {claim: f"library-{i:03d}" for i, claim in enumerate(claims)}
    for claim in claims:  # each claim finds its own library among its evidence
        assert own[claim] in answer(store, claim)[1], claim

    # Checks in a loop, from a thread, until told to stop.
    stop = threading.Event()
    answers: list[tuple[float, str, tuple]] = []     # (when, claim, answer)
    errors: list[tuple[float, str, BaseException]] = []

    def checker():
        number = 0
        while not stop.is_set():
            claim = claims[number % len(claims)]
            number += 1
            try:
                answers.append((time.monotonic(), claim, answer(store, claim)))
            except Exception as exc:  # noqa: BLE001 - recorded: every check must answer
                errors.append((time.monotonic(), claim, exc))

    # Writes, from another thread: which sources the ingest acknowledged (reported added).
    acknowledged: list[str] = []
    harbours = [harbour_record(i) for i in range(LATER)]
    write_report = {}

    def writer():
        write_report["report"] = ingest_records(
            store, harbours, config,
            progress=lambda item, outcome: acknowledged.append(item) if outcome == "added" else None)

    threads = [threading.Thread(target=checker, daemon=True), threading.Thread(target=writer, daemon=True)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 240
    while len(acknowledged) < LATER // 4 and threads[1].is_alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert threads[1].is_alive(), "the writes ended before a node could be killed: make LATER larger"

    # Kill the elected master (the hardest node to lose: a new one must be elected) with SIGKILL.
    master = get(CLUSTER_URL, "/_nodes/_master/process")["nodes"]
    (victim,) = master.values()
    number = int(victim["name"].rsplit("-", 1)[1])
    os.kill(int(victim["process"]["id"]), signal.SIGKILL)
    killed_at = time.monotonic()
    acknowledged_before_kill = len(acknowledged)

    threads[1].join(timeout=300)
    assert not threads[1].is_alive(), "the writes did not finish"
    # Let the checks run a little longer on the two remaining nodes, then restart the killed node.
    while sum(1 for when, _, _ in answers if when > killed_at) < len(claims) and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    threads[0].join(timeout=120)
    answered_during_outage = sum(1 for when, _, _ in answers if when > killed_at)

    started = node_script("start-node", str(number))
    assert started.returncode == 0, started.stderr[-3000:]
    health = get(CLUSTER_URL, f"/_cluster/health?wait_for_nodes={NODES}&wait_for_status=green&timeout=120s",
                 timeout=130)
    assert health["status"] == "green" and health["number_of_nodes"] == NODES, health
    names = {node["name"] for node in get(CLUSTER_URL, "/_nodes/process")["nodes"].values()}
    assert victim["name"] in names
    print(f"\nkilled {victim['name']} (the master) after {acknowledged_before_kill} of {LATER} writes; "
          f"{len(answers)} checks answered, {answered_during_outage} after the kill; "
          f"writes: {write_report['report'].summary()}; rejoined in {started.stderr.strip().splitlines()[-1]}")

    # Every check answered, and found its library: none lost the shard holding it.
    assert not errors, [f"{claim}: {exc!r}" for _, claim, exc in errors[:5]]
    assert answered_during_outage >= len(claims), answered_during_outage
    # (Scores move as the index grows, so which other libraries count as evidence may change; the own one stays.)
    lost = [(claim, got) for _, claim, got in answers if own[claim] not in got[1]]
    assert not lost, lost[:5]

    # Every source was new: none may be reported unchanged (a create retried on another node after the killed
    # node applied it and died before answering is still this ingest's own addition).
    assert write_report["report"].unchanged == 0, write_report["report"].summary()

    # Nothing acknowledged is lost: each such source is there, whole, with every passage.
    assert acknowledged_before_kill >= LATER // 4 and len(acknowledged) > acknowledged_before_kill
    store.refresh_indexes()
    by_id = {record["id"]: record for record in harbours}
    for source_id in acknowledged:
        stored = store.get_source(source_id)
        assert stored is not None, f"{source_id} was acknowledged and is gone"
        assert stored.text == by_id[source_id]["text"]
        passages = store.get_passages(source_id)
        assert [p.index for p in passages] == list(range(SENTENCES)), (source_id, passages)
        assert all(p.text in stored.text for p in passages)

    # A re-run stores whatever was not acknowledged; every source is then there once.
    rerun = ingest_records(store, harbours, config)
    assert rerun.failed == 0, rerun.errors
    assert rerun.unchanged >= len(acknowledged)
    store.refresh_indexes()
    assert store.stats()["sources"] == FIRST + LATER
    assert store.stats()["passages"] == (FIRST + LATER) * SENTENCES


def test_every_node_url_is_used_and_a_dead_one_is_passed_over(cluster):
    """A store given the cluster's URLs plus one where nothing listens still answers every request."""
    urls = cluster + ",http://127.0.0.1:9599"
    store = ElasticStore(urls, prefix=f"fc-cluster-{uuid.uuid4().hex[:8]}", request_timeout=5)
    try:
        for _ in range(3 * (NODES + 1)):
            assert store.wait_until_ready("10s")["number_of_nodes"] == NODES
    except StoreError as exc:
        pytest.fail(f"a request failed although {NODES} nodes answer: {exc}")
    finally:
        store.close()
