"""Scale: per-node figures of an Elasticsearch cluster, for a paper estimate of larger clusters (issue 14).

    scripts/elasticsearch cluster start --nodes 3
    .venv/bin/python bench/cluster.py [--url http://127.0.0.1:9211,...] [--shards 3] [--replicas 1]
                                      [--passages 50000] [--claims 100] [--seconds 20] [--json-out FILE]

1. Extraction: the Wikinews corpus (120 documents, ../shared/data) through the project's extractor once
   (documents/s of extraction alone: what an ingest on these cores is bound by).
2. Writes: copies of the extracted documents (each its own id) written with store.add_sources in batches of 32
   (as `ingest` writes them) until the store holds --passages passages: documents/s and passages/s of the
   cluster's writes, replicas included.
3. Sizes: `_cat/shards` and `_stats` of the passages index after a refresh: bytes per passage (primaries, and
   with replicas), shard sizes, documents per shard; JVM heap used per node.
4. Checks: --claims claims (speed.py's: stored sentences, a third with a number and a third with a date word
   changed) through check_claim, one at a time: p50/p95 of the whole check and of its store searches.
5. Retrieval throughput: the same claims' store.search (the passage query a check sends) from 4 threads for
   --seconds seconds: searches/s the cluster answers.

The indexes (random prefix) are deleted at the end. Run on a loaded machine, the absolute figures are inflated:
note `uptime` beside them.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from speed import (DEFAULT_DATA, build_claims, check_phase, copy_record, load_documents, log,  # noqa: E402
                   percentile, pre_extract)

from factcheck.config import Config  # noqa: E402
from factcheck.ingest import validate_record  # noqa: E402
from factcheck.store.elastic import ElasticStore  # noqa: E402

DEFAULT_URL = "http://127.0.0.1:9211,http://127.0.0.1:9212,http://127.0.0.1:9213"
BATCH = 32
FIELDS = ("id", "text", "url", "publisher", "published_at", "title")


def write_phase(store, docs, extracted, target: int) -> dict:
    """Write copies of the extracted documents in batches until the store holds `target` passages."""
    config = Config()
    seconds, passages, added, copy = 0.0, 0, 0, 1
    batch = []

    def flush():
        nonlocal seconds, passages, added
        started = time.perf_counter()
        results = store.add_sources(batch)
        seconds += time.perf_counter() - started
        for (source, copies), result in zip(batch, results):
            if result is True:
                added += 1
                passages += len(copies)
        batch.clear()

    while passages < target:
        for doc, doc_passages in zip(docs, extracted):
            source = validate_record(copy_record(doc, copy), config)
            batch.append((source, [dataclasses.replace(p, source_id=source.id) for p in doc_passages]))
            if len(batch) >= BATCH:
                flush()
                if passages >= target:
                    break
        copy += 1
        log(f"  {passages:,} passages written ({passages / seconds:,.0f}/s)")
    if batch:
        flush()
    return {"docs": added, "passages": passages, "seconds": round(seconds, 1),
            "docs_per_s": round(added / seconds, 1), "passages_per_s": round(passages / seconds, 1)}


def size_phase(store) -> dict:
    es = store.es
    store.refresh_indexes()
    index = store._concrete("passages")
    stats = es.indices.stats(index=index, metric="docs,store").body["indices"][index]
    docs = stats["primaries"]["docs"]["count"]
    primary_bytes = stats["primaries"]["store"]["size_in_bytes"]
    total_bytes = stats["total"]["store"]["size_in_bytes"]
    shards = es.cat.shards(index=index, format="json", bytes="b").body
    nodes = es.nodes.stats(metric="jvm").body["nodes"]
    return {
        "index": index, "passages": docs, "primary_bytes": primary_bytes, "total_bytes": total_bytes,
        "bytes_per_passage_primary": round(primary_bytes / docs, 1),
        "bytes_per_passage_total": round(total_bytes / docs, 1),
        "shards": [{"shard": s["shard"], "prirep": s["prirep"], "node": s["node"], "docs": int(s["docs"] or 0),
                    "bytes": int(s["store"] or 0)} for s in shards],
        "heap_used_mb": {n["name"]: round(n["jvm"]["mem"]["heap_used_in_bytes"] / 2**20)
                         for n in nodes.values()},
    }


def throughput_phase(store, claims, seconds: float, threads: int = 4) -> dict:
    """store.search for the claims from several threads: searches/s and their latencies."""
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def run(offset):
        number = offset
        while time.monotonic() < stop:
            item = claims[number % len(claims)]
            number += threads
            started = time.perf_counter()
            store.search(item["claim"], limit=160)
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    return {"threads": threads, "searches": len(ordered), "seconds": round(elapsed, 1),
            "searches_per_s": round(len(ordered) / elapsed, 1), "p50_ms": round(percentile(ordered, 50), 1),
            "p95_ms": round(percentile(ordered, 95), 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("ELASTICSEARCH_URL") or DEFAULT_URL)
    parser.add_argument("--shards", type=int, default=3, help="primary shards of the passages index")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--passages", type=int, default=50_000)
    parser.add_argument("--claims", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--json-out")
    parser.add_argument("--extracted", help="a pickle of the extracted corpus: written once, then read back "
                                            "(the extraction figure is the one of the run that wrote it)")
    args = parser.parse_args(argv)

    store = ElasticStore(args.url, prefix="bench-cluster-" + uuid.uuid4().hex[:8], refresh=False,
                         request_timeout=60, shards={"passages": args.shards}, replicas=args.replicas)
    health = store.wait_until_ready("60s")
    result = {"url": args.url, "nodes": health["number_of_nodes"], "shards": args.shards,
              "replicas": args.replicas, "load_before": os.getloadavg()}
    try:
        store.ensure_indexes()
        docs = [{k: v for k, v in doc.items() if k in FIELDS} for doc in load_documents(args.data)]
        if args.extracted and os.path.exists(args.extracted):
            with open(args.extracted, "rb") as handle:
                extracted, seconds = pickle.load(handle)
        else:
            log(f"extracting {len(docs)} documents")
            extracted, seconds = pre_extract(docs)
            if args.extracted:
                with open(args.extracted, "wb") as handle:
                    pickle.dump((extracted, seconds), handle)
        result["extraction"] = {"docs": len(docs), "seconds": round(seconds, 1),
                                "docs_per_s": round(len(docs) / seconds, 1),
                                "passages": sum(len(p) for p in extracted)}
        log(f"writing until {args.passages:,} passages")
        result["writes"] = write_phase(store, docs, extracted, args.passages)
        result["sizes"] = size_phase(store)
        claims = build_claims(docs, extracted, args.claims + 5)
        log(f"checking {args.claims} claims")
        result["checks"] = check_phase(store, claims[5:], claims[:5])
        result["checks"].pop("slowest", None)
        log(f"searching from 4 threads for {args.seconds:.0f} s")
        result["search_throughput"] = throughput_phase(store, claims, args.seconds)
        result["load_after"] = os.getloadavg()
    finally:
        names = list(store.es.indices.get(index=f"{store.prefix}-*", expand_wildcards="all"))
        if names:
            store.es.indices.delete(index=",".join(names))
        store.close()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
