"""Verdict quality on ../shared/data/news-dev (and CLIMATE-FEVER dev): accuracy, macro-F1, confusion, per kind.

    .venv/bin/python bench/verdicts.py [--store sqlite|elasticsearch] [--wrong] [--data ../shared/data]

Ingests the documents into a fresh temporary store through the service's own code path, checks every claim
with its claim_date, and compares the verdict with the gold label.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from factcheck.check import check_claim  # noqa: E402
from factcheck.config import Config  # noqa: E402
from factcheck.ingest import ingest_records  # noqa: E402
from factcheck.models import VERDICTS  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def open_bench_store(kind: str, workdir: str):
    """A fresh store of the given kind (a new SQLite file, or new Elasticsearch indexes with a random prefix)."""
    if kind == "sqlite":
        from factcheck.store.sqlite import SqliteStore

        return SqliteStore(os.path.join(workdir, "bench.db"))
    from factcheck.store.elastic import ElasticStore

    url = os.environ.get("ELASTICSEARCH_URL") or os.environ.get("ELASTICSEARCH_TEST_URL") or "http://127.0.0.1:9200"
    return ElasticStore(url, prefix="bench-" + uuid.uuid4().hex[:8], refresh="wait_for")


def drop_bench_store(store, kind: str) -> None:
    if kind == "elasticsearch" and hasattr(store, "drop_indexes"):
        store.drop_indexes()
    store.close()


def scores(gold: list[str], predicted: list[str]) -> dict:
    """Accuracy, per-label precision/recall/F1, macro-F1 over the four labels, confusion matrix."""
    labels = list(VERDICTS)
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, predicted):
        confusion[g][p] += 1
    per_label = {}
    for label in labels:
        tp = confusion[label][label]
        fp = sum(confusion[g][label] for g in labels if g != label)
        fn = sum(confusion[label][p] for p in labels if p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    present = [label for label in labels if per_label[label]["support"]]
    macro = sum(per_label[label]["f1"] for label in present) / len(present) if present else 0.0
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else 0.0
    return {"accuracy": accuracy, "macro_f1": macro, "per_label": per_label, "confusion": confusion}


def print_report(name: str, items: list[dict], show_wrong: bool) -> dict:
    result = scores([i["gold"] for i in items], [i["predicted"] for i in items])
    print(f"\n== {name}: {len(items)} claims ==")
    print(f"accuracy {result['accuracy']:.3f}   macro-F1 {result['macro_f1']:.3f}")
    short = {"SUPPORTED": "SUP", "REFUTED": "REF", "CONFLICTING": "CON", "NOT_ENOUGH_EVIDENCE": "NEE"}
    print("confusion (rows gold, columns predicted):")
    print("        " + " ".join(f"{short[p]:>5}" for p in VERDICTS))
    for g in VERDICTS:
        print(f"  {short[g]:>5} " + " ".join(f"{result['confusion'][g][p]:>5}" for p in VERDICTS))
    print("per label:  " + "  ".join(f"{short[label]} P {v['precision']:.2f} R {v['recall']:.2f} F1 {v['f1']:.2f}"
                                     for label, v in result["per_label"].items()))
    kinds = collections.defaultdict(list)
    for item in items:
        kinds[item.get("kind") or "-"].append(item)
    print("per kind:")
    for kind, group in sorted(kinds.items()):
        right = sum(i["gold"] == i["predicted"] for i in group)
        print(f"  {kind:<12} {right:>3}/{len(group):<3} {right / len(group):.2f}")
    if show_wrong:
        print("wrong:")
        for item in items:
            if item["gold"] != item["predicted"]:
                print(f"  [{item['id']}] gold {item['gold']} got {item['predicted']} ({item['confidence']}): "
                      f"{item['claim']}")
                for ev in item["evidence"][: 20 if item.get("full") else 3]:
                    print(f"      {ev['stance']:<9} {ev['score']:.2f} {ev['source_id']}: {ev['reason']}")
                    print(f"                {ev['sentence'][:160]}")
    return result


def run_news_dev(data: str, kind: str, show_wrong: bool, only: set | None = None) -> dict:
    folder = os.path.join(data, "news-dev")
    with tempfile.TemporaryDirectory() as workdir:
        store = open_bench_store(kind, workdir)
        try:
            with open(os.path.join(folder, "documents.jsonl"), encoding="utf-8") as handle:
                records = [json.loads(line) for line in handle if line.strip()]
            started = time.perf_counter()
            report = ingest_records(store, records, Config(load_demo=False))
            print(f"news-dev: ingested {report.added} documents in {time.perf_counter() - started:.1f}s"
                  f" ({report.failed} failed)")
            items = []
            with open(os.path.join(folder, "claims.jsonl"), encoding="utf-8") as handle:
                for line in handle:
                    claim = json.loads(line)
                    if only and claim["id"] not in only:
                        continue
                    verdict = check_claim(store, claim["claim"], claim_date=claim.get("claim_date"))
                    items.append({"id": claim["id"], "claim": claim["claim"], "gold": claim["label"],
                                  "kind": claim.get("kind"), "predicted": verdict.verdict,
                                  "confidence": verdict.confidence,
                                  "evidence": [vars(e) for e in verdict.evidence], "full": bool(only)})
        finally:
            drop_bench_store(store, kind)
    return print_report(f"news-dev ({kind})", items, show_wrong)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "elasticsearch"], default="sqlite")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--wrong", action="store_true", help="list the wrong items with their reasons")
    parser.add_argument("--only", nargs="*", help="check only these claim ids (and list all their evidence)")
    args = parser.parse_args(argv)
    run_news_dev(args.data, args.store, args.wrong or bool(args.only), set(args.only or ()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
