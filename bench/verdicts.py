"""Verdict quality on ../shared/data/news-dev (and CLIMATE-FEVER dev): accuracy, macro-F1, confusion, per kind.

    .venv/bin/python bench/verdicts.py [--dataset news-dev|climate-fever|all] [--store sqlite|elasticsearch]
                                       [--wrong] [--data ../shared/data] [--limit N]

news-dev: ingests the documents into a fresh temporary store through the service's own code path, checks every
claim with its claim_date, and compares the verdict with the gold label.

climate-fever (CLIMATE-FEVER dev half, 750 claims x 5 Wikipedia sentences): every evidence sentence becomes one
source (title = the article, id derived from the evidence id; identical sentences are ingested once), all into one
store; then every claim is checked without a claim_date. Gold labels are mapped SUPPORTS -> SUPPORTED,
REFUTES -> REFUTED, DISPUTED -> CONFLICTING, NOT_ENOUGH_INFO -> NOT_ENOUGH_EVIDENCE.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
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
    return ElasticStore(url, prefix="bench-" + uuid.uuid4().hex[:8])


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
            if hasattr(store, "refresh_indexes"):
                store.refresh_indexes()
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


CLIMATE_FEVER_LABELS = {"SUPPORTS": "SUPPORTED", "REFUTES": "REFUTED", "DISPUTED": "CONFLICTING",
                        "NOT_ENOUGH_INFO": "NOT_ENOUGH_EVIDENCE"}


def climate_fever_sources(claims: list[dict]) -> list[dict]:
    """One source record per distinct evidence sentence (by content), id derived from the evidence id."""
    records, seen = [], set()
    for claim in claims:
        for evidence in claim["evidences"]:
            text = evidence["evidence"].strip()
            if not text or text in seen:
                continue
            seen.add(text)
            records.append({"id": "cf-" + re.sub(r"[^A-Za-z0-9._:-]+", "_", evidence["evidence_id"])[:190],
                            "text": text, "title": evidence.get("article")})
    return records


def majority_baseline(items: list[dict]) -> None:
    counts = collections.Counter(i["gold"] for i in items)
    label, n = counts.most_common(1)[0]
    result = scores([i["gold"] for i in items], [label] * len(items))
    print(f"majority-class baseline (always {label}): accuracy {n / len(items):.3f}   "
          f"macro-F1 {result['macro_f1']:.3f}")
    print("gold labels: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))


def run_climate_fever(data: str, kind: str, show_wrong: bool, limit: int | None = None) -> dict:
    with open(os.path.join(data, "climate-fever-dev.jsonl"), encoding="utf-8") as handle:
        claims = [json.loads(line) for line in handle if line.strip()]
    if limit:
        claims = claims[:limit]
    with tempfile.TemporaryDirectory() as workdir:
        store = open_bench_store(kind, workdir)
        try:
            records = climate_fever_sources(claims)
            started = time.perf_counter()
            report = ingest_records(store, records, Config(load_demo=False))
            if hasattr(store, "refresh_indexes"):
                store.refresh_indexes()
            n_evidence = sum(len(c["evidences"]) for c in claims)
            print(f"climate-fever: ingested {report.added} distinct evidence sentences (of {n_evidence}) in "
                  f"{time.perf_counter() - started:.1f}s ({report.failed} failed)")
            for error in report.errors:
                print(f"  ingest failed: {error['item']}: {error['reason']}")
            items, crashes = [], []
            started = time.perf_counter()
            for claim in claims:
                try:
                    verdict = check_claim(store, claim["claim"])
                except Exception as exc:  # a checker bug must not hide the other 749 results: count it, name it
                    crashes.append((claim["claim_id"], f"{type(exc).__name__}: {exc}", claim["claim"]))
                    predicted, confidence, evidence = "NOT_ENOUGH_EVIDENCE", 0.0, []
                else:
                    predicted, confidence = verdict.verdict, verdict.confidence
                    evidence = [vars(e) for e in verdict.evidence]
                items.append({"id": claim["claim_id"], "claim": claim["claim"],
                              "gold": CLIMATE_FEVER_LABELS[claim["claim_label"]], "kind": None,
                              "predicted": predicted, "confidence": confidence, "evidence": evidence,
                              "full": False})
            print(f"climate-fever: checked {len(items)} claims in {time.perf_counter() - started:.1f}s")
            if crashes:
                print(f"climate-fever: check_claim raised on {len(crashes)} claims (counted as NOT_ENOUGH_EVIDENCE):")
                for claim_id, reason, text in crashes:
                    print(f"  [{claim_id}] {reason}: {text}")
        finally:
            drop_bench_store(store, kind)
    result = print_report(f"climate-fever dev ({kind})", items, show_wrong)
    majority_baseline(items)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "elasticsearch"], default="sqlite")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--wrong", action="store_true", help="list the wrong items with their reasons")
    parser.add_argument("--only", nargs="*", help="news-dev: check only these claim ids (and list all their evidence)")
    parser.add_argument("--dataset", choices=["news-dev", "climate-fever", "all"], default="all")
    parser.add_argument("--limit", type=int, help="climate-fever: only the first N claims (a quick look)")
    args = parser.parse_args(argv)
    if args.dataset in ("news-dev", "all"):
        run_news_dev(args.data, args.store, args.wrong or bool(args.only), set(args.only or ()))
    if args.dataset in ("climate-fever", "all"):
        run_climate_fever(args.data, args.store, args.wrong, args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
