"""Where the Elasticsearch node spends its CPU in a check: each store call of a check alone, repeated over the
claims, with the node's CPU seconds read from /proc before and after (the node `scripts/elasticsearch` started on
the URL's port; a node started otherwise reads as 0).

    .venv/bin/python bench/es_node_cpu.py

The 120 Wikinews documents are ingested into a fresh index prefix (deleted at the end), 100 claims made from their
sentences as bench/speed.py makes them, 30 checks saved (for the repeat search); then per call type: node CPU and
wall ms per call (3 passes over the claims; `check_claim` 1 pass), and the bare passage query without the source
reads, with and without the passages' _source and vectors, for comparison. `candidates` is what a check calls
since stop 20 (both queries in one msearch, their sources in one mget).
"""
import os
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from serving import node_cpu_seconds  # noqa: E402
from speed import DEFAULT_DATA, es_url, wikinews_on_elasticsearch  # noqa: E402

from factcheck import repeat  # noqa: E402
from factcheck.check import check_claim  # noqa: E402
from factcheck.compare import checkable_dates  # noqa: E402
from factcheck.extract import analyse_claim, sentence_vectors  # noqa: E402
from factcheck.store.elastic import ElasticStore  # noqa: E402
from factcheck.textutil import index_terms  # noqa: E402


def main() -> None:
    prefix = "bench-node-" + uuid.uuid4().hex[:8]
    store = ElasticStore(es_url(), prefix=prefix)
    try:
        docs, _, claims = wikinews_on_elasticsearch(store, DEFAULT_DATA, 100)
        analyses = [analyse_claim(c["claim"], c["claim_date"]) for c in claims]
        vectors = sentence_vectors([c["claim"] for c in claims])
        for claim in claims[:30]:
            repeat.save_check(store, check_claim(store, claim["claim"], claim["claim_date"]))
        store.es.indices.refresh(index=f"{prefix}-*")
        print(f"{len(docs)} documents, {len(claims)} claims, node CPU read: {node_cpu_seconds() > 0}")

        def measure(name, call, passes=3):
            cpu, start = node_cpu_seconds(), time.perf_counter()
            for _ in range(passes):
                for i, analysis in enumerate(analyses):
                    call(i, analysis)
            calls = passes * len(analyses)
            print(f"{name:32s} node CPU {1000 * (node_cpu_seconds() - cpu) / calls:6.1f} ms/call  "
                  f"wall {1000 * (time.perf_counter() - start) / calls:6.1f} ms")

        def query(analysis):
            dates = checkable_dates(analysis.dates)
            return dict(entities=[e.key for e in analysis.entities],
                        date_from=min((d.range_start for d in dates), default=None),
                        date_to=max((d.range_end for d in dates), default=None), limit=40)

        def search(i, analysis):
            store.search(analysis.text, **query(analysis))

        def bare(source):
            def call(i, analysis):
                store.es.search(index=store.alias("passages"), size=40, source=source,
                                query={"match": {"terms": {"query": index_terms(analysis.text)}}})
            return call

        measure("search (query + source reads)", search)
        measure("nearest (kNN + source reads)", lambda i, a: store.nearest(vectors[i], limit=20))
        measure("candidates (both, sources once)",
                lambda i, a: store.candidates(a.text, vectors[i], **query(a), nearest_limit=20))
        measure("nearest_checks", lambda i, a: store.nearest_checks(vectors[i], limit=20))
        measure("search_checks", lambda i, a: store.search_checks(a.text, limit=20))
        measure("check_claim, whole", lambda i, a: check_claim(store, a.text, claims[i]["claim_date"]), 1)
        measure("bare query, no _source", bare(False))
        measure("bare query, _source, no vector", bare(["doc", "source_id", "source_revision"]))
        measure("bare query, _source + vector", bare(["doc", "source_id", "source_revision", "vector"]))
    finally:
        store.es.options(ignore_status=404).indices.delete(index=f"{prefix}-*")


if __name__ == "__main__":
    main()
