"""Response time of each HTML page on the demo corpus (factcheck/demo/wikinews.jsonl in a temp SQLite store).

Usage: .venv/bin/python bench/pages.py [-n 30] [--no-write]

Requests go through the Flask test client (the whole app: routing, store, templates; no network). For each page
it reports p50 / p95 / max over N requests after one warm-up request, and writes a "## Pages" section into
bench/RESULTS.md (only that section is replaced). The aim is every page under 300 ms.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck import DEMO_CORPUS, create_app, users  # noqa: E402
from factcheck.ingest import ingest_records  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
AIM_MS = 300
CLAIM = "Northrop Grumman and EADS defeated Boeing for a $40 billion US airtanker contract in March 2008."


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def csrf(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def setup(folder: Path):
    app = create_app({"store_url": f"sqlite:///{folder}/fc.db", "elasticsearch_url": None, "load_demo": False,
                      "admin_db": str(folder / "admin.db"), "secret_key": "bench"})
    store = app.extensions["factcheck_store"]
    started = time.perf_counter()
    with DEMO_CORPUS.open(encoding="utf-8") as handle:
        report = ingest_records(store, (json.loads(line) for line in handle if line.strip()),
                                app.extensions["factcheck_config"])
    print(f"ingested the demo corpus: {report.summary()} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    users.create_user(str(folder / "admin.db"), "bench-editor", "bench-password", "editor")
    client = app.test_client()
    client.post("/login", data={"username": "bench-editor", "password": "bench-password", "csrf_token": csrf(client)})
    html = client.post("/check", data={"claim": CLAIM, "csrf_token": csrf(client)}).get_data(as_text=True)
    check_id = re.search(r'href="/checks/(chk-[^"]+)"', html).group(1)
    client.post(f"/checks/{check_id}/flag", data={"csrf_token": csrf(client)})
    source_id = store.list_sources(limit=1)[0].id
    return app, client, check_id, source_id


def pages(client, check_id: str, source_id: str) -> list[tuple[str, callable]]:
    token = csrf(client)
    return [
        ("GET / (check form)", lambda: client.get("/")),
        ("POST /check (check a claim, saved)", lambda: client.post("/check", data={"claim": CLAIM, "csrf_token": token})),
        ("GET /check?claim= (not saved)", lambda: client.get("/check", query_string={"claim": CLAIM})),
        ("GET /checks/<id> (saved verdict)", lambda: client.get(f"/checks/{check_id}")),
        ("GET /timeline?q=Boeing", lambda: client.get("/timeline", query_string={"q": "Boeing"})),
        ("GET /timeline?entity=united states", lambda: client.get("/timeline", query_string={"entity": "united states"})),
        ("GET /timeline.json?q=Boeing", lambda: client.get("/timeline.json", query_string={"q": "Boeing"})),
        ("GET /sources", lambda: client.get("/sources")),
        ("GET /sources?q=airtanker", lambda: client.get("/sources", query_string={"q": "airtanker"})),
        ("GET /sources?page=3", lambda: client.get("/sources", query_string={"page": 3})),
        ("GET /sources/<id>", lambda: client.get(f"/sources/{source_id}")),
        ("GET /sources/new", lambda: client.get("/sources/new")),
        ("GET /reviews", lambda: client.get("/reviews")),
        ("GET /reviews/<id>", lambda: client.get(f"/reviews/{check_id}")),
        ("GET /login", lambda: client.get("/login")),
    ]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, {platform.system()}"


def write_section(text: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## Pages\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text + "\n", current, count=1)
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="requests per page (default 30)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="factcheck-bench-pages-") as folder:
        app, client, check_id, source_id = setup(Path(folder))
        rows = []
        for name, request in pages(client, check_id, source_id):
            response = request()  # warm-up (and a status check)
            assert response.status_code == 200, (name, response.status_code)
            timings = []
            for _ in range(args.n):
                started = time.perf_counter()
                response = request()
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (name, response.status_code)
            rows.append((name, statistics.median(timings), percentile(timings, 0.95), max(timings),
                         len(response.get_data())))
            print(f"{name:42} p50 {rows[-1][1]:7.1f} ms  p95 {rows[-1][2]:7.1f} ms  max {rows[-1][3]:7.1f} ms",
                  file=sys.stderr)
        app.extensions["factcheck_store"].close()
    slow = [r[0] for r in rows if r[2] >= AIM_MS]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    lines = [
        "## Pages",
        "",
        f"Command: `.venv/bin/python bench/pages.py -n {args.n}`. Date: "
        f"{datetime.now(timezone.utc):%a %b %d %H:%M UTC %Y} (commit {commit or 'unknown'}). Machine: {machine()}.",
        "",
        "The demo corpus (factcheck/demo/wikinews.jsonl, 120 Wikinews articles) ingested into a temp SQLite store; "
        f"{args.n} requests per page through the Flask test client after one warm-up, logged in as an editor "
        "(the whole app: routing, store queries, checking, templates; no network). Aim: every page under "
        f"{AIM_MS} ms at p95.",
        "",
        "| page | p50 ms | p95 ms | max ms | bytes |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {name} | {p50:.1f} | {p95:.1f} | {worst:.1f} | {size:,} |" for name, p50, p95, worst, size in rows]
    lines += ["", "Every page is under the aim." if not slow else "Over the aim at p95: " + ", ".join(slow) + "."]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_section(text)
        print(f"wrote the Pages section of {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
