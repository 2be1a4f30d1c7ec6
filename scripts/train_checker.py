"""Train the checker's three models (same event, stance, verdict) and measure them by grouped cross-validation.

    .venv/bin/python scripts/train_checker.py [--data ../shared/data] [--out factcheck/checker_model.json]

Training data (../shared/data, see its README):
- news-dev (the AI Act and the Paris summit: one cluster) and news-train (four clusters: an earthquake, the
  Olympics, a bridge collapse, an election): claims with a gold verdict and gold evidence quotes (doc, text,
  stance);
- CLIMATE-FEVER dev: claims with a verdict and five evidence sentences each, labelled SUPPORTS / REFUTES /
  NOT_ENOUGH_INFO (split into five groups by claim).

Everything is checked in ONE store that holds all of it: every news document, the demo corpus (120 Wikinews
articles) and every CLIMATE-FEVER evidence sentence, so each claim meets distractors as in a real store. Each
claim goes through the checker's own code (`check.read_candidates`: retrieval, sentence vectors, the structural
comparisons); a retrieved passage is labelled with the stance of the gold evidence it contains, if any.

- step 1 (gate): logistic regression, passages holding gold evidence against the rest (unlabelled passages of
  the claim's own cluster, which may report the same fact unannotated, weigh W_UNLABELLED);
- step 2 (stance): logistic regression over the gold evidence passages, refutes against supports;
- step 3 (verdict): multinomial logistic regression over `check.verdict_features`, fitted on out-of-fold
  passage probabilities (inner cross-validation by group), unweighted so that its probabilities are calibrated;
  the decision weighs them by 1 / the class share (macro-F1 oriented), written as `verdict_weights`.

Cross-validation is leave-one-group-out: a news cluster (or a fifth of CLIMATE-FEVER) is never in the training
folds of its own claims. The figures go into the model file's "meta" with the hash of the training data.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from factcheck.check import (VERDICT_FEATURES, Assessed, assess, decide, independent_sources,  # noqa: E402
                             read_candidates, verdict_features)
from factcheck.config import Config  # noqa: E402
from factcheck.extract import analyse_claim  # noqa: E402
from factcheck.features import FEATURES  # noqa: E402
from factcheck.learned import CheckerModel, Logistic  # noqa: E402
from factcheck.models import VERDICTS  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
CACHE = Path(os.environ.get("FACTCHECK_CACHE", Path.home() / ".cache" / "factcheck")) / "train-checker"
W_UNLABELLED = float(os.environ.get("W_UNLABELLED", "0.3"))  # (an environment override for experiments)
C_GATE = C_STANCE = C_VERDICT = 1.0
PRIOR_POWER = float(os.environ.get("PRIOR_POWER", "1"))  # 1: weigh verdicts by 1 / share; 0: plain argmax
VECTOR_FEATURES = ("cos", "cos_title", "cos_rel")
# Every comparison feature but the raw retrieval score, which the two stores compute differently (FTS5's bm25
# and Elasticsearch's BM25): the rank stands for it, so that both stores give the same verdicts.
PAIR_FEATURES = tuple(f for f in FEATURES if f != "bm25") + ("cos_rel", "cover_rel")
CF_LABELS = {"SUPPORTS": "SUPPORTED", "REFUTES": "REFUTED", "DISPUTED": "CONFLICTING",
             "NOT_ENOUGH_INFO": "NOT_ENOUGH_EVIDENCE"}
CF_GROUPS = 5


@dataclass
class Claim:
    id: str
    text: str
    claim_date: Optional[str]
    label: str
    group: str
    kind: str
    evidence: list[dict] = field(default_factory=list)  # news: {doc_id, text, stance}; CF: {text, stance}
    documents: set = field(default_factory=set)  # the documents of its own cluster
    rows: list = field(default_factory=list)  # (features, pair label: "supports"/"refutes"/None, in own cluster)
    comparisons: list = field(default_factory=list)
    verdict_features: dict = field(default_factory=dict)
    synthetic: list = field(default_factory=list)  # (features, "refutes", True) of altered copies of the claim


# ------------------------------------------------------------------------------------------------- data

def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


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


def corpus_records(data: Path) -> list[dict]:
    """Every document the benchmark store holds: news-dev, news-train, the demo corpus, CLIMATE-FEVER evidence."""
    records = []
    for name in ("news-dev", "news-train"):
        for doc in read_jsonl(data / name / "documents.jsonl"):
            records.append({k: v for k, v in doc.items() if k != "cluster"})
    records += read_jsonl(ROOT / "factcheck" / "demo" / "wikinews.jsonl")
    records += climate_fever_sources(read_jsonl(data / "climate-fever-dev.jsonl"))
    return records


def load_claims(data: Path, climate_fever: bool = True) -> list[Claim]:
    claims = []
    for name in ("news-dev", "news-train"):
        documents: dict[str, set] = collections.defaultdict(set)
        for doc in read_jsonl(data / name / "documents.jsonl"):
            documents[doc.get("cluster") or name].add(doc["id"])
        for c in read_jsonl(data / name / "claims.jsonl"):
            group = c.get("cluster") or name
            claims.append(Claim(id=c["id"], text=c["claim"], claim_date=c.get("claim_date"), label=c["label"],
                                group=group, kind=c.get("kind") or "-", evidence=c.get("evidence") or [],
                                documents=documents[group]))
    if climate_fever:
        for i, c in enumerate(read_jsonl(data / "climate-fever-dev.jsonl")):
            stances = {"SUPPORTS": "supports", "REFUTES": "refutes"}
            claims.append(Claim(id="cf-" + c["claim_id"], text=c["claim"], claim_date=None,
                                label=CF_LABELS[c["claim_label"]], group=f"climate-fever-{i % CF_GROUPS}",
                                kind="climate-fever",
                                evidence=[{"text": e["evidence"].strip(),
                                           "stance": stances.get(e["evidence_label"])} for e in c["evidences"]]))
    return claims


def _code_hash() -> str:
    """Extraction and ingest code: a change re-builds the cached store."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "factcheck" / "extract").glob("*.py")) + [ROOT / "factcheck" / "ingest.py",
                                                                       ROOT / "factcheck" / "store" / "sqlite.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def data_hash(records: list[dict], claims: list[Claim]) -> str:
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record, sort_keys=True).encode())
    for claim in claims:
        digest.update(json.dumps([claim.id, claim.text, claim.claim_date, claim.label, claim.evidence],
                                 sort_keys=True).encode())
    return digest.hexdigest()


def bench_store(data: Path, kind: str = "sqlite", cache: Path = CACHE, progress=print):
    """The store with every document and distractor (SQLite: built once and cached by content and code hash;
    Elasticsearch: built fresh under a random prefix, dropped by the caller)."""
    from factcheck.ingest import ingest_records

    records = corpus_records(data)
    if kind == "elasticsearch":
        import uuid

        from factcheck.store.elastic import ElasticStore

        url = os.environ.get("ELASTICSEARCH_URL") or os.environ.get("ELASTICSEARCH_TEST_URL") or \
            "http://127.0.0.1:9200"
        store = ElasticStore(url, prefix="bench-" + uuid.uuid4().hex[:8])
        started = time.perf_counter()
        report = ingest_records(store, records, Config(load_demo=False))
        store.refresh_indexes()
        progress(f"store: {report.summary()} in {time.perf_counter() - started:.0f}s (Elasticsearch {store.prefix})")
        return store
    from factcheck.store.sqlite import SqliteStore

    from factcheck.config import claim_vectors_enabled

    key = hashlib.sha256((data_hash(records, []) + _code_hash() + str(claim_vectors_enabled())).encode()) \
        .hexdigest()[:16]
    path = cache / f"store-{key}.db"
    done = path.with_suffix(".done")
    if not done.exists():
        cache.mkdir(parents=True, exist_ok=True)
        for stale in cache.glob("store-*"):
            if not stale.name.startswith(path.stem):
                stale.unlink()
        store = SqliteStore(str(path))
        started = time.perf_counter()
        progress(f"store: ingesting {len(records)} documents (news, demo corpus, CLIMATE-FEVER evidence) "
                 f"into {path} ...")
        report = ingest_records(store, records, Config(load_demo=False))
        progress(f"store: {report.summary()} in {time.perf_counter() - started:.0f}s")
        if report.failed:
            raise SystemExit(f"store: {report.failed} documents failed: {report.errors[:3]}")
        done.write_text(report.summary())
        return store
    return SqliteStore(str(path))


def _normalised(text: str) -> tuple[str, list[int]]:
    """Text with runs of white space as one space, and for each kept character its offset in the original."""
    out, offsets = [], []
    for i, ch in enumerate(text):
        if ch.isspace():
            if out and out[-1] == " ":
                continue
            out.append(" ")
        else:
            out.append(ch)
        offsets.append(i)
    return "".join(out), offsets


def gold_passages(store, claim: Claim) -> dict[str, str]:
    """passage id -> gold stance, for the passages a gold evidence quote falls in (found in its document's text,
    white space aside; a quote spanning sentences labels each of them)."""
    labels: dict[str, str] = {}
    for evidence in claim.evidence:
        stance = {"supports": "supports", "refutes": "refutes"}.get(evidence.get("stance") or "")
        if not stance or "doc_id" not in evidence:
            continue
        source = store.get_source(evidence["doc_id"])
        if source is None:
            continue
        quote = re.sub(r"\s+", " ", evidence["text"].strip().rstrip(".:;,"))
        text, offsets = _normalised(source.text)
        at = text.find(quote)
        if at < 0:
            continue
        start, end = offsets[at], offsets[at + len(quote) - 1] + 1
        for passage in store.get_passages(source.id):
            if passage.start < end and start < passage.end:
                labels[passage.id] = stance
    return labels


def collect(store, claims: list[Claim], progress=print) -> None:
    """Every claim's candidates through the checker's own code, each labelled with its gold stance (if any)."""
    started = time.perf_counter()
    for n, claim in enumerate(claims, 1):
        analysis = analyse_claim(claim.text, claim.claim_date)
        comparisons, _ = read_candidates(store, analysis)
        if claim.group.startswith("climate-fever"):
            by_text = {e["text"]: e["stance"] for e in claim.evidence}
            labels = {c.hit.passage.id: by_text[c.hit.source.text.strip()] for c in comparisons
                      if c.hit.source.text.strip() in by_text}
            own = set(labels)  # its five evidence sentences, whatever their label
            labels = {k: v for k, v in labels.items() if v}
        else:
            labels = gold_passages(store, claim)
            own = {c.hit.passage.id for c in comparisons if c.hit.source.id in claim.documents}
        claim.comparisons = comparisons
        claim.rows = [(c.features, labels.get(c.hit.passage.id), c.hit.passage.id in own) for c in comparisons]
        claim.synthetic = synthetic_refutations(analysis, comparisons, labels) \
            if not claim.group.startswith("climate-fever") else []
        if n % 100 == 0 or n == len(claims):
            progress(f"candidates: {n}/{len(claims)} claims ({time.perf_counter() - started:.0f}s)")


# ------------------------------------------------------------------------------- synthetic refutations

SYNTHETIC_WEIGHT = float(os.environ.get("SYNTHETIC_WEIGHT", "0.5"))  # (an environment override for experiments)
OTHER_PLACES = ("Lisbon", "Nairobi", "Osaka", "Toronto", "Lima")
OTHER_PERSON = "Maria Jensen"
OPPOSITES = {"approved": "rejected", "rejected": "approved", "won": "lost", "lost": "won", "rose": "fell",
             "fell": "rose", "increased": "decreased", "decreased": "increased", "allowed": "banned",
             "banned": "allowed", "accepted": "refused", "refused": "accepted", "confirmed": "denied",
             "denied": "confirmed", "supported": "opposed", "opposed": "supported", "included": "excluded",
             "excluded": "included", "joined": "left", "applies": "does not apply", "signed": "refused to sign"}
OPPOSITE = re.compile(r"\b(" + "|".join(OPPOSITES) + r")\b", re.I)
AUXILIARY = re.compile(r"\b(was|were|is|are|has|have|had|will|would)\b")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def altered_claims(analysis) -> list[str]:
    """Copies of a claim with one slot changed - a figure (x1.5), a day (+9 days), the place where it happened,
    a person, a verb for its opposite, a negation - each of which its supporting evidence then contradicts (kept
    only where the comparison finds the disagreement)."""
    from datetime import date, timedelta

    from factcheck.compare import is_locative

    text, out = analysis.text, []

    def swap(start: int, end: int, new: str) -> str:
        return text[:start] + new + text[end:]

    for number in analysis.numbers:
        digits = re.search(r"\d[\d,]*(?:\.\d+)?", number.text)
        if number.kind == "ordinal" or not digits:
            continue
        written = digits.group(0)
        value = float(written.replace(",", "")) * 1.5
        decimals = len(written.split(".")[1]) if "." in written else 0
        new = f"{value:,.{decimals}f}" if "," in written else f"{value:.{decimals}f}"
        out.append(swap(number.start + digits.start(), number.start + digits.end(), new))
        break
    for mention in analysis.dates:
        if mention.granularity == "day" and mention.resolved and mention.range_start and \
                re.search(r"\d", mention.text) and mention.range_start == mention.range_end:
            day = date.fromisoformat(mention.range_start) + timedelta(days=9)
            new = f"{day.day} {MONTHS[day.month - 1]}" + (f" {day.year}" if re.search(r"\b\d{4}\b", mention.text)
                                                          else "")
            out.append(swap(mention.start, mention.end, new))
            break
    for entity in analysis.entities:
        if entity.label == "PLACE" and is_locative(text, entity):
            other = next(p for p in OTHER_PLACES if p.lower() not in text.lower())
            out.append(swap(entity.start, entity.end, other))
            break
    for entity in analysis.entities:
        if entity.label == "PERSON" and OTHER_PERSON not in text:
            out.append(swap(entity.start, entity.end, OTHER_PERSON))
            break
    opposite = OPPOSITE.search(text)
    if opposite:
        word = opposite.group(0)
        other = OPPOSITES[word.lower()]
        out.append(swap(opposite.start(), opposite.end(), other[0].upper() + other[1:] if word[0].isupper() else other))
    auxiliary = AUXILIARY.search(text)
    if auxiliary and not re.search(r"\b(not|never|no)\b|n't", text, re.I):
        out.append(swap(auxiliary.end(), auxiliary.end(), " not"))
    return out


def synthetic_refutations(analysis, comparisons: list, labels: dict) -> list:
    """Feature rows of altered claims against the gold passages that support the original, kept where the
    comparison states the disagreement (labelled refutes: the learned stance meets every kind of stated conflict,
    not only the few the annotated news holds)."""
    from factcheck.extract import sentence_vectors
    from factcheck.features import compare_passage, view_claim

    supporting = [c for c in comparisons if labels.get(c.hit.passage.id) == "supports"]
    if not supporting:
        return []
    hits = [c.hit for c in comparisons]
    best = max(h.score for h in hits)
    top_cover = max(c.features["cover"] for c in comparisons)
    rows = []
    for text in altered_claims(analysis):
        altered = analyse_claim(text, analysis.anchor.isoformat() if analysis.anchor else None)
        view = view_claim(altered, hits)
        vectors = sentence_vectors([text])
        top_cos = max((float(np.dot(vectors[0], h.passage.vector)) for h in hits if h.passage.vector is not None),
                      default=0.0) if vectors is not None else 0.0
        for c in supporting:
            comparison = compare_passage(view, c.hit, c.rank, best)
            if not (comparison.conflicts or comparison.mismatches):
                continue
            f = comparison.features
            if vectors is not None and c.hit.passage.vector is not None:
                f["cos"] = float(np.dot(vectors[0], c.hit.passage.vector))
                title = c.hit.source.title_vector
                f["cos_title"] = float(np.dot(vectors[0], title)) if title is not None else 0.0
                f["cos_rel"] = f["cos"] - top_cos
            f["cover_rel"] = f["cover"] - top_cover
            rows.append((f, "refutes", True))
    return rows


# ---------------------------------------------------------------------------------------------- fitting

def _fit_logistic(x: np.ndarray, y: np.ndarray, names: list[str], classes: list[str], c: float,
                  weights: Optional[np.ndarray] = None, positive: tuple[str, ...] = ()) -> Logistic:
    """L2-regularised logistic regression on standardised features (scikit-learn's). Features named in
    `positive` may only raise the probability of the second class: a binary fit then solves the same objective
    (C times the weighted log loss plus half the squared weights) with those weights bounded below by 0."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=c, max_iter=5000).fit(z, y, sample_weight=weights)
    order = [list(model.classes_).index(k) for k in classes] if len(classes) > 2 else None
    coef = model.coef_ if order is None else model.coef_[order]
    intercept = model.intercept_ if order is None else model.intercept_[order]
    if positive and len(classes) == 2:
        coef, intercept = _fit_signed(z, y, c, weights, [n in positive for n in names],
                                      np.append(coef[0], intercept[0]))
    return Logistic(features=names, classes=classes, mean=mean, scale=scale, coef=coef, intercept=intercept)


def _fit_signed(z: np.ndarray, y: np.ndarray, c: float, weights: Optional[np.ndarray], positive: list[bool],
                start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.optimize import minimize

    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    sign = 2.0 * y - 1.0

    def objective(theta):
        margin = sign * (z @ theta[:-1] + theta[-1])
        loss = np.logaddexp(0.0, -margin)
        grad_margin = -w * sign / (1.0 + np.exp(margin))
        value = c * float(w @ loss) + 0.5 * float(theta[:-1] @ theta[:-1])
        grad = np.append(c * (z.T @ grad_margin) + theta[:-1], c * grad_margin.sum())
        return value, grad

    bounds = [(0.0, None) if p else (None, None) for p in positive] + [(None, None)]
    start = np.array([max(v, 0.0) if p else v for v, p in zip(start[:-1], positive)] + [start[-1]])
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 5000})
    return result.x[:-1][None, :], result.x[-1:]


def pair_features(variant: str) -> list[str]:
    return [f for f in PAIR_FEATURES if variant == "vectors" or f not in VECTOR_FEATURES]


# The stance model reads every comparison feature ("all"); STANCE_FEATURES may name a subset instead. Tying the
# kinds of stated disagreement into one "strict" count was measured and not kept (bench/RESULTS.md).
STANCE_FEATURES = os.environ.get("STANCE_FEATURES", "all").split()
# A stated disagreement (a date, figure, place, person, role, quotation or polarity that differs) may only raise
# the stance's probability of a conflict, never lower it: without the bound, a kind of conflict that the annotated
# data holds few of takes whatever weight its few rows give it (the exemption "exempting" once weighed against a
# conflict). SIGNED=0 fits without the bound (for comparison).
DISAGREEMENTS = tuple(f for f in FEATURES if f.endswith(("_conflict", "_mismatch")) or
                      f in ("strict", "loose", "any_conflict", "beaten")) \
    if os.environ.get("SIGNED", "1") != "0" else ()


def fit_pairs(claims: list[Claim], variant: str) -> tuple[Logistic, Logistic]:
    """Steps 1 and 2 on the claims' labelled candidates."""
    names = pair_features(variant)
    stance_names = [n for n in STANCE_FEATURES if n in names] if STANCE_FEATURES != ["all"] else names
    rows = [row for claim in claims for row in claim.rows]
    weights = [1.0 if label is not None or not own else W_UNLABELLED for _, label, own in rows]
    synthetic = [row for claim in claims for row in claim.synthetic]
    rows += synthetic
    weights += [SYNTHETIC_WEIGHT] * len(synthetic)
    x = np.array([[f.get(n, 0.0) for n in names] for f, _, _ in rows])
    y = np.array([label is not None for _, label, _ in rows], dtype=int)
    w = np.array(weights)
    gate = _fit_logistic(x, y, names, ["other", "same_event"], C_GATE, w)
    labelled = [i for i, (_, label, _) in enumerate(rows) if label]
    ys = np.array([rows[i][1] == "refutes" for i in labelled], dtype=int)
    keep = [names.index(n) for n in stance_names]
    stance = _fit_logistic(x[labelled][:, keep], ys, stance_names, ["supports", "conflicts"], C_STANCE, w[labelled],
                           positive=DISAGREEMENTS)
    return gate, stance


def assessed_of(claim: Claim, gate: Logistic, stance: Logistic) -> list[Assessed]:
    """Steps 1 and 2 on a claim's candidates."""
    return assess(claim.comparisons, CheckerModel(gate=gate, stance=stance, verdict=None, verdict_weights=[]))


def claim_weights(claims: list[Claim]) -> np.ndarray:
    """News and CLIMATE-FEVER weigh the same in total (750 encyclopaedic claims would drown 180 news ones)."""
    news = sum(1 for c in claims if not c.group.startswith("climate-fever"))
    other = len(claims) - news
    if not news or not other:
        return np.ones(len(claims))
    return np.array([1.0 if not c.group.startswith("climate-fever") else news / other for c in claims])


def fit_model(claims: list[Claim], variant: str) -> CheckerModel:
    """All three steps; the verdict step learns from out-of-fold passage probabilities (inner CV by group)."""
    gate, stance = fit_pairs(claims, variant)
    groups = sorted({c.group for c in claims})
    for group in groups:
        inner_gate, inner_stance = fit_pairs([c for c in claims if c.group != group], variant)
        for claim in claims:
            if claim.group == group:
                assessed = assessed_of(claim, inner_gate, inner_stance)
                independent_sources(assessed)
                claim.verdict_features = verdict_features(assessed)
    x = np.array([[c.verdict_features[n] for n in VERDICT_FEATURES] for c in claims])
    y = np.array([c.label for c in claims])
    weights = claim_weights(claims)
    verdict = _fit_logistic(x, y, list(VERDICT_FEATURES), list(VERDICTS), C_VERDICT, weights)
    share = {label: float(weights[y == label].sum() / weights.sum()) for label in VERDICTS}
    return CheckerModel(gate=gate, stance=stance, verdict=verdict,
                        verdict_weights=[(1.0 / max(share[label], 1e-3) / len(VERDICTS)) ** PRIOR_POWER
                                         for label in VERDICTS],
                        variant=variant)


def predict(model: CheckerModel, claim: Claim) -> tuple[str, float, dict]:
    return decide(assess(claim.comparisons, model), model)


def cross_validate(claims: list[Claim], variant: str, progress=print) -> dict[str, tuple[str, float, dict]]:
    """Leave-one-group-out: claim id -> (verdict, confidence, probabilities) from a model that never saw the
    claim's group."""
    out = {}
    for group in sorted({c.group for c in claims}):
        started = time.perf_counter()
        model = fit_model([c for c in claims if c.group != group], variant)
        for claim in claims:
            if claim.group == group:
                out[claim.id] = predict(model, claim)
        progress(f"cv {variant}: held out {group} ({time.perf_counter() - started:.0f}s)")
    return out


# ------------------------------------------------------------------------------------- timeline events

def event_pairs(claims: list[Claim], variant: str, seed: int = 13) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                             np.ndarray]:
    """Sentence pairs for the timeline's same-event model, from the news claims' gold evidence: two evidence
    sentences of one claim from different sources report one event (whether they agree on it or not); evidence
    sentences of different claims of a cluster mostly report different events (weight 0.5: some are the same),
    and of different clusters, different events. Returns features, labels, weights and each pair's group."""
    from factcheck.timeline import EVENT_FEATURES, pair_features
    from factcheck.textutil import content_terms

    items = []  # (claim index, group, passage, source id)
    for n, claim in enumerate(claims):
        if claim.group.startswith("climate-fever"):
            continue
        for comparison, (_, label, _) in zip(claim.comparisons, claim.rows):
            if label and comparison.hit.passage.vector is not None:
                items.append((n, claim.group, comparison.hit.passage, comparison.hit.source.id))
    passages = [p for _, _, p, _ in items]
    features = pair_features([content_terms(p.text, exclude=[(d.start, d.end) for d in p.dates]) for p in passages],
                             [{e.key for e in p.entities if e.key} for p in passages],
                             np.vstack([p.vector for p in passages]) if variant == "vectors" else None)
    rng = np.random.default_rng(seed)
    x, y, w, groups = [], [], [], []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            (ci, gi, pi, si), (cj, gj, pj, sj) = items[i], items[j]
            if si == sj or pi.text == pj.text:
                continue
            if ci == cj:
                label, weight = 1, 1.0
            elif gi == gj:
                label, weight = 0, 0.5
            elif rng.random() < 0.05:  # far more cross-cluster pairs than needed
                label, weight = 0, 1.0
            else:
                continue
            x.append([features[name][i, j] for name in EVENT_FEATURES])
            y.append(label)
            w.append(weight)
            groups.append(gi if gi == gj else "")
    return np.array(x), np.array(y), np.array(w), np.array(groups)


def fit_events(claims: list[Claim], variant: str) -> tuple[Logistic, dict]:
    """The timeline's same-event model and its leave-one-cluster-out AUC and accuracy at the 0.5 threshold."""
    from sklearn.metrics import roc_auc_score

    from factcheck.timeline import EVENT_FEATURES

    names = [n for n in EVENT_FEATURES if variant == "vectors" or n != "cos"]
    keep = [list(EVENT_FEATURES).index(n) for n in names]
    x, y, w, groups = event_pairs(claims, variant)
    x = x[:, keep]
    scores = np.zeros(len(y))
    for group in sorted(set(groups) - {""}):
        held = groups == group
        model = _fit_logistic(x[~held], y[~held], names, ["other", "same_event"], 1.0, w[~held])
        scores[held] = model.positive([dict(zip(names, row)) for row in x[held]])
    held = groups != ""
    figures = {"pairs": int(len(y)), "same_event_pairs": int(y.sum()),
               "cv_auc_within_cluster": round(float(roc_auc_score(y[held], scores[held])), 4),
               "cv_accuracy_at_0.5": round(float(((scores[held] >= 0.5) == y[held]).mean()), 4)}
    return _fit_logistic(x, y, names, ["other", "same_event"], 1.0, w), figures


# ---------------------------------------------------------------------------------------------- scoring

def scores(gold: list[str], predicted: list[str]) -> dict:
    """Accuracy, per-label precision/recall/F1, macro-F1 over the labels present, confusion matrix."""
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
    return {"accuracy": accuracy, "macro_f1": macro, "per_label": per_label, "confusion": confusion, "n": len(gold)}


def calibration(items: list[tuple[str, float, dict]]) -> dict:
    """Brier score (four-way) and a reliability table of the verdict's confidence: (gold, label, confidence,
    probabilities) items."""
    brier = float(np.mean([sum((probs.get(label, 0.0) - (gold == label)) ** 2 for label in VERDICTS)
                           for gold, _, _, probs in items])) if items else 0.0
    bins = []
    for lo, hi in ((0.0, 0.4), (0.4, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 1.01)):
        inside = [(gold == label) for gold, label, conf, _ in items if lo <= conf < hi]
        if inside:
            mean_conf = float(np.mean([conf for gold, label, conf, _ in items if lo <= conf < hi]))
            bins.append({"range": f"{lo:.1f}-{min(hi, 1.0):.1f}", "n": len(inside), "confidence": round(mean_conf, 3),
                         "accuracy": round(float(np.mean(inside)), 3)})
    return {"brier": round(brier, 4), "bins": bins}


def summary(claims: list[Claim], predictions: dict) -> dict:
    """Overall, per-domain and per-group figures of cross-validated predictions."""
    def block(subset):
        s = scores([c.label for c in subset], [predictions[c.id][0] for c in subset])
        return {"n": s["n"], "accuracy": round(s["accuracy"], 4), "macro_f1": round(s["macro_f1"], 4)}

    news = [c for c in claims if not c.group.startswith("climate-fever")]
    cf = [c for c in claims if c.group.startswith("climate-fever")]
    out = {"news": block(news) if news else None, "climate_fever": block(cf) if cf else None,
           "groups": {g: block([c for c in claims if c.group == g]) for g in sorted({c.group for c in claims})}}
    out["calibration_news"] = calibration([(c.label, *predictions[c.id]) for c in news])
    return out


# ------------------------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--out", default=str(ROOT / "factcheck" / "checker_model.json"))
    parser.add_argument("--no-cv", action="store_true", help="fit and write the model without cross-validation")
    args = parser.parse_args(argv)
    data = Path(args.data)
    claims = load_claims(data)
    store = bench_store(data)
    try:
        collect(store, claims)
    finally:
        store.close()
    meta = {"data": "news-dev + news-train (claims with gold evidence) and CLIMATE-FEVER dev, checked in one "
                    "store with the demo corpus and every CLIMATE-FEVER evidence sentence as distractors",
            "data_sha256": data_hash(corpus_records(data), claims), "claims": len(claims),
            "labelled_passages": sum(1 for c in claims for _, label, _ in c.rows if label),
            "synthetic_refutations": sum(len(c.synthetic) for c in claims),
            "passages": sum(len(c.rows) for c in claims), "w_unlabelled": W_UNLABELLED,
            "c": {"gate": C_GATE, "stance": C_STANCE, "verdict": C_VERDICT},
            "trained": time.strftime("%Y-%m-%d"), "script": "scripts/train_checker.py"}
    models = {}
    for variant in ("vectors", "lexical"):
        if not args.no_cv:
            meta[f"cv_{variant}"] = summary(claims, cross_validate(claims, variant))
            print(json.dumps({variant: {k: v for k, v in meta[f"cv_{variant}"].items() if k != "groups"}}))
        models[variant] = fit_model(claims, variant).to_dict()
        events, figures = fit_events(claims, variant)
        models[variant]["events"] = events.to_dict()
        meta[f"events_{variant}"] = figures
        print(json.dumps({f"events_{variant}": figures}))
    Path(args.out).write_text(json.dumps({"meta": meta, "models": models}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
