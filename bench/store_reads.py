"""Reads that must not grow with the corpus (issue 14): checks on one huge source, and the sources listing deep down.

    .venv/bin/python bench/store_reads.py big-source [--store sqlite|elasticsearch|both] [--copies 1000]
                                                     [--claims 100] [--data ../shared/data]
    .venv/bin/python bench/store_reads.py listing --db FILE [-n 30] [--at 2000]

big-source: the Wikinews corpus is extracted once; its documents are repeated to --copies sources (copy_record,
as bench/speed.py) and stored twice: as --copies small sources, and as ONE source whose text is all of theirs
joined (about 1.7 MB for 1,000 copies) with the same passages (offsets moved to where they sit in the long text).
The same claims (bench/speed.py's build_claims) are checked on each store after 5 warm-up checks; p50 / p95 of
check_claim in ms, and the verdicts, which should agree. Elasticsearch: ELASTICSEARCH_URL or
http://127.0.0.1:9200, a random prefix whose indexes are deleted at the end.

listing: the web page /sources (Flask test client, the whole app) and store.list_sources on an existing SQLite
store (e.g. one made by `bench/speed.py --db`): page --at/20+1 by number (OFFSET) and the same page by cursor
(the Next links' keyset position); p50 / p95 over -n requests after one warm-up.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import speed  # noqa: E402  (bench/speed.py: corpus, claims, percentiles)
from factcheck.check import check_claim  # noqa: E402
from factcheck.config import Config  # noqa: E402
from factcheck.ingest import add_sources, validate_record  # noqa: E402
from factcheck.models import Source  # noqa: E402

WARMUP = 5


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def corpus_sources(docs: list[dict], extracted: list, copies: int) -> list[tuple[Source, list]]:
    """`copies` small sources (copies of the corpus documents in turn) with their passages."""
    config = Config()
    out = []
    for number in range(copies):
        doc, done = docs[number % len(docs)], extracted[number % len(docs)]
        copy = number // len(docs)
        first = doc["text"].partition("\n")[0]
        delta = len(f" (copy {copy})")
        source = validate_record(speed.copy_record(doc, copy), config)
        source.title_vector = done.title_vector
        passages = [dataclasses.replace(p, source_id=source.id, start=p.start + (delta if p.start >= len(first) else 0),
                                        end=p.end + (delta if p.start >= len(first) else 0), vector=p.vector)
                    for p in done.passages]
        out.append((source, passages))
    return out


def one_long_source(small: list[tuple[Source, list]]) -> tuple[Source, list]:
    """The small sources' texts joined into one source, with all their passages at their places in it."""
    parts, passages, at = [], [], 0
    for source, items in small:
        for p in items:
            if source.text[p.start:p.end] != p.text:
                continue  # the headline sentence of a copy (its text lacks " (copy N)")
            passages.append(dataclasses.replace(p, source_id="long-source", index=len(passages),
                                                start=p.start + at, end=p.end + at, vector=p.vector))
        parts.append(source.text)
        at += len(source.text) + 2
    text = "\n\n".join(parts)
    first = small[0][0]
    long = Source(id="long-source", text=text, content_hash="long-" + str(len(text)), url=first.url,
                  publisher=first.publisher, published_at=first.published_at, title=first.title)
    long.title_vector = first.title_vector
    return long, passages


def open_store(kind: str, folder: str, name: str):
    if kind == "sqlite":
        from factcheck.store.sqlite import SqliteStore

        return SqliteStore(os.path.join(folder, name + ".db"))
    from factcheck.store.elastic import ElasticStore

    store = ElasticStore(speed.es_url(), prefix=f"bench-reads-{name}-" + uuid.uuid4().hex[:6], refresh=False)
    store.ensure_indexes()
    return store


def timed_checks(store, claims: list[dict]) -> tuple[list[float], list[str]]:
    for item in claims[:WARMUP]:
        check_claim(store, item["claim"], claim_date=item["claim_date"])
    latencies, verdicts = [], []
    for item in claims[WARMUP:]:
        started = time.perf_counter()
        verdict = check_claim(store, item["claim"], claim_date=item["claim_date"])
        latencies.append((time.perf_counter() - started) * 1000)
        verdicts.append(verdict.verdict)
    return latencies, verdicts


def big_source(args) -> int:
    import factcheck.extract as extract_module

    docs = speed.load_documents(args.data)
    config = Config()
    log("extracting the corpus once")
    extracted = extract_module.extract_sources([validate_record(doc, config) for doc in docs])
    small = [item for item in corpus_sources(docs, extracted, args.copies) if item[1]]
    long = one_long_source(small)
    claims = speed.build_claims(docs, [done.passages for done in extracted], args.claims + WARMUP)
    log(f"{len(small)} small sources, {sum(len(p) for _, p in small):,} passages; one source of "
        f"{len(long[0].text) / 1e6:.2f} MB with {len(long[1]):,} passages; {args.claims} claims")
    print(f"started {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}, code {speed.code_version()}")
    print()
    print("| store | layout | check p50 (ms) | check p95 (ms) | verdicts |")
    print("| --- | --- | ---: | ---: | --- |")
    kinds = ["sqlite", "elasticsearch"] if args.store == "both" else [args.store]
    folder = tempfile.mkdtemp(prefix="factcheck-reads-")
    try:
        for kind in kinds:
            found = {}
            for name, batch in (("small", small), ("long", [long])):
                store = open_store(kind, folder, name)
                try:
                    for at in range(0, len(batch), 64):
                        results = add_sources(store, batch[at:at + 64])
                        if not all(r is True for r in results):
                            raise SystemExit(f"{kind}: could not store {name}: {results[:3]}")
                    if kind == "elasticsearch":
                        store.refresh_indexes()
                    latencies, verdicts = timed_checks(store, claims)
                finally:
                    if kind == "elasticsearch":
                        speed.drop_store(store, kind)
                    else:
                        store.close()
                found[name] = verdicts
                ordered = sorted(latencies)
                counts = ", ".join(f"{v} {verdicts.count(v)}" for v in sorted(set(verdicts)))
                layout = f"{len(batch):,} sources" if name == "small" else \
                    f"1 source of {len(long[0].text) / 1e6:.2f} MB"
                print(f"| {kind} | {layout} | {speed.percentile(ordered, 50):.1f} | "
                      f"{speed.percentile(ordered, 95):.1f} | {counts} |", flush=True)
            same = sum(a == b for a, b in zip(found["small"], found["long"]))
            print(f"\n{kind}: {same} of {len(found['small'])} claims get the same verdict on both layouts\n")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def listing(args) -> int:
    from factcheck import create_app
    from factcheck.schemas import make_cursor
    from factcheck.store.base import source_position

    folder = tempfile.mkdtemp(prefix="factcheck-listing-")
    try:
        app = create_app({"store_url": f"sqlite:///{args.db}", "elasticsearch_url": None, "load_demo": False,
                          "admin_db": os.path.join(folder, "admin.db"), "secret_key": "bench"})
        store = app.extensions["factcheck_store"]
        client = app.test_client()
        page_size = 20
        page = args.at // page_size + 1
        before = store.list_sources(limit=1, offset=args.at - 1)[0]
        cursor = make_cursor(source_position(before))
        cases = [
            (f"store.list_sources(offset={args.at}, limit=21)",
             lambda: store.list_sources(limit=page_size + 1, offset=args.at)),
            ("store.list_sources(after=<position>, limit=21)",
             lambda: store.list_sources(limit=page_size + 1, after=source_position(before))),
            (f"GET /sources?page={page} (offset {args.at})", lambda: client.get("/sources", query_string={"page": page})),
            ("GET /sources?cursor=<the Next link's> (same page)",
             lambda: client.get("/sources", query_string={"page": page, "cursor": cursor})),
        ]
        same = [s.id for s in cases[0][1]()] == [s.id for s in cases[1][1]()]
        print(f"started {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, load average "
              f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}, code {speed.code_version()}; "
              f"{store.stats()['sources']:,} sources, {store.stats()['passages']:,} passages; "
              f"offset and cursor give the same page: {same}")
        print()
        print("| request | p50 (ms) | p95 (ms) |")
        print("| --- | ---: | ---: |")
        for name, call in cases:
            result = call()
            if getattr(result, "status_code", 200) != 200:
                raise SystemExit(f"{name}: HTTP {result.status_code}")
            times = []
            for _ in range(args.n):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            print(f"| {name} | {statistics.median(times):.1f} | {speed.percentile(times, 95):.1f} |", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    big = commands.add_parser("big-source", help="checks on one huge source vs many small ones")
    big.add_argument("--store", choices=["sqlite", "elasticsearch", "both"], default="both")
    big.add_argument("--copies", type=int, default=1000)
    big.add_argument("--claims", type=int, default=100)
    big.add_argument("--data", default=speed.DEFAULT_DATA)
    lister = commands.add_parser("listing", help="/sources deep down by offset and by cursor")
    lister.add_argument("--db", required=True)
    lister.add_argument("-n", type=int, default=30)
    lister.add_argument("--at", type=int, default=2000)
    args = parser.parse_args(argv)
    return big_source(args) if args.command == "big-source" else listing(args)


if __name__ == "__main__":
    sys.exit(main())
