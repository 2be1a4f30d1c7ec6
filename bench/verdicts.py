"""Verdict quality, measured as a user's store would hold the data: every claim is checked in ONE store holding
all the news documents (news-dev, news-train), the demo corpus (120 Wikinews articles) and every CLIMATE-FEVER
evidence sentence, so distractors are always there.

    .venv/bin/python bench/verdicts.py [--mode cv|shipped|both] [--store sqlite|elasticsearch]
                                       [--variant vectors|lexical] [--wrong] [--data ../shared/data]

--mode cv (the honest figure): leave-one-group-out cross-validation of the whole learned checker
    (scripts/train_checker.py: the three models are refitted without the held-out group; groups are the news
    clusters and five fifths of CLIMATE-FEVER). Per-group figures, confusion matrix, per-kind table and the
    calibration of the confidence (Brier score and a reliability table).
--mode shipped: `check.check_claim` end to end with the shipped model (factcheck/checker_model.json) on the
    same claims, through the chosen store. These claims trained that model: figures on data it was fitted on.
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_checker as tc  # noqa: E402
from factcheck.check import check_claim  # noqa: E402
from factcheck.models import VERDICTS  # noqa: E402

SHORT = {"SUPPORTED": "SUP", "REFUTED": "REF", "CONFLICTING": "CON", "NOT_ENOUGH_EVIDENCE": "NEE"}


def bootstrap(claims: list, predicted: dict, rounds: int = 1000, seed: int = 7) -> tuple[float, float]:
    """2.5th and 97.5th percentiles of macro-F1 over claim sets resampled with replacement: how much the figure
    could move with other claims of the same kind."""
    import random

    rng = random.Random(seed)
    values = []
    for _ in range(rounds):
        sample = [rng.choice(claims) for _ in claims]
        values.append(tc.scores([c.label for c in sample], [predicted[c.id][0] for c in sample])["macro_f1"])
    values.sort()
    return values[int(0.025 * rounds)], values[int(0.975 * rounds) - 1]


def report(title: str, claims: list, predicted: dict, show_wrong: bool = False) -> dict:
    """Print accuracy, macro-F1, per-group, confusion, per-label, per-kind and calibration; return the scores."""
    result = tc.scores([c.label for c in claims], [predicted[c.id][0] for c in claims])
    print(f"\n== {title}: {len(claims)} claims ==")
    low, high = bootstrap(claims, predicted)
    print(f"accuracy {result['accuracy']:.3f}   macro-F1 {result['macro_f1']:.3f}   "
          f"(95% bootstrap interval over claims {low:.3f}-{high:.3f})")
    groups = sorted({c.group for c in claims})
    if len(groups) > 1:
        print("per group:")
        for group in groups:
            subset = [c for c in claims if c.group == group]
            s = tc.scores([c.label for c in subset], [predicted[c.id][0] for c in subset])
            print(f"  {group:<24} n {len(subset):>3}  accuracy {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f}")
    print("confusion (rows gold, columns predicted):")
    print("        " + " ".join(f"{SHORT[p]:>5}" for p in VERDICTS))
    for g in VERDICTS:
        print(f"  {SHORT[g]:>5} " + " ".join(f"{result['confusion'][g][p]:>5}" for p in VERDICTS))
    print("per label:  " + "  ".join(f"{SHORT[k]} P {v['precision']:.2f} R {v['recall']:.2f} F1 {v['f1']:.2f}"
                                     for k, v in result["per_label"].items()))
    kinds = collections.defaultdict(list)
    for c in claims:
        kinds[c.kind].append(c)
    if len(kinds) > 1:
        print("per kind:")
        for kind, subset in sorted(kinds.items()):
            right = sum(c.label == predicted[c.id][0] for c in subset)
            print(f"  {kind:<14} {right:>3}/{len(subset):<3} {right / len(subset):.2f}")
    cal = tc.calibration([(c.label, *predicted[c.id]) for c in claims])
    if any(predicted[c.id][2] for c in claims):
        print(f"calibration: Brier score {cal['brier']:.3f} (four labels; always-uniform 0.75)")
    else:  # a served verdict carries the probability of its own label only
        print("calibration (no Brier score: a served verdict carries only its own label's probability)")
    for b in cal["bins"]:
        print(f"  confidence {b['range']}: n {b['n']:>4}  mean confidence {b['confidence']:.2f}  "
              f"accuracy {b['accuracy']:.2f}")
    counts = collections.Counter(c.label for c in claims)
    label, n = counts.most_common(1)[0]
    base = tc.scores([c.label for c in claims], [label] * len(claims))
    print(f"majority baseline (always {label}): accuracy {n / len(claims):.3f}  macro-F1 {base['macro_f1']:.3f}")
    if show_wrong:
        print("wrong:")
        for c in claims:
            if predicted[c.id][0] != c.label:
                print(f"  [{c.id}] gold {c.label} got {predicted[c.id][0]} ({predicted[c.id][1]}): {c.text}")
    return result


def run_cv(claims: list, variant: str, show_wrong: bool) -> None:
    predicted = tc.cross_validate(claims, variant, progress=lambda m: print(m, file=sys.stderr))
    news = [c for c in claims if not c.group.startswith("climate-fever")]
    cf = [c for c in claims if c.group.startswith("climate-fever")]
    if news:
        report(f"news-dev + news-train, leave-one-cluster-out CV ({variant})", news, predicted, show_wrong)
    if cf:
        report(f"CLIMATE-FEVER dev, leave-one-fifth-out CV ({variant})", cf, predicted, show_wrong)


def run_shipped(store, claims: list, show_wrong: bool, kind: str) -> None:
    started = time.perf_counter()
    predicted = {}
    for claim in claims:
        verdict = check_claim(store, claim.text, claim_date=claim.claim_date)
        predicted[claim.id] = (verdict.verdict, verdict.confidence, {})
    elapsed = time.perf_counter() - started
    print(f"\nchecked {len(claims)} claims in {elapsed:.1f}s ({1000 * elapsed / max(1, len(claims)):.0f} ms each, "
          f"{kind})")
    news = [c for c in claims if not c.group.startswith("climate-fever")]
    cf = [c for c in claims if c.group.startswith("climate-fever")]
    note = "shipped model, ON ITS OWN TRAINING DATA"
    if news:
        report(f"news-dev + news-train, {note} ({kind})", news, predicted, show_wrong)
    if cf:
        report(f"CLIMATE-FEVER dev, {note} ({kind})", cf, predicted, show_wrong)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["cv", "shipped", "both"], default="both")
    parser.add_argument("--store", choices=["sqlite", "elasticsearch"], default="sqlite")
    parser.add_argument("--variant", choices=["vectors", "lexical"], default="vectors")
    parser.add_argument("--dataset", choices=["news", "climate-fever", "all"], default="all")
    parser.add_argument("--data", default=str(tc.DEFAULT_DATA))
    parser.add_argument("--wrong", action="store_true", help="list the wrong claims")
    args = parser.parse_args(argv)
    if args.variant == "lexical":
        os.environ["FACTCHECK_CLAIM_VECTORS"] = "false"  # the shipped check then runs without vectors too
    data = Path(args.data)
    claims = tc.load_claims(data, climate_fever=args.dataset != "news")
    if args.dataset == "climate-fever":
        claims = [c for c in claims if c.group.startswith("climate-fever")]
    store = tc.bench_store(data, args.store, progress=lambda m: print(m, file=sys.stderr))
    try:
        if args.mode in ("cv", "both"):
            tc.collect(store, claims, progress=lambda m: print(m, file=sys.stderr))
            run_cv(claims, args.variant, args.wrong)
        if args.mode in ("shipped", "both"):
            run_shipped(store, claims, args.wrong, args.store)
    finally:
        if args.store == "elasticsearch" and hasattr(store, "drop_indexes"):
            store.drop_indexes()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
