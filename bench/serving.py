"""Serving on every core: API checks/s with concurrent clients, `serve --workers 1` (waitress) against
`serve --workers N` (gunicorn), on one Elasticsearch store, in one run.

    .venv/bin/python bench/serving.py [--workers 1,2] [--threads 8] [--clients 16] [--seconds 20] [--rounds 3]
                                      [--claims 200] [--warmup 15] [--keepalive] [--redis]
                                      [--data ../shared/data] [--json-out FILE]

The Wikinews corpus (120 documents, bench/speed.py's loader) is ingested once into a fresh Elasticsearch index
prefix (ELASTICSEARCH_URL, ELASTICSEARCH_TEST_URL or http://127.0.0.1:9200; deleted at the end), and --claims
claims are made from its sentences as bench/speed.py makes them (a third verbatim, a third with a number changed,
a third with a date word changed). Then, for each round, each --workers setting in turn: `python -m factcheck
serve` is started on that store with an API key (FACTCHECK_RATE_LIMIT=0, so the limit is not what is measured;
with --redis also a run with a 10^6/minute limit counted in a Redis the script starts), warmed up (every worker
loads its models on its first check: --warmup seconds of the same load), and --clients threads POST
/api/v1/checks with the key for --seconds, going round the claims, each request on a new connection (as many
clients behind a load balancer would; --keepalive keeps one connection per client, which then stays with the
worker that accepted it). Reported per run: checks/s (201 answers / wall seconds), p50/p95
latency, errors, the server's CPU (user + system seconds of its process group, from /proc: cores used and CPU ms
per check), the cores the Elasticsearch node used (when `scripts/elasticsearch` started it) and those of this
script's client threads, and the load average (`uptime`) before it; per setting the median over the rounds. The checks the
runs save are deleted after each run, so every run reads the same store content.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from speed import DEFAULT_DATA, es_url, log, percentile, wikinews_on_elasticsearch  # noqa: E402

from factcheck import keys  # noqa: E402
from factcheck.store.elastic import ElasticStore  # noqa: E402
from tests.services import free_port  # noqa: E402


def load_average() -> str:
    with open("/proc/loadavg", encoding="ascii") as handle:
        return " ".join(handle.read().split()[:3])


def process_cpu(pid) -> tuple[int, float] | None:
    """(process group, user + system CPU seconds) of a live process, from /proc; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # fields after "(comm)": state ppid pgrp ... utime(11) stime(12)
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in process group `pgid` (the server and its workers)."""
    found = (process_cpu(entry) for entry in os.listdir("/proc") if entry.isdigit())
    return sum(seconds for group, seconds in filter(None, found) if group == pgid)


def node_cpu_seconds() -> float:
    """User + system CPU seconds of the Elasticsearch node `scripts/elasticsearch` started on the URL's port (its
    pid file; 0 when there is none: a node started otherwise)."""
    from urllib.parse import urlsplit

    port = urlsplit(es_url().split(",")[0]).port or 9200
    cache = os.path.join(os.environ.get("FACTCHECK_CACHE") or os.path.expanduser("~/.cache/factcheck"),
                         "elasticsearch")
    for base in filter(None, (os.environ.get("ES_RUN_BASE"), "/var/tmp/factcheck-elasticsearch", cache)):
        try:
            with open(os.path.join(base, f"node-{port}", "es.pid"), encoding="ascii") as handle:
                found = process_cpu(int(handle.read().strip()))
        except (OSError, ValueError):
            continue
        if found:
            return found[1]
    return 0.0


class Server:
    """`python -m factcheck serve` in its own process group; stopped with SIGTERM to the group."""

    def __init__(self, env: dict, workers: int, threads: int, workdir: str):
        self.port = free_port()
        self.log_path = os.path.join(workdir, f"serve-{workers}w-{self.port}.log")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "factcheck", "serve", "--port", str(self.port), "--workers", str(workers),
             "--threads", str(threads)], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: {open(self.log_path).read()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"the server did not answer in {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def load(port: int, token: str, claims: list[dict], clients: int, seconds: float, keepalive: bool = False) -> dict:
    """`clients` threads POSTing checks for `seconds`; checks/s, latency percentiles, errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if not keepalive:  # a connection per request: each is accepted by whichever worker is free
            headers["Connection"] = "close"
        mine, position = [], number
        start_gate.wait()
        while time.monotonic() < stop_at[0]:
            item = claims[position % len(claims)]
            position += clients
            body = json.dumps({"claim": item["claim"], "claim_date": item["claim_date"]})
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/checks", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if not keepalive:
                    conn.close()
                if response.status != 201:
                    with lock:
                        errors.append(f"status {response.status}")
                    continue
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                continue
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + seconds
    began = time.perf_counter()
    start_gate.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies)
    return {"checks": len(ordered), "seconds": round(wall, 1), "checks_per_s": round(len(ordered) / wall, 1),
            "p50_ms": round(percentile(ordered, 50), 1) if ordered else None,
            "p95_ms": round(percentile(ordered, 95), 1) if ordered else None,
            "errors": len(errors), "first_errors": errors[:3]}


def forget_checks(store) -> None:
    """Delete the checks a run saved (the test node has no _delete_by_query), so every run reads the same store."""
    index = store.alias("checks")
    store.es.indices.refresh(index=index)
    while True:
        hits = store.es.search(index=index, size=5000, source=False, query={"match_all": {}})["hits"]["hits"]
        if not hits:
            return
        store.es.bulk(operations=[{"delete": {"_index": hit["_index"], "_id": hit["_id"]}} for hit in hits],
                      refresh=True)


def start_redis(workdir: str):
    """A throw-away Redis on a free loopback port (the test suite's launcher); (url, generator to close)."""
    from tests.services import redis_server

    generator = redis_server(workdir)
    return next(generator), generator


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts to compare")
    parser.add_argument("--threads", type=int, default=8, help="threads per process")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--warmup", type=float, default=15,
                        help="seconds of load before each measured run (every worker loads its models on its first "
                             "check)")
    parser.add_argument("--keepalive", action="store_true",
                        help="each client keeps one connection (then a connection stays with the worker that "
                             "accepted it); default: a new connection per request")
    parser.add_argument("--redis", action="store_true", help="also run the largest worker count with the rate "
                                                              "limit counted in Redis")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--json-out")
    args = parser.parse_args(argv)
    worker_counts = [int(w) for w in args.workers.split(",")]

    workdir = tempfile.mkdtemp(prefix="bench-serving-")
    prefix = "bench-serving-" + uuid.uuid4().hex[:8]
    store = ElasticStore(es_url(), prefix=prefix)
    redis_close = None
    try:
        started = time.perf_counter()
        _, report, claims = wikinews_on_elasticsearch(store, args.data, args.claims)
        log(f"ingested {report.added} documents and made {len(claims)} claims in {time.perf_counter() - started:.0f} s "
            f"into {prefix}-*")
        admin_db = os.path.join(workdir, "admin.db")
        token = keys.create_key(admin_db, "bench", "client")[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
        env.update({"ELASTICSEARCH_URL": es_url(), "FACTCHECK_INDEX_PREFIX": prefix, "FACTCHECK_ADMIN_DB": admin_db,
                    "FACTCHECK_DEMO": "0", "FACTCHECK_RATE_LIMIT": "0"})
        settings = [(w, None) for w in worker_counts]
        if args.redis:
            redis_url, redis_close = start_redis(workdir)
            settings.append((max(worker_counts), redis_url))
        runs: dict[str, list[dict]] = {}
        for round_number in range(1, args.rounds + 1):
            for workers, redis_url in settings:
                label = f"{workers} worker{'s' if workers > 1 else ''}" + (" + Redis limit" if redis_url else "")
                run_env = dict(env)
                if redis_url:
                    run_env.update({"FACTCHECK_REDIS_URL": redis_url, "FACTCHECK_RATE_LIMIT": "1000000/minute"})
                server = Server(run_env, workers, args.threads, workdir)
                try:
                    server.wait_ready()
                    warm = load(server.port, token, claims, args.clients, args.warmup, args.keepalive)
                    loadavg = load_average()
                    cpu_before = group_cpu_seconds(server.process.pid)
                    node_before, clients_before = node_cpu_seconds(), sum(os.times()[:2])
                    result = load(server.port, token, claims, args.clients, args.seconds, args.keepalive)
                    cpu = group_cpu_seconds(server.process.pid) - cpu_before
                    node, clients = node_cpu_seconds() - node_before, sum(os.times()[:2]) - clients_before
                    result["server_cores"] = round(cpu / result["seconds"], 2)
                    result["node_cores"] = round(node / result["seconds"], 2) if node_before else None
                    result["client_cores"] = round(clients / result["seconds"], 2)
                    result["server_cpu_ms_per_check"] = round(1000 * cpu / max(1, result["checks"]), 1)
                finally:
                    server.stop()
                forget_checks(store)
                result.update({"round": round_number, "load_before": loadavg, "warmup_checks": warm["checks"]})
                runs.setdefault(label, []).append(result)
                log(f"round {round_number}, {label}: {result['checks_per_s']} checks/s, p50 {result['p50_ms']} ms, "
                    f"p95 {result['p95_ms']} ms, server cores {result['server_cores']}, node cores {result['node_cores']}, "
                    f"client cores {result['client_cores']}, "
                    f"{result['server_cpu_ms_per_check']} CPU ms/check, errors {result['errors']} {result['first_errors']} (load before: {loadavg})")
        summary = {label: {"median_checks_per_s": statistics.median(r["checks_per_s"] for r in results),
                           "runs": results} for label, results in runs.items()}
        base = summary["1 worker"]["median_checks_per_s"] if "1 worker" in summary else None
        print(f"\n{args.clients} clients, {args.threads} threads per process, {args.seconds:.0f} s per run, "
              f"{args.rounds} rounds, Elasticsearch {es_url()}, {report.added} documents\n")
        print("| setting | checks/s per round | median | vs 1 worker | p50 / p95 ms (median round) | cores used: "
              "server / node / clients (median round) | server CPU ms per check | errors | load before each round |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for label, item in summary.items():
            results = item["runs"]
            middle = sorted(results, key=lambda r: r["checks_per_s"])[len(results) // 2]
            ratio = f"{item['median_checks_per_s'] / base:.2f}×" if base else "-"
            print(f"| {label} | {', '.join(str(r['checks_per_s']) for r in results)} | "
                  f"{item['median_checks_per_s']} | {ratio} | {middle['p50_ms']} / {middle['p95_ms']} | "
                  f"{middle['server_cores']} / {middle.get('node_cores')} / {middle.get('client_cores')} | "
                  f"{middle['server_cpu_ms_per_check']} | {sum(r['errors'] for r in results)} | {'; '.join(r['load_before'] for r in results)} |")
        if args.json_out:
            with open(args.json_out, "w", encoding="utf-8") as handle:
                json.dump({"clients": args.clients, "threads": args.threads, "seconds": args.seconds,
                           "summary": summary}, handle, indent=2)
    finally:
        if redis_close is not None:
            redis_close.close()
        try:
            names = sorted(store.es.indices.get(index=f"{prefix}-*").body)
            if names:
                store.es.indices.delete(index=",".join(names))
        finally:
            store.close()
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
