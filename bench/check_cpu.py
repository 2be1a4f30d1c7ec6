"""CPU per check through the API, in one process: `POST /api/v1/checks` (check, save, earlier checks) and
`check_claim` alone, on an Elasticsearch store of the Wikinews corpus.

    .venv/bin/python bench/check_cpu.py [--claims 50] [--profile] [--data ../shared/data]

The 120 Wikinews documents are ingested into a fresh index prefix (ELASTICSEARCH_URL, ELASTICSEARCH_TEST_URL or
http://127.0.0.1:9200; deleted at the end); claims are made from their sentences as bench/speed.py makes them. After
10 warm-up requests, --claims requests go through the Flask test client with an API key, then --claims other claims
through `check_claim` alone. Reported: wall and CPU (`time.process_time`: this process, the node's CPU not
included) per check. --profile: the requests once more under cProfile, top functions by cumulative and own time.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from speed import DEFAULT_DATA, es_url, wikinews_on_elasticsearch  # noqa: E402

from factcheck import create_app, keys  # noqa: E402
from factcheck.check import check_claim  # noqa: E402
from factcheck.store.elastic import ElasticStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--data", default=DEFAULT_DATA)
    args = parser.parse_args()

    prefix = "bench-cpu-" + uuid.uuid4().hex[:8]
    store = ElasticStore(es_url(), prefix=prefix)
    try:
        docs, _, claims = wikinews_on_elasticsearch(store, args.data, 10 + 2 * args.claims)
        work = tempfile.mkdtemp(prefix="bench-cpu-")
        os.environ.update({"ELASTICSEARCH_URL": es_url(), "FACTCHECK_INDEX_PREFIX": prefix,
                           "FACTCHECK_ADMIN_DB": os.path.join(work, "admin.db"), "FACTCHECK_DEMO": "0",
                           "FACTCHECK_RATE_LIMIT": "0"})
        app = create_app()
        token = keys.create_key(app.extensions["factcheck_admin"], "bench", "client")[1]
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def post(claim: dict) -> None:
            answer = client.post("/api/v1/checks", json={"claim": claim["claim"], "claim_date": claim["claim_date"]},
                                 headers=headers)
            if answer.status_code != 201:
                raise SystemExit(f"check failed: {answer.status_code} {answer.data[:300]!r}")

        for claim in claims[:10]:
            post(claim)
        timed = claims[10:10 + args.claims]
        wall, cpu = time.perf_counter(), time.process_time()
        for claim in timed:
            post(claim)
        api = ((time.perf_counter() - wall) / len(timed) * 1000, (time.process_time() - cpu) / len(timed) * 1000)
        alone_claims = claims[10 + args.claims:]
        wall, cpu = time.perf_counter(), time.process_time()
        for claim in alone_claims:
            check_claim(store, claim["claim"], claim["claim_date"])
        alone = ((time.perf_counter() - wall) / len(alone_claims) * 1000,
                 (time.process_time() - cpu) / len(alone_claims) * 1000)
        print(f"{len(docs)} documents, {len(timed)} + {len(alone_claims)} claims, load average "
              f"{os.getloadavg()[0]:.2f}")
        print(f"POST /api/v1/checks: wall {api[0]:.1f} ms, CPU {api[1]:.1f} ms per check")
        print(f"check_claim alone:   wall {alone[0]:.1f} ms, CPU {alone[1]:.1f} ms per check")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for claim in timed:
                post(claim)
            profile.disable()
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
    finally:
        store.es.options(ignore_status=404).indices.delete(index=f"{prefix}-*")


if __name__ == "__main__":
    main()
