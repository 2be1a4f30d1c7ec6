"""Speed: ingest throughput, memory as the corpus grows, and check latency on a store of 100,000+ passages.

    .venv/bin/python bench/speed.py [--store sqlite|elasticsearch|both] [--docs 10000] [--passages 100000]
                                    [--claims 200] [--quick] [--data ../shared/data] [--json-out FILE]
    .venv/bin/python bench/speed.py --report sqlite.json elasticsearch.json   # side by side from saved runs

1. Ingest: the Wikinews corpus (120 documents) is repeated to --docs documents, each copy with its own id
   (`<id>-c00017`) and text (the headline line gets " (copy 17)"), streamed from a generator through the real
   `ingest_records` path into a fresh store. Reports documents/s, sentences/s (passages stored), the time spent in
   extraction vs `store.add_source`, and RSS (peak from getrusage, current from /proc/self/statm at checkpoints).
2. Check latency: the store is grown with more copies until it holds --passages passages; then --claims claims
   (stored sentences picked with a fixed seed, a third with a number changed and a third with a date word
   changed) go through `check_claim` after a few warm-up calls; p50/p95/p99/max in ms. The slowest claim is run
   once more under cProfile and its top functions are printed.
3. Bulk write: a sample of documents is extracted once, then copies are written with `store.add_source` alone,
   so the storage backends can be compared without the (identical) extraction cost.

Iterating on check latency: `--db FILE` keeps the SQLite store in FILE (created when missing, reused when
present, never deleted). A store with fewer than --passages passages is filled the fast way: the corpus is
extracted once and copies (`copy_record`, offsets after the marked headline shifted to match) are written with
`ingest.add_sources` alone, so a 150,000-passage store takes a minute or two instead of the ingest's ~10
minutes. The stored passages, vectors and titles are those ingest stores (the headline sentence keeps the
original's text without " (copy N)"). With --db only the check phase (and its profile) runs. `--es-prefix P`
does the same with an Elasticsearch store kept under the index prefix P.

    .venv/bin/python bench/speed.py --db /tmp/speed-150k.db --passages 150000 --claims 200
    .venv/bin/python bench/speed.py --es-prefix bench-kept-150k --passages 150000 --claims 200

Elasticsearch: ELASTICSEARCH_URL, ELASTICSEARCH_TEST_URL or http://127.0.0.1:9200; a random index prefix whose
indexes are deleted at the end. `--store both` runs each backend in its own process (so the RSS figures are
separate) and prints the figures side by side.
"""
from __future__ import annotations

import argparse
import cProfile
import dataclasses
import json
import math
import os
import pstats
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import factcheck.extract as extract_module  # noqa: E402
import factcheck.ingest as ingest_module  # noqa: E402
from factcheck.check import check_claim  # noqa: E402
from factcheck.config import Config  # noqa: E402
from factcheck.ingest import ingest_records, validate_record  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SEED = 20240514
WARMUP = 5
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DATE_WORD = re.compile(r"\b(" + "|".join(MONTHS + WEEKDAYS) + r")\b")
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?!\w)")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mb() -> float:
    """Current resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE_SIZE / 1e6


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (getrusage maxrss is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(q / 100 * len(sorted_values)) - 1)]


# ---------------------------------------------------------------------------------------------------------------
# Corpus


def load_documents(data_dir: str) -> list[dict]:
    """The corpus records with the fields a source has (ingest refuses unknown ones such as "licence")."""
    with open(os.path.join(data_dir, "wikinews-meantime", "documents.jsonl"), encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return [{k: v for k, v in record.items() if k in ingest_module.RECORD_FIELDS} for record in records]


def copy_record(doc: dict, copy: int) -> dict:
    """A distinct copy of a document: its own id and a marked headline, so re-ingest is not a no-op."""
    first, newline, rest = doc["text"].partition("\n")
    return {**doc, "id": f"{doc['id']}-c{copy:05d}", "text": f"{first} (copy {copy}){newline}{rest}"}


def repeated_records(docs: list[dict], first_copy: int, keep_going):
    """Copies of the corpus, document by document, from copy `first_copy` on, while keep_going() is true."""
    copy = first_copy
    while True:
        for doc in docs:
            if not keep_going():
                return
            yield copy_record(doc, copy)
        copy += 1


# ---------------------------------------------------------------------------------------------------------------
# Stores


def es_url() -> str:
    return os.environ.get("ELASTICSEARCH_URL") or os.environ.get("ELASTICSEARCH_TEST_URL") or "http://127.0.0.1:9200"


def open_store(kind: str, workdir: str):
    if kind == "sqlite":
        from factcheck.store.sqlite import SqliteStore

        return SqliteStore(os.path.join(workdir, "speed.db"))
    from factcheck.store.elastic import ElasticStore

    store = ElasticStore(es_url(), prefix="bench-speed-" + uuid.uuid4().hex[:8], refresh=False)
    if hasattr(store, "wait_until_ready"):
        store.wait_until_ready()
    return store


def refresh_store(store, kind: str) -> None:
    """Make every write visible to search (Elasticsearch writes without refresh during the bulk ingest)."""
    if kind == "elasticsearch":
        store.es.indices.refresh(index=f"{store.prefix}-*")


def drop_store(store, kind: str) -> None:
    """Delete the benchmark's Elasticsearch indexes (the store's own cleanup if it has one)."""
    try:
        if kind != "elasticsearch":
            return
        for name in ("drop_indexes", "delete_indexes", "drop"):
            if hasattr(store, name):
                getattr(store, name)()
                log(f"dropped the {store.prefix}-* indexes with store.{name}()")
                return
        # wildcard deletes may be refused (action.destructive_requires_name): name each concrete index
        names = sorted(store.es.indices.get(index=f"{store.prefix}-*").body)
        if names:
            store.es.indices.delete(index=",".join(names))
        log(f"deleted {len(names)} indexes: {', '.join(names)}")
    finally:
        store.close()


class TimedStore:
    """Pass-through to a store that times add_source and has_source and counts the passages written."""

    def __init__(self, store):
        self._store = store
        self.add_seconds = 0.0
        self.has_seconds = 0.0
        self.passages = 0

    def add_source(self, source, passages) -> bool:
        started = time.perf_counter()
        try:
            added = self._store.add_source(source, passages)
        finally:
            self.add_seconds += time.perf_counter() - started
        if added:
            self.passages += len(passages)
        return added

    def add_sources(self, batch) -> list:
        """Timed like add_source; present only when the store has it (ingest looks for it)."""
        started = time.perf_counter()
        try:
            results = ingest_module.add_sources(self._store, batch)
        finally:
            self.add_seconds += time.perf_counter() - started
        self.passages += sum(len(passages) for (_, passages), ok in zip(batch, results) if ok is True)
        return results

    def source_heads(self, source_ids):
        started = time.perf_counter()
        try:
            return ingest_module.source_heads(self._store, source_ids)
        finally:
            self.has_seconds += time.perf_counter() - started

    def has_source(self, source_id: str) -> bool:
        started = time.perf_counter()
        try:
            return self._store.has_source(source_id)
        finally:
            self.has_seconds += time.perf_counter() - started

    def __getattr__(self, name):
        return getattr(self._store, name)


class RetrievalTimer:
    """Pass-through to a store that adds the time spent in retrieval (store.candidates: the full-text and the
    vector query with their passages' sources; before 2240371 this timed store.search alone) to `seconds`."""

    def __init__(self, store):
        self._store = store
        self.seconds = 0.0

    def candidates(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self._store.candidates(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started

    def __getattr__(self, name):
        return getattr(self._store, name)


class TimedExtraction:
    """Times `factcheck.extract.extract_sources` (ingest looks it up on the package at call time)."""

    def __init__(self):
        self.seconds = 0.0
        self._original = extract_module.extract_sources

    def __enter__(self):
        original = self._original

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        extract_module.extract_sources = timed
        return self

    def __exit__(self, *exc):
        extract_module.extract_sources = self._original


# ---------------------------------------------------------------------------------------------------------------
# Phases


def ingest_phase(store, docs: list[dict], n_docs: int, checkpoint_every: int) -> dict:
    """Ingest n_docs copies through ingest_records; checkpoints of speed and current RSS."""
    timed = TimedStore(store)
    config = Config()
    state = {"seen": 0, "failed": 0}
    checkpoints = []
    started = time.perf_counter()
    last = {"t": started, "docs": 0}
    tty = sys.stderr.isatty()

    def progress(item: str, outcome: str) -> None:
        state["seen"] += 1
        if outcome == "failed":
            state["failed"] += 1
        seen = state["seen"]
        now = time.perf_counter()
        if tty and seen % 20 == 0:
            print(f"\r  ingest {seen:,}/{n_docs:,} docs, {timed.passages:,} passages, "
                  f"{seen / (now - started):.1f} docs/s", end="", file=sys.stderr, flush=True)
        if seen % checkpoint_every == 0 or seen == n_docs:
            row = {"docs": seen, "passages": timed.passages, "elapsed_s": round(now - started, 2),
                   "docs_per_s": round(seen / (now - started), 2),
                   "interval_docs_per_s": round((seen - last["docs"]) / (now - last["t"]), 2),
                   "rss_mb": round(rss_mb(), 1)}
            last.update(t=now, docs=seen)
            checkpoints.append(row)
            if tty:
                print(file=sys.stderr)
            log(f"  checkpoint {row['docs']:>6,} docs  {row['passages']:>8,} passages  {row['elapsed_s']:8.1f} s"
                f"  {row['docs_per_s']:6.1f} docs/s (interval {row['interval_docs_per_s']:.1f})"
                f"  RSS {row['rss_mb']:.0f} MB")

    count = {"n": 0}

    def keep_going() -> bool:
        count["n"] += 1
        return count["n"] <= n_docs

    rss_before = rss_mb()
    with TimedExtraction() as extraction:
        report = ingest_records(timed, repeated_records(docs, 0, keep_going), config, progress=progress)
    elapsed = time.perf_counter() - started
    if report.failed:
        log(f"  {report.failed} documents failed, first errors: {report.errors[:3]}")
    return {
        "docs": state["seen"], "added": report.added, "failed": report.failed, "passages": timed.passages,
        "seconds": round(elapsed, 2), "docs_per_s": round(report.added / elapsed, 2),
        "sentences_per_s": round(timed.passages / elapsed, 1),
        "extract_seconds": round(extraction.seconds, 2), "add_source_seconds": round(timed.add_seconds, 2),
        "has_source_seconds": round(timed.has_seconds, 2),
        "other_seconds": round(elapsed - extraction.seconds - timed.add_seconds - timed.has_seconds, 2),
        "rss_before_mb": round(rss_before, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
        "checkpoints": checkpoints, "next_copy": -(-state["seen"] // len(docs)),
    }


def grow_phase(store, docs: list[dict], first_copy: int, have: int, target: int) -> dict:
    """Ingest more copies (from first_copy on) until the store holds at least `target` passages."""
    if have >= target:
        return {"docs": 0, "passages": 0, "seconds": 0.0}
    timed = TimedStore(store)
    started = time.perf_counter()
    log(f"  growing the store from {have:,} to {target:,} passages")
    report = ingest_records(timed, repeated_records(docs, first_copy, lambda: have + timed.passages < target),
                            Config())
    return {"docs": report.added, "passages": timed.passages, "seconds": round(time.perf_counter() - started, 2)}


def fill_by_copies(store, docs: list[dict], target: int, batch: int = 64) -> dict:
    """Grow the store to `target` passages with copies of the corpus written by ingest.add_sources alone (the
    corpus extracted once); copy numbers continue after those already stored."""
    have = store.stats()["passages"]
    if have >= target:
        return {"docs": 0, "passages": 0, "seconds": 0.0}
    config = Config()
    started = time.perf_counter()
    originals = [validate_record(doc, config) for doc in docs]
    extracted = extract_module.extract_sources(originals)
    copy = store.stats()["sources"] // len(docs) + 1
    added_docs = added_passages = 0
    pending: list = []

    def flush() -> None:
        nonlocal added_docs, added_passages
        results = ingest_module.add_sources(store, pending)
        for (_, passages), ok in zip(pending, results):
            if ok is True:
                added_docs += 1
                added_passages += len(passages)
        pending.clear()

    log(f"  filling the store from {have:,} to {target:,} passages with written copies")
    while have + added_passages < target:
        for doc, original, done in zip(docs, originals, extracted):
            if have + added_passages + sum(len(p) for _, p in pending) >= target:
                break
            if done.error:
                continue
            first = doc["text"].partition("\n")[0]
            delta = len(f" (copy {copy})")
            source = validate_record(copy_record(doc, copy), config)
            source.title_vector = done.title_vector
            passages = []
            for p in done.passages:
                shift = delta if p.start >= len(first) else 0
                passages.append(dataclasses.replace(p, source_id=source.id, start=p.start + shift,
                                                    end=p.end + shift, vector=p.vector))
            pending.append((source, passages))
            if len(pending) >= batch:
                flush()
        flush()
        copy += 1
    return {"docs": added_docs, "passages": added_passages, "seconds": round(time.perf_counter() - started, 2)}


def pre_extract(docs: list[dict]) -> tuple[list[list], float]:
    """Each document's passages, extracted once; and the seconds that took."""
    started = time.perf_counter()
    extracted = [extract_module.extract_passages(d["id"], d["text"], d.get("published_at")) for d in docs]
    return extracted, time.perf_counter() - started


def alter_number(sentence: str, rng: random.Random):
    match = _NUMBER.search(sentence)
    if not match:
        return None
    whole = int(match.group(1).replace(",", ""))
    changed = whole + rng.choice([1, 2, 3, 5, 10]) if whole < 1900 or whole > 2100 else whole + rng.choice([-2, -1, 1])
    text = f"{changed:,}" if "," in match.group(1) else str(changed)
    if match.group(2):
        text += "." + match.group(2)
    return sentence[:match.start()] + text + sentence[match.end():]


def alter_date_word(sentence: str, rng: random.Random):
    match = _DATE_WORD.search(sentence)
    if not match:
        return None
    names = MONTHS if match.group(1) in MONTHS else WEEKDAYS
    other = names[(names.index(match.group(1)) + rng.choice([1, 2, -1])) % len(names)]
    return sentence[:match.start()] + other + sentence[match.end():]


def build_claims(docs: list[dict], extracted: list[list], count: int) -> list[dict]:
    """`count` claims from stored sentences, chosen with a fixed seed; a third altered in a number, a third in a
    date word (where the sentence has one), the rest verbatim; claim_date is the source's publication date."""
    rng = random.Random(SEED)
    pool = [(doc, p.text) for doc, passages in zip(docs, extracted) for p in passages
            if 40 <= len(p.text) <= 400 and len(p.text.split()) >= 7]
    chosen = rng.sample(pool, min(count, len(pool)))
    claims = []
    for number, (doc, sentence) in enumerate(chosen):
        kind, text = "verbatim", sentence
        wanted = number % 3
        for attempt in (wanted, (wanted + 1) % 3):
            if attempt == 1 and (altered := alter_number(sentence, rng)):
                kind, text = "number changed", altered
                break
            if attempt == 2 and (altered := alter_date_word(sentence, rng)):
                kind, text = "date word changed", altered
                break
            if attempt == 0:
                break
        claims.append({"claim": " ".join(text.split()), "claim_date": doc.get("published_at"), "kind": kind})
    return claims


def wikinews_on_elasticsearch(store, data_dir: str, claims: int) -> tuple:
    """The Wikinews corpus ingested into an Elasticsearch store on a fresh index prefix (refreshed after), and
    `claims` claims made from its sentences (build_claims): (documents, ingest report, claims). Exits when the
    ingest fails; the caller deletes the prefix's indexes."""
    docs = load_documents(data_dir)
    config = Config(elasticsearch_url=es_url(), index_prefix=store.prefix, load_demo=False)
    report = ingest_records(store, docs, config)
    if report.failed or not report.added:
        raise SystemExit(f"ingest failed: {report.summary()}: {report.errors[:3]}")
    store.es.indices.refresh(index=f"{store.prefix}-*")
    extracted, _ = pre_extract(docs)
    return docs, report, build_claims(docs, extracted, claims)


def check_phase(store, claims: list[dict], warmup: list[dict]) -> dict:
    """Latency of check_claim per call (perf_counter), after warm-up calls."""
    for item in warmup:
        check_claim(store, item["claim"], claim_date=item["claim_date"])
    timed = RetrievalTimer(store)
    latencies, search_ms, verdicts, evidence = [], [], {}, 0
    for number, item in enumerate(claims, start=1):
        timed.seconds = 0.0
        started = time.perf_counter()
        verdict = check_claim(timed, item["claim"], claim_date=item["claim_date"])
        latencies.append((time.perf_counter() - started) * 1000)
        search_ms.append(timed.seconds * 1000)
        verdicts[verdict.verdict] = verdicts.get(verdict.verdict, 0) + 1
        evidence += len(verdict.evidence)
        if number % 50 == 0:
            log(f"  checked {number}/{len(claims)} claims")
    ordered = sorted(latencies)
    slowest = max(range(len(latencies)), key=latencies.__getitem__)
    return {
        "claims": len(claims), "warmup": len(warmup),
        "p50_ms": round(percentile(ordered, 50), 1), "p95_ms": round(percentile(ordered, 95), 1),
        "p99_ms": round(percentile(ordered, 99), 1), "max_ms": round(ordered[-1], 1),
        "mean_ms": round(sum(ordered) / len(ordered), 1), "verdicts": verdicts,
        "search_p50_ms": round(percentile(sorted(search_ms), 50), 1),
        "search_p95_ms": round(percentile(sorted(search_ms), 95), 1),
        "search_mean_ms": round(sum(search_ms) / len(search_ms), 1),
        "rest_p50_ms": round(percentile(sorted(l - s for l, s in zip(latencies, search_ms)), 50), 1),
        "rest_p95_ms": round(percentile(sorted(l - s for l, s in zip(latencies, search_ms)), 95), 1),
        "mean_evidence": round(evidence / len(claims), 2),
        "by_kind_p95_ms": {kind: round(percentile(sorted(l for l, c in zip(latencies, claims) if c["kind"] == kind),
                                                  95), 1)
                           for kind in sorted({c["kind"] for c in claims})},
        "slowest": {**claims[slowest], "ms": round(latencies[slowest], 1)},
    }


def profile_claim(store, item: dict, top: int = 15) -> dict:
    """Run one claim under cProfile; the top functions by own time and by cumulative time."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    check_claim(store, item["claim"], claim_date=item["claim_date"])
    profiler.disable()
    wall = (time.perf_counter() - started) * 1000
    stats = pstats.Stats(profiler)

    def rows(key: str) -> list[dict]:
        entries = []
        for (filename, line, name), (calls, _prim, own, cumulative, _callers) in stats.stats.items():
            short = filename.split("site-packages/")[-1].replace(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__))) + "/", "")
            entries.append({"function": f"{short}:{line}({name})", "calls": calls,
                            "own_ms": round(own * 1000, 1), "cumulative_ms": round(cumulative * 1000, 1)})
        entries.sort(key=lambda e: -e[key])
        return entries[:top]

    return {"claim": item["claim"], "wall_ms_profiled": round(wall, 1), "by_own": rows("own_ms"),
            "by_cumulative": rows("cumulative_ms")}


def bulk_write_phase(store, docs: list[dict], extracted: list[list], n_docs: int, first_copy: int) -> dict:
    """Write pre-extracted copies with store.add_source alone: the storage cost without extraction."""
    config = Config()
    seconds, passages, added = 0.0, 0, 0
    copy = first_copy
    while added < n_docs:
        for doc, doc_passages in zip(docs, extracted):
            if added >= n_docs:
                break
            source = validate_record(copy_record(doc, copy), config)
            copies = [dataclasses.replace(p, source_id=source.id) for p in doc_passages]
            started = time.perf_counter()
            ok = store.add_source(source, copies)
            seconds += time.perf_counter() - started
            if ok:
                added += 1
                passages += len(copies)
        copy += 1
    return {"docs": added, "passages": passages, "seconds": round(seconds, 2),
            "docs_per_s": round(added / seconds, 1), "passages_per_s": round(passages / seconds, 1),
            "ms_per_doc": round(seconds / added * 1000, 2)}


# ---------------------------------------------------------------------------------------------------------------
# One backend


def code_version() -> str:
    """The commit the run used, and which files differed from it (others may be editing the tree)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--name-only", "HEAD", "--", "factcheck", "indexes"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (f" + uncommitted changes to {', '.join(dirty)}" if dirty else "")


def run_checks_on_kept_store(args) -> dict:
    """--db / --es-prefix: fill the kept store if needed, then time the checks on it (no ingest or bulk-write
    phase)."""
    docs = load_documents(args.data)
    extract_module.extract_passages("warmup", docs[0]["text"], docs[0].get("published_at"))
    if args.db:
        from factcheck.store.sqlite import SqliteStore

        kind, store, kept = "sqlite", SqliteStore(args.db), args.db
    else:
        from factcheck.store.elastic import ElasticStore

        kind, kept = "elasticsearch", os.path.join(tempfile.gettempdir(), f"bench-speed-{args.es_prefix}")
        store = ElasticStore(es_url(), prefix=args.es_prefix, refresh=False)
    result: dict = {"store": kind, "code": code_version(), "kept": args.db or args.es_prefix,
                    "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                    "load_average_at_start": os.getloadavg()}
    try:
        result["grow"] = fill_by_copies(store, docs, args.passages)
        refresh_store(store, kind)
        result["store_stats"] = store.stats()
        if args.db:
            result["db_mb"] = round(sum(os.path.getsize(args.db + s) for s in ("", "-wal")
                                        if os.path.exists(args.db + s)) / 1e6, 1)
        cached = kept + f".claims-{args.claims}.json"  # the same claims on every run against this store
        if os.path.exists(cached):
            with open(cached, encoding="utf-8") as handle:
                claims = json.load(handle)
        else:
            extracted, _ = pre_extract(docs)
            claims = build_claims(docs, extracted, args.claims + WARMUP)
            with open(cached, "w", encoding="utf-8") as handle:
                json.dump(claims, handle)
        log(f"[{kind}] check latency: {args.claims} claims on {result['store_stats']['passages']:,} passages")
        result["check"] = check_phase(store, claims[WARMUP:], claims[:WARMUP])
        result["check"]["passages"] = result["store_stats"]["passages"]
        result["profile"] = profile_claim(store, result["check"]["slowest"])
    finally:
        store.close()
    return result


def run_backend(kind: str, args) -> dict:
    docs = load_documents(args.data)
    workdir = tempfile.mkdtemp(prefix="factcheck-speed-")
    log(f"[{kind}] loading the NLP model")
    started = time.perf_counter()
    extract_module.extract_passages("warmup", docs[0]["text"], docs[0].get("published_at"))
    model_load = time.perf_counter() - started
    store = open_store(kind, workdir)
    result: dict = {"store": kind, "model_load_s": round(model_load, 2), "code": code_version(),
                    "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                    "load_average_at_start": os.getloadavg()}
    if kind == "elasticsearch":
        result["prefix"] = store.prefix
        result["url"] = store._display_url if hasattr(store, "_display_url") else es_url()
    try:
        log(f"[{kind}] ingest: {args.docs:,} documents")
        result["ingest"] = ingest_phase(store, docs, args.docs, args.checkpoint)
        refresh_store(store, kind)
        have = store.stats()["passages"]
        log(f"[{kind}] the store holds {have:,} passages")
        result["grow"] = grow_phase(store, docs, result["ingest"]["next_copy"], have, args.passages)
        refresh_store(store, kind)
        result["store_stats"] = store.stats()
        if kind == "sqlite":
            db = os.path.join(workdir, "speed.db")
            result["db_mb"] = round(sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
                                    / 1e6, 1)

        log(f"[{kind}] extracting the {len(docs)} documents once (claims and the bulk-write sample)")
        extracted, extract_seconds = pre_extract(docs)
        result["extract_only"] = {"docs": len(docs), "seconds": round(extract_seconds, 2),
                                  "docs_per_s": round(len(docs) / extract_seconds, 1),
                                  "passages_per_s": round(sum(map(len, extracted)) / extract_seconds, 1)}
        claims = build_claims(docs, extracted, args.claims + WARMUP)
        log(f"[{kind}] check latency: {args.claims} claims on {result['store_stats']['passages']:,} passages")
        result["check"] = check_phase(store, claims[WARMUP:], claims[:WARMUP])
        result["check"]["passages"] = result["store_stats"]["passages"]
        log(f"[{kind}] profiling the slowest claim")
        result["profile"] = profile_claim(store, result["check"]["slowest"])

        log(f"[{kind}] bulk write: {args.bulk_docs:,} pre-extracted documents with add_source alone")
        first_copy = result["ingest"]["next_copy"] + (result["grow"]["docs"] // len(docs)) + 2
        result["bulk_write"] = bulk_write_phase(store, docs, extracted, args.bulk_docs, first_copy)
        result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    finally:
        drop_store(store, kind)
        shutil.rmtree(workdir, ignore_errors=True)
    return result


# ---------------------------------------------------------------------------------------------------------------
# Output


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in row] for row in [headers] + rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def summary_rows(results: list[dict]) -> list[list]:
    def row(label, get):
        values = []
        for r in results:
            try:
                values.append(get(r))
            except (KeyError, TypeError, ZeroDivisionError):
                values.append("-")
        return [label] + values

    return [
        row("documents ingested", lambda r: f"{r['ingest']['added']:,}"),
        row("passages stored by the ingest", lambda r: f"{r['ingest']['passages']:,}"),
        row("ingest wall time (s)", lambda r: r["ingest"]["seconds"]),
        row("ingest documents/s", lambda r: r["ingest"]["docs_per_s"]),
        row("ingest sentences/s", lambda r: r["ingest"]["sentences_per_s"]),
        row("  extraction (s, share)", lambda r: f"{r['ingest']['extract_seconds']} "
            f"({r['ingest']['extract_seconds'] / r['ingest']['seconds']:.0%})"),
        row("  store.add_source (s, share)", lambda r: f"{r['ingest']['add_source_seconds']} "
            f"({r['ingest']['add_source_seconds'] / r['ingest']['seconds']:.0%})"),
        row("  store lookups: source_heads / has_source (s)", lambda r: r["ingest"]["has_source_seconds"]),
        row("  other: validation, generator (s)", lambda r: r["ingest"]["other_seconds"]),
        row("RSS before ingest (MB)", lambda r: r["ingest"]["rss_before_mb"]),
        row("RSS at first / last checkpoint (MB)", lambda r: f"{r['ingest']['checkpoints'][0]['rss_mb']} / "
            f"{r['ingest']['checkpoints'][-1]['rss_mb']}"),
        row("peak RSS after ingest (MB, maxrss)", lambda r: r["ingest"]["peak_rss_mb"]),
        row("extra documents to reach the passage target", lambda r: f"{r['grow']['docs']:,}"),
        row("passages in the store for checks", lambda r: f"{r['check']['passages']:,}"),
        row("check claims (after warm-up)", lambda r: f"{r['check']['claims']} (+{r['check']['warmup']})"),
        row("check p50 (ms)", lambda r: r["check"]["p50_ms"]),
        row("check p95 (ms)", lambda r: r["check"]["p95_ms"]),
        row("check p99 (ms)", lambda r: r["check"]["p99_ms"]),
        row("check max (ms)", lambda r: r["check"]["max_ms"]),
        row("check mean (ms)", lambda r: r["check"]["mean_ms"]),
        row("  of which retrieval p50 / p95 / mean (ms)", lambda r: f"{r['check']['search_p50_ms']} / "
            f"{r['check']['search_p95_ms']} / {r['check']['search_mean_ms']}"),
        row("  rest of check_claim p50 / p95 (ms)", lambda r: f"{r['check']['rest_p50_ms']} / "
            f"{r['check']['rest_p95_ms']}"),
        row("verdicts", lambda r: ", ".join(f"{k} {v}" for k, v in sorted(r["check"]["verdicts"].items()))),
        row("extraction alone, documents/s", lambda r: r["extract_only"]["docs_per_s"]),
        row("bulk write (add_source alone) docs/s", lambda r: r["bulk_write"]["docs_per_s"]),
        row("bulk write passages/s", lambda r: r["bulk_write"]["passages_per_s"]),
        row("bulk write ms/document", lambda r: r["bulk_write"]["ms_per_doc"]),
        row("peak RSS of the run (MB)", lambda r: r["peak_rss_mb"]),
        row("SQLite file (MB)", lambda r: r["db_mb"]),
    ]


def print_report(results: list[dict]) -> None:
    for r in results:
        if "code" in r:
            print(f"{r['store']}: started {r['started_utc']} UTC, load average "
                  f"{', '.join(f'{x:.2f}' for x in r['load_average_at_start'])}, code {r['code']}")
    print()
    print("## Summary")
    print()
    print(table(["measure"] + [r["store"] for r in results], summary_rows(results)))
    for r in results:
        if "ingest" in r:
            print()
            print(f"## Ingest checkpoints ({r['store']})")
            print()
            print(table(["docs", "passages", "elapsed s", "docs/s", "interval docs/s", "RSS MB"],
                        [[f"{c['docs']:,}", f"{c['passages']:,}", c["elapsed_s"], c["docs_per_s"],
                          c["interval_docs_per_s"], c["rss_mb"]] for c in r["ingest"]["checkpoints"]]))
        check = r.get("check")
        if check:
            print()
            print(f"p95 by claim kind ({r['store']}): "
                  + ", ".join(f"{k} {v} ms" for k, v in check["by_kind_p95_ms"].items()))
            print(f"slowest claim ({r['store']}, {check['slowest']['ms']} ms): {check['slowest']['claim']!r}")
        profile = r.get("profile")
        if profile:
            print()
            print(f"## cProfile of the slowest claim ({r['store']}, {profile['wall_ms_profiled']} ms under the "
                  "profiler), top by own time")
            print()
            print(table(["function", "calls", "own ms", "cumulative ms"],
                        [[e["function"], e["calls"], e["own_ms"], e["cumulative_ms"]] for e in profile["by_own"]]))
            print()
            print("top by cumulative time")
            print()
            print(table(["function", "calls", "own ms", "cumulative ms"],
                        [[e["function"], e["calls"], e["own_ms"], e["cumulative_ms"]]
                         for e in profile["by_cumulative"]]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", choices=["sqlite", "elasticsearch", "both"], default="sqlite")
    parser.add_argument("--docs", type=int, default=None, help="documents to ingest (default 10,000)")
    parser.add_argument("--passages", type=int, default=None, help="passages for the check store (default 100,000)")
    parser.add_argument("--claims", type=int, default=None, help="claims to time (default 200)")
    parser.add_argument("--bulk-docs", type=int, default=None, help="pre-extracted documents written with "
                        "add_source alone (default 1,200)")
    parser.add_argument("--checkpoint", type=int, default=None, help="documents between RSS checkpoints "
                        "(default 1,000)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 300 docs, 5,000 passages, 50 claims")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--db", help="SQLite file to keep and reuse: filled to --passages by written copies if "
                        "needed, then only the checks are timed")
    parser.add_argument("--es-prefix", help="the same with an Elasticsearch store kept under this index prefix "
                        "(created when missing, never deleted; the claims are kept in the temp folder)")
    parser.add_argument("--json-out", help="also write the figures as JSON to this file")
    parser.add_argument("--report", nargs="+", metavar="JSON", help="only print the tables of earlier runs "
                        "saved with --json-out (several files: side by side)")
    args = parser.parse_args(argv)
    if args.report:
        results = []
        for path in args.report:
            with open(path, encoding="utf-8") as handle:
                results.extend(json.load(handle))
        print_report(results)
        return 0
    defaults = ({"docs": 300, "passages": 5_000, "claims": 50, "bulk_docs": 120, "checkpoint": 100} if args.quick
                else {"docs": 10_000, "passages": 100_000, "claims": 200, "bulk_docs": 1_200, "checkpoint": 1_000})
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)

    if args.db or args.es_prefix:
        results = [run_checks_on_kept_store(args)]
    elif args.store == "both":
        results = []
        for kind in ("sqlite", "elasticsearch"):
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
                out = handle.name
            command = [sys.executable, os.path.abspath(__file__), "--store", kind, "--docs", str(args.docs),
                       "--passages", str(args.passages), "--claims", str(args.claims), "--bulk-docs",
                       str(args.bulk_docs), "--checkpoint", str(args.checkpoint), "--data", args.data,
                       "--json-out", out]
            log(f"running {kind} in its own process")
            finished = subprocess.run(command, stdout=subprocess.DEVNULL)
            if finished.returncode != 0:
                log(f"{kind} run failed (exit {finished.returncode})")
                os.unlink(out)
                continue
            with open(out, encoding="utf-8") as handle:
                results.extend(json.load(handle))
            os.unlink(out)
    else:
        results = [run_backend(args.store, args)]
    if not results:
        return 1
    print_report(results)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
