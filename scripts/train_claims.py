"""Train the check-worthiness model shipped as factcheck/extract/claim_model.json.

    .venv/bin/python scripts/train_claims.py ../shared/data/claimbuster/train.json factcheck/extract/claim_model.json

The data is ClaimBuster's train.json (debate sentences; label 1 = check-worthy factual claim). The model is a
logistic regression over the 20 hand-written features of `claims.features` (computed through the service's own
path: spaCy entities, date and number extraction) plus binary word unigrams/bigrams (`claims.ngrams`: lowercased,
numbers as NUM, sentence-boundary markers), trained with L2 regularisation by L-BFGS in plain numpy.

Honest evaluation is built in:
* the sentences are shuffled with random.Random(SEED) and split 80/20; the shipped model is trained on the 80%
  only, so bench/claims.py can score it on the 20% it never saw;
* hyper-parameters (L2 strength, minimum n-gram document frequency) and the decision threshold are chosen by an
  inner 4-fold cross-validation on the training sentences only: the vocabulary is rebuilt from each inner
  training fold, and the threshold is the one that maximises F1 of the pooled out-of-fold scores (scores on the
  sentences a model was fitted on are optimistic with thousands of n-grams, so they are never used for it).

Everything is deterministic (fixed seeds, no random initialisation): the same data gives the same file.
`train(...)`, `inputs(...)` and `split(...)` are also used by bench/claims.py for the outer cross-validation.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import re
import sys
import time
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from factcheck.extract import _without_overlaps, claims, encoder, nlp  # noqa: E402
from factcheck.extract import dates as date_extract  # noqa: E402
from factcheck.extract import numbers as number_extract  # noqa: E402

SEED = 13
L2_GRID = (1e-4, 3e-4, 1e-3, 3e-3)
MIN_DF_GRID = (2, 3, 5)  # n-grams seen in >= 2 training sentences: keeps the file small (~0.4 MB)
REFINE_L2_GRID = (1e-5, 3e-5, 1e-4, 3e-4)
REFINE_BAND = (0.1, 0.8)  # lexical scores outside it are confident enough: ~29% of ClaimBuster sentences fall inside
# (0-1, every sentence, was measured in issue 12: same held-out F1, CLEF MAP +0.007, +0.35 ms CPU a sentence: kept out)
INNER_FOLDS = 4
THRESHOLDS = np.round(np.arange(0.10, 0.80, 0.01), 2)


# ------------------------------------------------------------------------------------------------ data

def inputs(texts: list[str], progress: bool = True) -> tuple[np.ndarray, list[list[str]]]:
    """The 20 dense features (service path: spaCy entities, dates, numbers) and the n-grams of each sentence."""
    dense, grams = [], []
    started = time.perf_counter()
    for i, text in enumerate(texts):
        entities = nlp.entities(text)
        found_dates = date_extract.extract_dates(text, None)
        found_numbers = _without_overlaps(number_extract.extract_numbers(text), found_dates)
        f = claims.features(text, entities, found_numbers, len(found_dates))
        dense.append([f[k] for k in claims.FEATURES])
        grams.append(claims.ngrams(text))
        if progress and (i + 1) % 2000 == 0:
            print(f"  features of {i + 1:,} sentences ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    return np.array(dense, dtype=float), grams


def split(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the 80% training part and the 20% held-out part (random.Random(seed).shuffle of 0..n-1)."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    cut = int(0.8 * n)
    return np.array(sorted(order[:cut])), np.array(sorted(order[cut:]))


def normal_text(text: str) -> str:
    """Lower-case words and digits only: how a ClaimBuster sentence is recognised as a CLEF-2019 line."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def clef_rows(path: str) -> list[dict]:
    """The lines of a CLEF-2019 CheckThat! Task 1 CSV (file_name, line_number, speaker, text, label)."""
    import csv

    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def folds(n: int, k: int, seed: int) -> np.ndarray:
    """Fold number (0..k-1) of each of n items, round-robin over a seeded shuffle."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    fold_of = np.empty(n, dtype=int)
    for position, index in enumerate(order):
        fold_of[index] = position % k
    return fold_of


# ------------------------------------------------------------------------------------------------ model

class Design:
    """Sparse binary n-gram columns (a fixed vocabulary) next to the dense feature columns."""

    def __init__(self, vocabulary: list[str], dense: np.ndarray, grams: list[list[str]]):
        self.vocabulary = vocabulary
        column = {g: j for j, g in enumerate(vocabulary)}
        rows, cols = [], []
        for i, sentence in enumerate(grams):
            for g in sentence:
                j = column.get(g)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        self.rows = np.array(rows, dtype=np.int64)
        self.cols = np.array(cols, dtype=np.int64)
        self.dense = dense
        self.n = len(grams)
        self.n_sparse = len(vocabulary)

    def dot(self, w: np.ndarray) -> np.ndarray:
        sparse = np.bincount(self.rows, weights=w[self.cols], minlength=self.n) if self.n_sparse else 0.0
        return sparse + self.dense @ w[self.n_sparse:]

    def tdot(self, g: np.ndarray) -> np.ndarray:
        sparse = np.bincount(self.cols, weights=g[self.rows], minlength=self.n_sparse)
        return np.concatenate([sparse, self.dense.T @ g])


def vocabulary_of(grams: list[list[str]], min_df: int) -> list[str]:
    df = Counter(g for sentence in grams for g in sentence)
    return sorted(g for g, c in df.items() if c >= min_df)


def lbfgs(fun, x: np.ndarray, memory: int = 10, max_iter: int = 500, tol: float = 1e-6) -> np.ndarray:
    """Minimise a smooth convex function (value, gradient) = fun(x) by L-BFGS with backtracking."""
    f, g = fun(x)
    history: list[tuple[np.ndarray, np.ndarray, float]] = []
    for _ in range(max_iter):
        if np.max(np.abs(g)) < tol:
            break
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(history):
            a = rho * (s @ q)
            q -= a * y
            alphas.append(a)
        if history:
            s, y, _ = history[-1]
            q *= (s @ y) / (y @ y)
        else:
            q /= max(1.0, float(np.linalg.norm(g)))
        for (s, y, rho), a in zip(history, reversed(alphas)):
            q += s * (a - rho * (y @ q))
        direction = -q
        slope = g @ direction
        if slope >= 0:
            direction, slope, history = -g, -(g @ g), []
        step = 1.0
        while True:
            x_new = x + step * direction
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
            if step < 1e-12:
                return x
        s, y = x_new - x, g_new - g
        if s @ y > 1e-12:
            history.append((s, y, 1.0 / (s @ y)))
            history = history[-memory:]
        converged = f - f_new < 1e-10 * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if converged:
            break
    return x


def fit(design: Design, y: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
    """Bias and weights minimising mean log-loss + l2/2 * |w|^2 (the bias is not penalised)."""
    n_weights = design.n_sparse + design.dense.shape[1]

    def fun(theta):
        b, w = theta[0], theta[1:]
        z = design.dot(w) + b
        loss = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * (w @ w)
        residual = (1.0 / (1.0 + np.exp(-z)) - y) / len(y)
        return loss, np.concatenate([[residual.sum()], design.tdot(residual) + l2 * w])

    theta = lbfgs(fun, np.zeros(n_weights + 1))
    return float(theta[0]), theta[1:]


def predict(bias: float, w: np.ndarray, design: Design) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(design.dot(w) + bias)))


def f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    tp = float(np.sum(gold & predicted))
    return 2 * tp / (gold.sum() + predicted.sum()) if gold.sum() + predicted.sum() else 0.0


def best_threshold(scores: np.ndarray, gold: np.ndarray, grid: np.ndarray = THRESHOLDS) -> tuple[float, float]:
    """(threshold, F1) with the best F1 of the check-worthy class over `grid`; of equal ones, the nearest to 0.5."""
    results = [(f1(gold, scores >= t), -abs(t - 0.5), float(t)) for t in grid]
    best = max(results)
    return best[2], best[0]


def train(dense: np.ndarray, grams: list[list[str]], y: np.ndarray, seed: int = SEED, log=None) -> dict:
    """Choose (l2, min_df) and the threshold by inner cross-validation, then fit on all the given sentences."""
    y = y.astype(float)
    gold = y.astype(bool)
    inner = folds(len(y), INNER_FOLDS, seed)
    results = []
    for min_df in MIN_DF_GRID:
        designs = []
        for k in range(INNER_FOLDS):
            tr, te = np.flatnonzero(inner != k), np.flatnonzero(inner == k)
            vocabulary = vocabulary_of([grams[i] for i in tr], min_df)
            designs.append((tr, te, Design(vocabulary, dense[tr], [grams[i] for i in tr]),
                            Design(vocabulary, dense[te], [grams[i] for i in te])))
        for l2 in L2_GRID:
            scores = np.zeros(len(y))
            for tr, te, d_train, d_test in designs:
                bias, w = fit(d_train, y[tr], l2)
                scores[te] = predict(bias, w, d_test)
            threshold, score = best_threshold(scores, gold)
            results.append((score, l2, min_df, threshold, scores))
            if log:
                log(f"    min_df {min_df} l2 {l2:g}: inner-CV F1 {score:.3f} at threshold {threshold:.2f}")
    score, l2, min_df, threshold, out_of_fold = max(results, key=lambda r: (r[0], r[1], r[2]))
    vocabulary = vocabulary_of(grams, min_df)
    bias, w = fit(Design(vocabulary, dense, grams), y, l2)
    n_sparse = len(vocabulary)
    return {
        "bias": round(bias, 4),
        "threshold": threshold,
        "dense": {k: round(float(v), 4) for k, v in zip(claims.FEATURES, w[n_sparse:])},
        "ngrams": {g: round(float(v), 4) for g, v in zip(vocabulary, w[:n_sparse]) if abs(v) >= 5e-4},
        "meta": {"l2": l2, "min_df": min_df, "inner_cv_f1": round(score, 4), "sentences": len(y),
                 "check_worthy": int(gold.sum())},
        "out_of_fold": out_of_fold,
    }


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def _with_neighbours(vectors: np.ndarray, bank: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.hstack([vectors, claims.neighbour_features(vectors @ bank.T, labels)])


def refiner_scores(refiner: dict, lexical: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Final scores: the lexical score outside the refiner's band, the refiner's inside (as claims.refine)."""
    lo, hi = refiner["band"]
    bank, labels = refiner["bank_arrays"]
    rows = _with_neighbours(vectors, bank, labels)
    z = refiner["bias"] + refiner["lexical"] * _logit(lexical) + rows @ np.array(refiner["weights"])
    return np.where((lexical >= lo) & (lexical <= hi), 1.0 / (1.0 + np.exp(-z)), lexical)


def train_refiner(lexical_oof: np.ndarray, vectors: np.ndarray, y: np.ndarray, seed: int = SEED, log=None) -> dict:
    """The second stage: a logistic regression over [logit of the out-of-fold lexical score, sentence vector, what
    the nearest labelled training sentences say (claims.neighbour_features)], applied only where the lexical score
    is uncertain (REFINE_BAND). The neighbour features of a training sentence come from the other inner folds only,
    like its lexical score (stacking); at run time they come from all the training sentences (the bank). L2
    strength and the final threshold are chosen by inner cross-validation; then fitted on all the given sentences."""
    y = y.astype(float)
    gold = y.astype(bool)
    inner = folds(len(y), INNER_FOLDS, seed + 1)
    bank = vectors.astype(np.float16).astype(np.float32)      # as stored and loaded
    labels = y.astype(np.float32)
    neighbours = np.zeros((len(y), 4))
    for k in range(INNER_FOLDS):
        tr, te = np.flatnonzero(inner != k), np.flatnonzero(inner == k)
        neighbours[te] = claims.neighbour_features(bank[te] @ bank[tr].T, labels[tr])
    dense = np.hstack([_logit(lexical_oof)[:, None], bank, neighbours])
    lo, hi = REFINE_BAND
    band = (lexical_oof >= lo) & (lexical_oof <= hi)
    results = []
    for l2 in REFINE_L2_GRID:
        scores = np.zeros(len(y))
        for k in range(INNER_FOLDS):
            tr, te = np.flatnonzero(inner != k), np.flatnonzero(inner == k)
            bias, w = fit(Design([], dense[tr], [[] for _ in tr]), y[tr], l2)
            scores[te] = predict(bias, w, Design([], dense[te], [[] for _ in te]))
        final = np.where(band, scores, lexical_oof)
        threshold, score = best_threshold(final, gold)
        results.append((score, l2, threshold))
        if log:
            log(f"    refiner l2 {l2:g}: inner-CV F1 {score:.3f} at threshold {threshold:.2f}")
    score, l2, threshold = max(results, key=lambda r: (r[0], r[1]))
    bias, w = fit(Design([], dense, [[] for _ in range(len(y))]), y, l2)
    return {"encoder": encoder.NAME, "band": list(REFINE_BAND), "bias": round(bias, 5),
            "lexical": round(float(w[0]), 5), "weights": [round(float(v), 5) for v in w[1:]],
            "threshold": threshold, "bank_arrays": (bank, labels),
            "meta": {"l2": l2, "inner_cv_f1": round(score, 4), "neighbours": claims.NEIGHBOURS,
                     "in_band": round(float(band.mean()), 3)}}


def train_all(dense: np.ndarray, grams: list[list[str]], vectors: np.ndarray, y: np.ndarray, seed: int = SEED,
              log=None) -> dict:
    """The lexical model and its refiner, as written to claim_model.json."""
    model = train(dense, grams, y, seed, log)
    model["refiner"] = train_refiner(model.pop("out_of_fold"), vectors, y, seed, log)
    return model


def scorer(model: dict):
    """A numpy scorer for a trained model dict, identical in arithmetic to claims.claim_score (lexical) and, given
    sentence vectors, to claims.refine."""
    vocabulary = list(model["ngrams"])
    w = np.array([model["ngrams"][g] for g in vocabulary] + [model["dense"][k] for k in claims.FEATURES])

    def score(dense: np.ndarray, grams: list[list[str]], vectors: np.ndarray | None = None) -> np.ndarray:
        lexical = predict(model["bias"], w, Design(vocabulary, dense, grams))
        if vectors is None or "refiner" not in model:
            return lexical
        return refiner_scores(model["refiner"], lexical, vectors)
    return score


def threshold_of(model: dict, refined: bool) -> float:
    return model["refiner"]["threshold"] if refined and "refiner" in model else model["threshold"]


# ------------------------------------------------------------------------------------------------ main

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="ClaimBuster train.json")
    parser.add_argument("out", help="model file to write (JSON)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    with open(args.data, encoding="utf-8") as handle:
        rows = json.load(handle)
    texts = [row["text"] for row in rows]
    y = np.array([int(row["label"]) == 1 for row in rows])
    print(f"{len(rows):,} sentences, {int(y.sum()):,} check-worthy", file=sys.stderr)
    dense, grams = inputs(texts)
    started = time.perf_counter()
    vectors = encoder.encode(texts)
    print(f"  sentence vectors of {len(texts):,} sentences ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    train_part, held = split(len(rows), args.seed)
    log = lambda line: print(line, file=sys.stderr)  # noqa: E731
    model = train_all(dense[train_part], [grams[i] for i in train_part], vectors[train_part], y[train_part],
                      args.seed, log)
    gold = y[held]
    evaluation = {}
    for name, refined in (("lexical", False), ("refined", True)):
        score = scorer(model)(dense[held], [grams[i] for i in held], vectors[held] if refined else None)
        predicted = score >= threshold_of(model, refined)
        tp = float(np.sum(predicted & gold))
        p, r = tp / max(1, predicted.sum()), tp / max(1, gold.sum())
        evaluation[name] = {"precision": round(p, 3), "recall": round(r, 3),
                            "f1": round(2 * p * r / (p + r) if p + r else 0.0, 3)}
    model["meta"].update({
        "data": "ClaimBuster train.json (%d sentences; label 1 = check-worthy)" % len(rows),
        "data_sha256": hashlib.sha256(open(args.data, "rb").read()).hexdigest(),
        "split": f"trained on 80% (random.Random({args.seed}).shuffle), evaluated on the other 20%",
        "held_out": {"sentences": int(len(held)), **evaluation},
        "features": list(claims.FEATURES), "ngrams": len(model["ngrams"]),
    })
    bank, labels = model["refiner"].pop("bank_arrays")
    bank_file = os.path.splitext(os.path.basename(args.out))[0] + "_bank.npy"
    buffer = io.BytesIO()   # one float16 array: the 384 vector columns, then the label (0 or 1); np.save is byte-stable
    np.save(buffer, np.hstack([bank, labels[:, None]]).astype(np.float16))
    with open(os.path.join(os.path.dirname(os.path.abspath(args.out)), bank_file), "wb") as handle:
        handle.write(buffer.getvalue())
    model["refiner"]["bank"] = {"file": bank_file, "sha256": hashlib.sha256(buffer.getvalue()).hexdigest(),
                                "sentences": int(len(labels))}
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(model, handle, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        handle.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out):,} bytes): {json.dumps(model['meta'])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
