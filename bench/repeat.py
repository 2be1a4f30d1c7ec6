"""Repeat-claim matching: does a claim in other words find its earlier check, and nothing else?

    .venv/bin/python bench/repeat.py [--data ../shared/data] [--store sqlite|elasticsearch]

Stored checks (saved through factcheck.repeat.save_check into a real store on a temporary file, or into
Elasticsearch at ELASTICSEARCH_URL under a random prefix): every news-dev and news-train claim, plus half B of
ClaimBuster's check-worthy debate sentences and CLEF-2019's check-worthy lines (other claims, never used in
training the matcher). Queries: the paraphrases in bench/data/paraphrases.jsonl, each of one news claim,
answered by factcheck.repeat.find_previous (the service's path: both store indexes, the learned matcher, its
threshold).

Per query set: recall@1 (the query's own claim is the first match shown), recall@5 (it is among the matches shown,
at most 5) and false matches per 100 queries (matches shown that are another claim), with the claim's check stored,
and false matches per 100 with its check left out (every match shown is then false: the nearest other claims are
the same event's other facts). news-dev was never seen by scripts/train_repeat.py (held out); news-train is what
the matcher was trained and its threshold chosen on (figures labelled so).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from factcheck import repeat  # noqa: E402
from factcheck.extract import encoder  # noqa: E402
from factcheck.models import Verdict  # noqa: E402
import train_repeat  # noqa: E402

DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "data")


def clef_claims(data: str) -> list[str]:
    with open(os.path.join(data, "clef2019", "CT19-T1-Training.csv"), encoding="utf-8") as handle:
        return sorted({r["text"].strip() for r in csv.DictReader(handle) if r["label"] == "1"})


def open_store(kind: str, folder: str):
    if kind == "sqlite":
        from factcheck.store.sqlite import SqliteStore

        return SqliteStore(os.path.join(folder, "repeat.db"))
    from factcheck.store.elastic import ElasticStore

    store = ElasticStore(os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200"),
                         prefix=f"bench-repeat-{uuid.uuid4().hex[:8]}", refresh=False)
    store.ensure_indexes()
    return store


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--store", choices=("sqlite", "elasticsearch"), default="sqlite")
    args = parser.parse_args(argv)
    news = {name: train_repeat.load_claims(args.data, name) for name in ("news-dev", "news-train")}
    _half_a, half_b = train_repeat.claimbuster_halves(args.data)
    news_texts = {c["claim"] for claims in news.values() for c in claims}
    others = [t for t in dict.fromkeys(half_b + clef_claims(args.data)) if t not in news_texts]
    paraphrases = train_repeat.load_paraphrases()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(args.store, folder)
        try:
            texts = [c["claim"] for claims in news.values() for c in claims] + others
            ids = [f"chk-{c['id']}" for claims in news.values() for c in claims] + \
                [f"chk-other-{i}" for i in range(len(others))]
            t0 = time.perf_counter()
            vectors = encoder.encode(texts)
            for check_id, text, vector in zip(ids, texts, vectors):
                repeat.save_check(store, Verdict(text, "NOT_ENOUGH_EVIDENCE", 0.5, None, [], [], id=check_id,
                                                 created_at="2024-01-01T00:00:00+00:00"), vector)
            if args.store == "elasticsearch":
                store.refresh_indexes()
            print(f"{args.store} store: {len(texts):,} checks saved ({sum(len(c) for c in news.values())} news "
                  f"claims, {len(others):,} other claims: ClaimBuster half B and CLEF-2019 check-worthy lines) in "
                  f"{time.perf_counter() - t0:.0f}s; matcher threshold {repeat.model().threshold}")
            print(f"{'queries':<44}{'n':>5}{'R@1':>7}{'R@5':>7}{'false/100':>11}{'false/100 absent':>18}"
                  f"{'ms/query':>10}")
            for name, label in (("news-dev", "news-dev paraphrases (held out)"),
                                ("news-train", "news-train paraphrases (trained on)")):
                queries = [(f"chk-{c['id']}", p) for c in news[name] for p in paraphrases.get(c["id"], [])]
                hit1 = hit5 = false = false_absent = 0
                t0 = time.perf_counter()
                for target, text in queries:
                    found = [p.check_id for p in repeat.find_previous(store, text)]
                    hit1 += bool(found) and found[0] == target
                    hit5 += target in found
                    false += sum(1 for f in found if f != target)
                    false_absent += len(repeat.find_previous(store, text, exclude=target))
                per_query = 1000 * (time.perf_counter() - t0) / (2 * len(queries))
                n = len(queries)
                print(f"{label:<44}{n:>5}{hit1 / n:>7.3f}{hit5 / n:>7.3f}{100 * false / n:>11.2f}"
                      f"{100 * false_absent / n:>18.2f}{per_query:>10.1f}")
        finally:
            if args.store == "elasticsearch":
                store.es.indices.delete(index=f"{store.prefix}-*")
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
