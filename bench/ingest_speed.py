"""Ingest speed (issue 14): the sentence encoder alone, spaCy alone, and ingest documents/s on both stores.

    .venv/bin/python bench/ingest_speed.py [--docs 240] [--store sqlite|elasticsearch|both] [--repeat 3]
                                           [--data ../shared/data] [--encoder-only] [--ingest-only]
                                           [--workers 1,2]

1. Encoder alone: the sentences of the Wikinews corpus (120 documents, split once by the project's spaCy
   pipeline) are encoded (a) document by document, one `encoder.encode` call per document as ingest did before
   issue 14, (b) 32 documents' sentences per call, (c) by `encoder.encode_batch_size` sentences at a time in a
   tight loop over the whole corpus (the floor: the same model with nothing else to do). Sentences/s, best of
   --repeat runs. Skipped with --ingest-only.
2. spaCy alone, in this process: the corpus through `nlp.analyse` (the pipeline as the project configures it:
   senter + ner, segments) and through the full `en_core_web_sm` pipeline (`nlp.pipe`); documents/s, median of
   --repeat runs. The floor of ingest in one process (spaCy is only part of extraction).
3. Ingest: --docs copies of the corpus (each its own id and text) through the real `ingest_records` path into a
   fresh SQLite file / a fresh Elasticsearch index prefix (refresh off, as the CLI ingests), documents/s, for
   each --workers count (1 = in this process; N = N extraction processes, started by each run, as the CLI
   does), the counts alternating within each of the --repeat rounds so that they share the machine's load.
   Two rates per run: whole run (start included: the workers load their models per run) and steady (the
   documents after the first batch, timed from when the first batch was stored; with N > 1 this overstates the
   rate, since other workers extracted later batches while the first was being made). Needs --docs > 16.

Elasticsearch: ELASTICSEARCH_URL, ELASTICSEARCH_TEST_URL or http://127.0.0.1:9200; random index prefixes, deleted
at the end. The figures depend on other load on the machine: compare runs made side by side.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from factcheck.config import Config  # noqa: E402
from factcheck.ingest import INGEST_BATCH, RECORD_FIELDS, ingest_records  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def load_documents(data_dir: str) -> list[dict]:
    with open(os.path.join(data_dir, "wikinews-meantime", "documents.jsonl"), encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def copies(docs: list[dict], count: int, tag: str):
    for number in range(count):
        doc = docs[number % len(docs)]
        copy = number // len(docs)
        first, newline, rest = doc["text"].partition("\n")
        record = {k: v for k, v in doc.items() if k in RECORD_FIELDS}
        yield {**record, "id": f"{doc['id']}-{tag}{copy:04d}", "text": f"{first} (copy {copy}){newline}{rest}"}


def encoder_phase(docs: list[dict], repeat: int) -> dict:
    from factcheck.extract import encoder, nlp

    per_doc = [[d["text"][s:e] for s, e, _ in nlp.analyse(d["text"])] for d in docs]
    everything = [s for sentences in per_doc for s in sentences]
    encoder.encode(everything[:8])  # load the session

    def best(run) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return len(everything) / min(times)

    def by_document():
        for sentences in per_doc:
            encoder.encode(sentences)

    def by_32_documents():
        for first in range(0, len(per_doc), 32):
            encoder.encode([s for sentences in per_doc[first:first + 32] for s in sentences])

    size = getattr(encoder, "BATCH_SIZE", 16)

    def tight():  # the floor: sorted by length, fixed batches, nothing else
        ordered = sorted(everything, key=len)
        for first in range(0, len(ordered), size):
            encoder._run(ordered[first:first + size])

    return {"sentences": len(everything), "batch_size": size,
            "by_document_sentences_per_s": round(best(by_document), 1),
            "by_32_documents_sentences_per_s": round(best(by_32_documents), 1),
            "tight_loop_sentences_per_s": round(best(tight), 1)}


def serialise_phase(docs: list[dict], repeat: int) -> dict:
    """The JSON a SQLite write stores for each passage: dataclasses.asdict (before issue 14) against to_dict."""
    import dataclasses

    from factcheck.extract import extract_passages

    passages = [p for d in docs[:20] for p in extract_passages(d["id"], d["text"], d.get("published_at"))]

    def old(p):
        data = dataclasses.asdict(dataclasses.replace(p, vector=None))
        del data["vector"]
        data["id"] = p.id
        return json.dumps(data)

    def best(serialise) -> float:
        times = []
        for _ in range(max(repeat, 3)):
            started = time.perf_counter()
            for _ in range(10):
                for p in passages:
                    serialise(p)
            times.append(time.perf_counter() - started)
        return min(times) / (10 * len(passages)) * 1e6

    return {"passages": len(passages), "asdict_us_per_passage": round(best(old), 1),
            "to_dict_us_per_passage": round(best(lambda p: json.dumps(p.to_dict())), 1)}


def open_store(kind: str, workdir: str):
    if kind == "sqlite":
        from factcheck.store.sqlite import SqliteStore

        return SqliteStore(os.path.join(workdir, f"{uuid.uuid4().hex[:8]}.db"))
    from factcheck.store.elastic import ElasticStore

    url = os.environ.get("ELASTICSEARCH_URL") or os.environ.get("ELASTICSEARCH_TEST_URL") or "http://127.0.0.1:9200"
    store = ElasticStore(url, prefix="bench-ingest-" + uuid.uuid4().hex[:8], refresh=False)
    store.wait_until_ready()
    return store


def drop(store, kind: str) -> None:
    if kind == "elasticsearch":
        store.es.indices.delete(index=f"{store.prefix}-*", ignore_unavailable=True, allow_no_indices=True)
    store.close()


def spacy_phase(docs: list[dict], repeat: int) -> dict:
    """Documents/s of spaCy alone: the project's pipeline (`nlp.analyse`) and the full en_core_web_sm."""
    import spacy

    from factcheck.extract import nlp

    texts = [d["text"] for d in docs]
    full = spacy.load(nlp.MODEL)
    for _ in nlp.analyse(texts[0]):  # load
        pass
    list(full.pipe(texts[:2]))

    def median_rate(run) -> float:
        rates = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            rates.append(len(texts) / (time.perf_counter() - started))
        return sorted(rates)[len(rates) // 2]

    def project():
        for text in texts:
            for _ in nlp.analyse(text):
                pass

    return {"docs": len(texts), "project_pipeline_docs_per_s": round(median_rate(project), 1),
            "full_pipeline_docs_per_s": round(median_rate(lambda: list(full.pipe(texts))), 1)}


def ingest_phase(kind: str, docs: list[dict], n_docs: int, repeat: int, worker_counts: list[int]) -> dict:
    rates: dict[int, list[float]] = {workers: [] for workers in worker_counts}
    steady: dict[int, list[float]] = {workers: [] for workers in worker_counts}
    workdir = tempfile.mkdtemp(prefix="bench-ingest-")
    try:
        for run in range(repeat):
            order = worker_counts if run % 2 == 0 else worker_counts[::-1]
            for workers in order:
                store = open_store(kind, workdir)
                try:
                    stored_at: list[float] = []
                    started = time.perf_counter()
                    report = ingest_records(store, copies(docs, n_docs, f"r{run}w{workers}c"), Config(),
                                            workers=workers,
                                            progress=lambda item, outcome: stored_at.append(time.perf_counter()))
                    elapsed = time.perf_counter() - started
                    # steady state: the documents after the first batch, from when the first batch was stored
                    # (leaves out the start: loading the models, in this process once, in the workers per run)
                    first = stored_at[INGEST_BATCH - 1]
                    steady[workers].append((len(stored_at) - INGEST_BATCH) / (stored_at[-1] - first))
                    if report.failed or report.added != n_docs:
                        print(f"  {kind}: {report.summary()} {report.errors[:2]}", file=sys.stderr)
                    rates[workers].append(report.added / elapsed)
                    print(f"  {kind} run {run + 1}, --workers {workers}: {report.added} docs in {elapsed:.1f} s, "
                          f"{report.added / elapsed:.2f} docs/s, steady {steady[workers][-1]:.2f} docs/s; "
                          f"load {os.getloadavg()[0]:.1f}",
                          file=sys.stderr, flush=True)
                finally:
                    drop(store, kind)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {"docs": n_docs}
    for workers, values in rates.items():
        result[f"workers_{workers}"] = {"runs_docs_per_s": [round(v, 2) for v in values],
                                        "median_docs_per_s": round(sorted(values)[len(values) // 2], 2),
                                        "best_docs_per_s": round(max(values), 2),
                                        "steady_runs_docs_per_s": [round(v, 2) for v in steady[workers]],
                                        "steady_median_docs_per_s": round(sorted(steady[workers])[len(values) // 2],
                                                                          2)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=240)
    parser.add_argument("--store", choices=["sqlite", "elasticsearch", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--encoder-only", action="store_true")
    parser.add_argument("--ingest-only", action="store_true", help="skip the encoder and serialisation phases")
    parser.add_argument("--workers", default="1",
                        help="comma-separated extraction process counts to compare, e.g. 1,2 (default 1)")
    args = parser.parse_args()
    worker_counts = [int(value) for value in args.workers.split(",")]
    docs = load_documents(args.data)
    result = {"load_at_start": os.getloadavg()}
    if not args.ingest_only:
        result["encoder"] = encoder_phase(docs, args.repeat)
        result["serialise"] = serialise_phase(docs, args.repeat)
        print(json.dumps(result["serialise"]), file=sys.stderr, flush=True)
        print(json.dumps(result["encoder"]), file=sys.stderr, flush=True)
    if not args.encoder_only:
        result["spacy"] = spacy_phase(docs, args.repeat)
        print(json.dumps(result["spacy"]), file=sys.stderr, flush=True)
        kinds = ["sqlite", "elasticsearch"] if args.store == "both" else [args.store]
        warm = tempfile.mkdtemp(prefix="bench-ingest-warm-")
        store = open_store("sqlite", warm)  # load spaCy, the encoder and the date parser before timing
        ingest_records(store, copies(docs, 4, "warm"), Config())
        store.close()
        shutil.rmtree(warm, ignore_errors=True)
        for kind in kinds:
            result[kind] = ingest_phase(kind, docs, args.docs, args.repeat, worker_counts)
    result["load_at_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
