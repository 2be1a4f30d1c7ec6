"""Earlier checks of the same claim ("Already checked on 2 May: REFUTED, published").

Every saved check is indexed by its claim's terms and MiniLM vector (Store.save_check, `claim_vector`). For a new
claim, candidates come from both indexes (Store.nearest_checks and Store.search_checks); each candidate pair is read
by `pair_features` (cosine of the vectors, shared words, whether their figures and dates, negation and names agree)
and a logistic model (repeat_model.json, written by scripts/train_repeat.py from claims and paraphrases of them,
with its cross-validated figures) gives the probability that the two sentences state the same claim. Only pairs at
or above the model's calibrated threshold are shown: a claim on the same topic with another figure or date is a
different claim. A candidate's editorial review is read through the Store (published reviews show their rating).

Pure domain code over the Store protocol; the API, the web pages and the CLI call `find_previous`, and save checks
through `save_check` so that the claim's vector is stored with them.
"""
from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from typing import Optional

import numpy as np

from .learned import Logistic
from .models import Verdict
from .store.base import Store
from .textutil import index_terms

MODEL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "repeat_model.json")
FEATURES = ("cosine", "cosine_sq", "terms_jaccard", "terms_cover", "figures_conflict", "figures_extra",
            "figures_same", "negation_differs", "names_conflict", "names_extra")
CANDIDATES = 10
MAX_SHOWN = 5

_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|none|without|refused|declined|failed|"
                       r"didn't|don't|doesn't|isn't|wasn't|weren't|won't|cannot|can't)\b|n't\b", re.I)
_DIGITS = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w'’-]+)")


@dataclass
class PreviousCheck:
    """An earlier check of the same claim, with the probability that it is the same claim (`similarity`)."""

    check_id: str
    claim: str
    verdict: str
    confidence: float
    checked_at: Optional[str]
    similarity: float
    review_status: Optional[str] = None
    rating: Optional[str] = None
    published_at: Optional[str] = None

    @property
    def published(self) -> bool:
        return self.review_status == "published"

    def to_dict(self) -> dict:
        return {**asdict(self), "published": self.published, "summary": self.summary()}

    def summary(self) -> str:
        """"Already checked on 2 May 2024: REFUTED, published" in plain words."""
        from datetime import date

        when = ""
        try:
            day = date.fromisoformat((self.checked_at or "")[:10])
            when = f" on {day.day} {day.strftime('%B %Y')}"
        except ValueError:
            pass
        label = self.rating if self.published and self.rating else self.verdict
        status = ", published" if self.published else (f", review {self.review_status.replace('_', ' ')}"
                                                        if self.review_status else "")
        return f"Already checked{when}: {label}{status}"


# ---------------------------------------------------------------------------------------------------- features

# Dates are compared, not placed in time: both sentences are read against one fixed day, so that "6 July" and
# "18 July" (no year) still differ, and "Tuesday" means the same day in both.
_READING_DAY = date(2000, 1, 1)


def _figures(text: str) -> tuple:
    """Dates (as day ranges) and every number of a sentence, those inside dates included ("4:12 p.m.")."""
    from .extract import dates as date_extract, numbers as number_extract

    found_dates = date_extract.extract_dates(text, _READING_DAY)
    dates = tuple((d.range_start, d.range_end) for d in found_dates
                  if d.type != "duration" and d.range_start and d.range_end)
    numbers = {float(n.value) for n in number_extract.extract_numbers(text)}
    # and every written figure as it stands ("4:12 p.m." is 4 and 12; "€35 million" is also 35)
    numbers |= {float(m.replace(",", "")) for m in _DIGITS.findall(text)}
    return dates, tuple(sorted(numbers))


def _unmatched(mine: tuple, theirs: tuple) -> int:
    """How many of my figures have no counterpart in theirs: a date whose days do not overlap any of theirs
    ("March 2024" and "13 March 2024" overlap), a number equal to none of theirs (within 0.5%)."""
    my_dates, my_numbers = mine
    their_dates, their_numbers = theirs
    missing = sum(1 for start, end in my_dates if not any(start <= e and s <= end for s, e in their_dates))
    missing += sum(1 for value in my_numbers
                   if not any(abs(value - other) <= 0.005 * max(abs(value), abs(other)) for other in their_numbers))
    return missing


def _names(text: str) -> set[str]:
    """Stems of the capitalised words after a sentence's first word (names, mostly)."""
    from .textutil import stem

    return {stem(m) for m in _CAPITALISED.findall(text)}


def _terms(text: str) -> set[str]:
    return set(index_terms(text).split())


@dataclass
class ClaimReading:
    """What pair_features needs from one sentence, computed once per sentence."""

    terms: set
    figures: set
    negated: bool
    names: set


@lru_cache(maxsize=4096)
def read(text: str) -> ClaimReading:
    """(Cached: every check reads the earlier checks it finds, mostly the same few claims; the reading is shared,
    treat it as read-only.)"""
    return ClaimReading(_terms(text), _figures(text), bool(_NEGATION.search(text)), _names(text))


def pair_features(a: ClaimReading, b: ClaimReading, cosine: float) -> list[float]:
    """The FEATURES of a pair of sentences (symmetric), given the cosine of their vectors."""
    union = a.terms | b.terms
    shared = a.terms & b.terms
    smaller = min(len(a.terms), len(b.terms)) or 1
    a_missing, b_missing = _unmatched(a.figures, b.figures), _unmatched(b.figures, a.figures)
    a_any, b_any = any(a.figures), any(b.figures)
    a_names, b_names = a.names - b.names, b.names - a.names
    return [cosine, cosine * cosine, len(shared) / len(union) if union else 0.0, len(shared) / smaller,
            # each states a figure the other lacks: another date or number for the same thing
            1.0 if a_missing and b_missing else 0.0,
            # one states figures the other has not
            1.0 if bool(a_missing) != bool(b_missing) else 0.0,
            1.0 if a_any and b_any and not a_missing and not b_missing else 0.0,
            1.0 if a.negated != b.negated else 0.0,
            # each names someone or something the other does not; one names more than the other
            1.0 if a_names and b_names else 0.0, 1.0 if bool(a_names) != bool(b_names) else 0.0]


# ---------------------------------------------------------------------------------------------------- the model

@dataclass(frozen=True)
class MatchModel:
    """The pair model (a binary `learned.Logistic` over FEATURES, unscaled) and the threshold it was calibrated at."""
    logistic: Logistic
    threshold: float
    meta: dict

    def probability(self, values: list[float]) -> float:
        return float(self.logistic.positive([dict(zip(FEATURES, values))])[0])


_MODEL: Optional[MatchModel] = None
_LOCK = threading.Lock()


def load_model(path: str = MODEL_PATH) -> MatchModel:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    missing = [name for name in FEATURES if name not in data["weights"]]
    if missing:
        raise ValueError(f"{path}: no weight for features {missing}; retrain with scripts/train_repeat.py")
    # repeat_model.json keeps scikit-learn's raw form (bias and one weight per feature, features not scaled)
    logistic = Logistic(features=list(FEATURES), classes=["other", "same"], mean=np.zeros(len(FEATURES)),
                        scale=np.ones(len(FEATURES)), coef=np.array([[float(data["weights"][k]) for k in FEATURES]]),
                        intercept=np.array([float(data["bias"])]))
    return MatchModel(logistic, float(data["threshold"]), data.get("meta", {}))


def model() -> MatchModel:
    """The shipped model, read once on first use."""
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                _MODEL = load_model()
    return _MODEL


# ---------------------------------------------------------------------------------------------------- matching

def claim_vectors(texts: list[str]):
    """MiniLM vectors of the claims (a row each), or None when the encoder is unavailable."""
    from .extract import sentence_vectors

    return sentence_vectors(list(texts))


def save_check(store: Store, verdict: Verdict, vector=None) -> str:
    """Save a verdict with its claim's vector, so that later claims find it (`find_previous`)."""
    if verdict.claim_vector is None:
        if vector is None:
            vectors = claim_vectors([verdict.claim])
            vector = vectors[0] if vectors is not None else None
        verdict.claim_vector = vector
    return store.save_check(verdict)


def _cosine(a, b) -> float:
    import numpy as np

    if a is None or b is None:
        return 0.0
    return float(np.dot(np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)))


def find_previous(store: Store, claim: str, *, vector=None, exclude: Optional[str] = None,
                  before: Optional[str] = None, limit: int = MAX_SHOWN,
                  threshold: Optional[float] = None) -> list[PreviousCheck]:
    """Earlier checks of the same claim, most probable first, each at or above the calibrated threshold (or the
    one given); `exclude` leaves out one check id (the check being shown), `before` the checks saved after
    that moment (ISO). The vector is computed when not given."""
    if not claim or not claim.strip():
        return []
    if vector is None:
        vectors = claim_vectors([claim])
        vector = vectors[0] if vectors is not None else None
    matcher = model()
    cut = matcher.threshold if threshold is None else threshold
    candidates = {}
    if vector is not None:
        for hit in store.nearest_checks(vector, limit=CANDIDATES):
            candidates.setdefault(hit.check.id, hit)
    for hit in store.search_checks(claim, limit=CANDIDATES):
        candidates.setdefault(hit.check.id, hit)
    candidates.pop(exclude, None)
    if before:
        candidates = {k: hit for k, hit in candidates.items() if (hit.check.created_at or "") < before}
    if not candidates:
        return []
    # Checks saved without a vector (before vectors were kept) get theirs now.
    missing = [hit for hit in candidates.values() if hit.vector is None]
    if missing and vector is not None:
        vectors = claim_vectors([hit.check.claim for hit in missing])
        for hit, row in zip(missing, vectors if vectors is not None else []):
            hit.vector = row
    mine = read(claim)
    found = []
    for hit in candidates.values():
        probability = matcher.probability(pair_features(mine, read(hit.check.claim), _cosine(vector, hit.vector)))
        if probability >= cut:
            found.append((probability, hit.check))
    found.sort(key=lambda item: (-item[0], item[1].created_at or "", item[1].id))
    out = []
    for probability, check in found[:limit]:
        review = store.get_review(check.id)
        out.append(PreviousCheck(
            check_id=check.id, claim=check.claim, verdict=check.verdict, confidence=check.confidence,
            checked_at=check.created_at, similarity=round(probability, 3),
            review_status=review.status if review else None,
            rating=review.rating if review and review.status == "published" else None,
            published_at=review.published_at if review and review.status == "published" else None))
    return out


def previous_of(store: Store, verdict: Verdict, *, just_saved: bool = False) -> list[dict]:
    """The earlier checks of a saved verdict's claim, as the API and pages show them: for a verdict read back, those
    saved before it (to the second); for one `just_saved`, every other."""
    return [p.to_dict() for p in find_previous(store, verdict.claim, vector=verdict.claim_vector, exclude=verdict.id,
                                               before=None if just_saved else verdict.created_at)]


__all__ = ["previous_of", "PreviousCheck", "find_previous", "save_check", "pair_features", "read", "model", "FEATURES"]
