"""Check-worthiness on ClaimBuster (train.json): P/R/F1 of the check-worthy class on held-out sentences, and speed.

    .venv/bin/python bench/claims.py [--data ../shared/data] [--folds 5] [--seed 13]

Every sentence goes through the service's own path: spaCy entities (factcheck.extract.nlp.entities), then
factcheck.extract.analyse_sentence (dates, numbers, lexical score), claims.refine (sentence vectors for the
uncertain ones) and claims.is_check_worthy.

Figures:
1. the shipped model (factcheck/extract/claim_model.json, written by scripts/train_claims.py from the 80% part of
   the random.Random(seed).shuffle 80/20 split) on the held-out 20% it was not trained on;
2. k-fold cross-validation of the whole training procedure (scripts/train_claims.train: vocabulary, L2 strength,
   minimum n-gram frequency and threshold all chosen by an inner CV on the k-1 training folds), scored on the
   held-out fold, with the refiner (sentence vectors) and with the lexical stage alone (the previous model);
3. the shipped model on all sentences (optimistic: 80% of them were used for fitting) and the all-positive
   baseline;
4. speed of `claims.lexical_score` alone (inputs precomputed) and of `claims.refine` over all sentences;
5. CLEF-2019 CheckThat! Task 1 training debates: every line scored through factcheck.spot.spot_sentences (the
   service's spotting path: the fine-tuned transformer of scripts/finetune_claims.py, trained without any CLEF
   line, so every debate is held out) and by the ingest detector (lexical score + vector refiner; it never saw
   CLEF labels, but ClaimBuster holds ~700 lines of the three 2016 presidential debates, with its own labels),
   ranked per debate, mean average precision over the 19 debates (the task's measure), with the cost per sentence;
6. CLEF-2019 grouped cross-validation by debate (`--clef-folds`, default 5) of the whole training procedure, with
   the ClaimBuster sentences that are lines of a test debate removed from its training data;
7. the spotting transformer (factcheck/extract/claim_transformer.onnx) on the held-out 20%, with its CPU cost.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from factcheck.extract import analyse_sentence  # noqa: E402
from factcheck.extract import claims, encoder, nlp  # noqa: E402
import train_claims  # noqa: E402

DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "data")


def prf(gold: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(gold & predicted))
    p = tp / predicted.sum() if predicted.sum() else 0.0
    r = tp / gold.sum() if gold.sum() else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def average_precision(scores: list[float], gold: list[bool]) -> float:
    """AP of one ranking (ties broken by position, as the CheckThat! scorer sorts)."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    hits, total = 0, 0.0
    for rank, i in enumerate(order, start=1):
        if gold[i]:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0


def clef_map(data: str) -> None:
    """Mean average precision per CLEF-2019 training debate, through the spotting path (factcheck.spot: the
    fine-tuned transformer when it is installed) and with the ingest detector (lexical score + vector refiner)."""
    from collections import defaultdict

    from factcheck.extract import claim_transformer
    from factcheck.spot import spot_sentences

    debates = defaultdict(list)
    for row in train_claims.clef_rows(os.path.join(data, "clef2019", "CT19-T1-Training.csv")):
        debates[row["file_name"]].append(row)
    rankings = {"spotting (" + ("fine-tuned transformer" if claim_transformer.available() else "ingest detector")
                + ")": [], "ingest detector": []}
    spent, lines = 0.0, 0
    for name in sorted(debates):
        rows = debates[name]
        gold = [r["label"] == "1" for r in rows]
        t0 = time.perf_counter()
        spotted = spot_sentences([{"text": r["text"] or " ", "speaker": r["speaker"]} for r in rows])
        spent += time.perf_counter() - t0
        lines += len(rows)
        texts = [r["text"] or " " for r in rows]
        lexical = [analyse_sentence(t, nlp.entities(t), None)[2] for t in texts]
        first, second = rankings.values()
        first.append(average_precision([s.score for s in spotted], gold))
        second.append(average_precision(claims.refine(texts, lexical), gold))
    print(f"CLEF-2019 Task 1 training: {len(debates)} debates, {lines:,} lines; "
          f"{1000 * spent / lines:.1f} ms per sentence through spot_sentences")
    for label, aps in rankings.items():
        print(f"  {label}: MAP {np.mean(aps):.4f} (per debate min {min(aps):.3f}, median {np.median(aps):.3f}, "
              f"max {max(aps):.3f})")


def transformer_held_out(texts: list[str], y: np.ndarray, held: np.ndarray) -> None:
    """The spotting transformer (factcheck/extract/claim_transformer.onnx) on the held-out 20%, and its cost."""
    from factcheck.extract import claim_transformer

    if not claim_transformer.available():
        print("spotting transformer: not installed")
        return
    part = [texts[i] for i in held]
    t0 = time.process_time()
    scores = claim_transformer.scores(part)
    cpu = time.process_time() - t0
    p, r, f = prf(y[held], scores >= claim_transformer.threshold())
    with open(claim_transformer.META_PATH, encoding="utf-8") as handle:
        meta = json.load(handle)
    cv = max(meta["training"]["cv"], key=lambda h: h["cv_f1"])
    print(f"{'spotting transformer, held-out 20% (never seen in training)':<66}{len(held):>6}{p:>7.3f}{r:>7.3f}"
          f"{f:>8.4f}")
    print(f"{'':<66}{'':>6}  threshold {claim_transformer.threshold()} and {meta['training']['epochs']} epochs "
          f"from its {meta['training']['folds']}-fold CV (pooled out-of-fold F1 {cv['cv_f1']}); "
          f"{1000 * cpu / len(part):.2f} ms CPU per sentence")


def clef_grouped_cv(data: str, cb_texts: list[str], cb_x: np.ndarray, cb_grams: list[list[str]],
                    cb_vectors: np.ndarray, cb_y: np.ndarray, n_folds: int, seed: int) -> None:
    """Grouped cross-validation by debate of the whole training procedure (scripts/train_claims.train_all) on the
    CLEF-2019 training debates: the debates are dealt, largest first, round-robin into n_folds folds; for each fold a
    model is trained on the ClaimBuster sentences *minus those whose text is a line of a test debate* (ClaimBuster
    contains the three 2016 presidential debates, which are CLEF debates too: ~700 lines) and scored on the test
    debates' lines (no debate is ever in both). MAP over the 19 debates."""
    from collections import defaultdict

    rows = train_claims.clef_rows(os.path.join(data, "clef2019", "CT19-T1-Training.csv"))
    texts = [r["text"] or " " for r in rows]
    gold = np.array([r["label"] == "1" for r in rows])
    debate = np.array([r["file_name"] for r in rows])
    t0 = time.perf_counter()
    x, grams = train_claims.inputs(texts, progress=False)
    vectors = encoder.encode(texts)
    sizes = defaultdict(int)
    for d in debate:
        sizes[d] += 1
    fold_of_debate = {d: i % n_folds for i, d in enumerate(sorted(sizes, key=lambda d: (-sizes[d], d)))}
    fold = np.array([fold_of_debate[d] for d in debate])
    cb_normal = [train_claims.normal_text(t) for t in cb_texts]
    scores = np.zeros(len(rows))
    dropped = []
    for k in range(n_folds):
        test = np.flatnonzero(fold == k)
        seen = {train_claims.normal_text(texts[i]) for i in test}
        keep = np.array([j for j, t in enumerate(cb_normal) if t not in seen])
        dropped.append(len(cb_texts) - len(keep))
        model = train_claims.train_all(cb_x[keep], [cb_grams[j] for j in keep], cb_vectors[keep], cb_y[keep], seed)
        scores[test] = train_claims.scorer(model)(x[test], [grams[i] for i in test], vectors[test])
    aps = [average_precision(list(scores[debate == d]), list(gold[debate == d])) for d in sorted(sizes)]
    print(f"CLEF-2019 grouped {n_folds}-fold CV by debate of the training procedure (ClaimBuster minus the test "
          f"debates' lines: {dropped} dropped per fold): MAP {np.mean(aps):.4f} (per debate min {min(aps):.3f}, "
          f"median {np.median(aps):.3f}, max {max(aps):.3f}) ({time.perf_counter() - t0:.0f}s)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--clef-only", action="store_true",
                        help="only the CLEF-2019 MAP and the spotting transformer (figures 5 and 7)")
    parser.add_argument("--clef-folds", type=int, default=5, help="grouped CV by debate on CLEF-2019 (figure 6)")
    args = parser.parse_args(argv)
    clef_map(args.data)
    with open(os.path.join(args.data, "claimbuster", "train.json"), encoding="utf-8") as handle:
        rows = json.load(handle)
    if args.clef_only:
        _train_part, held = train_claims.split(len(rows), args.seed)
        transformer_held_out([r["text"] for r in rows], np.array([int(r["label"]) == 1 for r in rows]), held)
        return 0
    started = time.perf_counter()
    inputs, feats, grams, scores, gold = [], [], [], [], []
    for row in rows:
        text = row["text"]
        entities = nlp.entities(text)
        found_dates, found_numbers, score, _speaker = analyse_sentence(text, entities, None)
        inputs.append((text, entities, found_numbers, len(found_dates)))
        f = claims.features(text, entities, found_numbers, len(found_dates))
        feats.append([f[k] for k in claims.FEATURES])
        grams.append(claims.ngrams(text))
        scores.append(score)
        gold.append(int(row["label"]) == 1)
    texts = [i[0] for i in inputs]
    t0 = time.perf_counter()
    final = claims.refine(texts, scores)
    refine_seconds = time.perf_counter() - t0
    shipped = [claims.is_check_worthy(s) for s in final]
    elapsed = time.perf_counter() - started
    x = np.array(feats, dtype=float)
    y = np.array(gold, dtype=bool)
    shipped = np.array(shipped, dtype=bool)
    meta = claims.model().meta
    print(f"ClaimBuster train.json: {len(rows):,} sentences, {y.sum():,} check-worthy ({y.mean():.1%}); "
          f"service path in {elapsed:.1f}s ({1000 * elapsed / len(rows):.1f} ms/sentence, spaCy dominates)")
    refiner = claims.model().refiner
    lo, hi = refiner.band
    in_band = sum(lo <= s <= hi for s in scores)
    print(f"shipped model: {meta.get('ngrams')} n-grams + {len(claims.FEATURES)} features, threshold "
          f"{claims.model().threshold}, l2 {meta.get('l2')}, min_df {meta.get('min_df')}; refiner over "
          f"{encoder.NAME} vectors for lexical scores in [{lo}, {hi}] ({in_band:,} sentences, "
          f"{in_band / len(rows):.0%}), threshold {refiner.threshold}; {os.path.getsize(claims.MODEL_PATH):,} bytes")
    print(f"refine over all sentences: {refine_seconds:.1f}s ({1000 * refine_seconds / max(1, in_band):.1f} ms per "
          f"refined sentence, {len(rows) / refine_seconds:,.0f} sentences/s overall)")

    # Speed of claim_score alone (best of 3 passes over all sentences, model already loaded).
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for text, entities, numbers, n_dates in inputs:
            claims.lexical_score(text, entities, numbers, n_dates)
        best = min(best, time.perf_counter() - t0)
    print(f"lexical_score alone: {len(inputs) / best:,.0f} sentences/s ({1e6 * best / len(inputs):.0f} us/sentence)")

    print(f"{'evaluation':<66}{'n':>6}{'P':>7}{'R':>7}{'F1':>7}")

    def line(name, gold_part, predicted_part):
        p, r, f = prf(gold_part, predicted_part)
        print(f"{name:<66}{len(gold_part):>6}{p:>7.3f}{r:>7.3f}{f:>8.4f}")
        return p, r, f

    _train_part, held = train_claims.split(len(rows), args.seed)
    line(f"shipped model, held-out 20% (seed {args.seed}, not used in training)", y[held], shipped[held])
    transformer_held_out(texts, y, held)

    t0 = time.perf_counter()
    vectors = encoder.encode(texts)
    print(f"sentence vectors of all {len(rows):,} sentences for the cross-validation: {time.perf_counter() - t0:.0f}s")
    t0 = time.perf_counter()
    claims.refine(texts, scores, vectors)
    with_vectors = time.perf_counter() - t0
    print(f"refine given the vectors (ingest and spotting compute them anyway for the checker and repeat matching): "
          f"{1e6 * with_vectors / len(rows):.0f} us per sentence")
    fold_of = train_claims.folds(len(rows), args.folds, args.seed)
    predicted = np.zeros(len(rows), dtype=bool)
    predicted_lexical = np.zeros(len(rows), dtype=bool)
    fold_f1, fold_f1_lexical, chosen = [], [], []
    t0 = time.perf_counter()
    for k in range(args.folds):
        tr, te = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        model = train_claims.train_all(x[tr], [grams[i] for i in tr], vectors[tr], y[tr], args.seed)
        score = train_claims.scorer(model)
        predicted[te] = score(x[te], [grams[i] for i in te], vectors[te]) >= train_claims.threshold_of(model, True)
        predicted_lexical[te] = score(x[te], [grams[i] for i in te]) >= train_claims.threshold_of(model, False)
        fold_f1.append(prf(y[te], predicted[te])[2])
        fold_f1_lexical.append(prf(y[te], predicted_lexical[te])[2])
        chosen.append((model["meta"]["l2"], model["meta"]["min_df"], model["threshold"],
                       model["refiner"]["meta"]["l2"], model["refiner"]["threshold"]))
    line(f"{args.folds}-fold CV, lexical + refiner, whole procedure (pooled)", y, predicted)
    print(f"{'':<66}{'':>6}  per-fold F1 {np.mean(fold_f1):.3f} +- {np.std(fold_f1):.3f}; chosen (l2, min_df, "
          f"threshold, refiner l2, refiner threshold): {chosen} ({time.perf_counter() - t0:.0f}s)")
    line(f"{args.folds}-fold CV, lexical stage alone (previous model) (pooled)", y, predicted_lexical)
    print(f"{'':<66}{'':>6}  per-fold F1 {np.mean(fold_f1_lexical):.3f} +- {np.std(fold_f1_lexical):.3f}")
    clef_grouped_cv(args.data, texts, x, grams, vectors, y, args.clef_folds, args.seed)
    line("shipped model, all sentences (80% seen in fitting)", y, shipped)
    line("baseline: every sentence check-worthy", y, np.ones(len(rows), dtype=bool))
    return 0


if __name__ == "__main__":
    sys.exit(main())
