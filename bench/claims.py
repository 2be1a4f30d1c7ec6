"""Check-worthiness on ClaimBuster (train.json): P/R/F1 of the check-worthy class on held-out sentences.

    .venv/bin/python bench/claims.py [--data ../shared/data] [--folds 5] [--seed 13]

Every sentence goes through the service's own path: spaCy entities (factcheck.extract.nlp.entities), then
factcheck.extract.analyse_sentence (dates, numbers, claim_score) and claims.is_check_worthy.

Three figures:
1. the shipped weights on the held-out 20% of the author's split (80/20, seed 13; reconstructed here as
   random.Random(seed).shuffle of the sentence order; the module docstring quotes P 0.641 / R 0.705 / F1 0.671);
2. k-fold cross-validation of the same feature set: weights refitted (plain numpy logistic regression) and the
   threshold chosen for F1 on the training folds, scored on the held-out fold;
3. the shipped weights on all 7,976 sentences (optimistic: 80% of them were used for fitting).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from factcheck.extract import analyse_sentence  # noqa: E402
from factcheck.extract import claims, nlp  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def prf(gold: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(gold & predicted))
    p = tp / predicted.sum() if predicted.sum() else 0.0
    r = tp / gold.sum() if gold.sum() else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 3000, rate: float = 0.5, l2: float = 1e-3):
    """Bias and weights of a logistic regression (full-batch gradient descent)."""
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        grad = p - y
        w -= rate * (x.T @ grad / len(y) + l2 * w)
        b -= rate * grad.mean()
    return b, w


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    best, best_f1 = 0.5, -1.0
    for t in np.arange(0.10, 0.80, 0.01):
        f1 = prf(y, scores >= t)[2]
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    with open(os.path.join(args.data, "claimbuster", "train.json"), encoding="utf-8") as handle:
        rows = json.load(handle)
    started = time.perf_counter()
    feats, shipped, gold = [], [], []
    for row in rows:
        text = row["text"]
        entities = nlp.entities(text)
        found_dates, found_numbers, score, _speaker = analyse_sentence(text, entities, None)
        f = claims.features(text, entities, found_numbers, len(found_dates))
        feats.append([f[k] for k in claims.FEATURES])
        shipped.append(claims.is_check_worthy(score))
        gold.append(int(row["label"]) == 1)
    elapsed = time.perf_counter() - started
    x = np.array(feats, dtype=float)
    y = np.array(gold, dtype=bool)
    shipped = np.array(shipped, dtype=bool)
    print(f"ClaimBuster train.json: {len(rows):,} sentences, {y.sum():,} check-worthy ({y.mean():.1%}); "
          f"features in {elapsed:.1f}s ({1000 * elapsed / len(rows):.1f} ms/sentence)")
    print(f"{'evaluation':<58}{'n':>6}{'P':>7}{'R':>7}{'F1':>7}")

    def line(name, gold_part, predicted_part):
        p, r, f = prf(gold_part, predicted_part)
        print(f"{name:<58}{len(gold_part):>6}{p:>7.3f}{r:>7.3f}{f:>7.3f}")
        return p, r, f

    order = list(range(len(rows)))
    random.Random(args.seed).shuffle(order)
    held = np.array(order[int(0.8 * len(order)):])
    line(f"shipped weights, held-out 20% (seed {args.seed}, reconstructed)", y[held], shipped[held])

    fold_of = np.empty(len(rows), dtype=int)
    for position, index in enumerate(order):
        fold_of[index] = position % args.folds
    predicted = np.zeros(len(rows), dtype=bool)
    fold_scores = []
    for k in range(args.folds):
        train, test = fold_of != k, fold_of == k
        b, w = fit_logistic(x[train], y[train].astype(float))
        t = best_threshold(1 / (1 + np.exp(-(x[train] @ w + b))), y[train])
        predicted[test] = 1 / (1 + np.exp(-(x[test] @ w + b))) >= t
        fold_scores.append(prf(y[test], predicted[test])[2])
    p, r, f = line(f"{args.folds}-fold CV, same features refitted (pooled)", y, predicted)
    print(f"{'':<58}{'':>6}  per-fold F1 {np.mean(fold_scores):.3f} +- {np.std(fold_scores):.3f}")
    line("shipped weights, all sentences (80% seen in fitting)", y, shipped)
    line("baseline: every sentence check-worthy", y, np.ones(len(rows), dtype=bool))
    return 0


if __name__ == "__main__":
    sys.exit(main())
