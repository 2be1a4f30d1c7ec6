"""Check a claim in three steps, each a small model learned from labelled news (scripts/train_checker.py):

1. **same event** - the probability that a retrieved passage reports the claim's event (the gate), from the
   sentence vectors, shared words and participants, time compatibility and the structural comparisons;
2. **stance** - for a passage that does, the probability that it conflicts rather than supports, from the
   structural comparisons (dates, places, people, numbers, polarity, quotations), which also give the reasons in
   plain words; a passage with no stated disagreement cannot conflict;
3. **verdict** - one vote per independent source (a publisher's passages and wire copies are one voice), and a
   calibrated verdict over the four labels from those votes.

Similarity alone cannot tell "will" from "will not": it decides whether a passage is about the claim's event,
the structure decides which way it points.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Optional

import numpy as np

from .compare import checkable_dates
from .extract import ClaimAnalysis, analyse_claim, sentence_vectors
from .features import Comparison, compare_passage, view_claim
from .learned import CheckerModel, checker_model
from .models import Evidence, Verdict
from .store.base import Hit, Store

MAX_CLAIM_CHARS = 2000
RETRIEVE = 40  # passages read per claim, found by their words, names and dates
NEAREST = 20  # and more found by their sentence vectors alone
MAX_EVIDENCE = 12
STANCE_SHOWN = 0.25  # a passage this likely to support (or conflict) is shown, and counted, on that side
WIRE_COPY = 0.95  # sentence vectors this close (or the same words) are one report reprinted
RELATIVE = ("cos", "cover")  # features also given relative to the claim's best candidate


def parse_day(value, field_name: str) -> Optional[str]:
    """An ISO day from a date, datetime or any common date string; ValueError naming the field otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"{field_name}: must be a date string such as 2024-05-14")
    from .extract.dates import parse_datetime

    try:
        parsed = parse_datetime(value)
    except ValueError as exc:
        raise ValueError(f"{field_name}: {exc}") from None
    if parsed is None:
        return None
    return parsed.date().isoformat()


# ----------------------------------------------------------------------------------------------- candidates

def retrieve(store: Store, analysis: ClaimAnalysis, as_of: Optional[str] = None, limit: int = RETRIEVE,
             vector=None) -> list[Hit]:
    """Passages that may bear on the claim: by its words, names and dates, then (given the claim's vector) the
    nearest sentences by meaning, which find paraphrases ("cast their ballots" / "went to the polls"). Those found
    by the vector alone come last with a lexical score of 0. A sentence repeated in a source counts once."""
    dates = checkable_dates(analysis.dates)
    hits, near = store.candidates(analysis.text, vector, entities=[e.key for e in analysis.entities],
                                  date_from=min((d.range_start for d in dates), default=None),
                                  date_to=max((d.range_end for d in dates), default=None), as_of=as_of,
                                  limit=limit, nearest_limit=NEAREST)
    found = {h.passage.id for h in hits}
    hits += [replace(h, score=0.0) for h in near if h.passage.id not in found]
    seen, unique = set(), []
    for hit in hits:
        key = (hit.source.id, hit.passage.text)
        if key not in seen:
            seen.add(key)
            unique.append(hit)
    return unique


def _with_vectors(hits: list[Hit]) -> None:
    """Passages and titles stored before vectors were kept get theirs now (one encoder call)."""
    texts = [h.passage.text for h in hits if h.passage.vector is None]
    texts += [h.source.title for h in hits if h.source.title and h.source.title_vector is None]
    vectors = sentence_vectors(list(dict.fromkeys(texts))) if texts else None
    if vectors is None:
        return
    by_text = dict(zip(dict.fromkeys(texts), vectors))
    for hit in hits:
        if hit.passage.vector is None:
            hit.passage.vector = by_text[hit.passage.text]
        if hit.source.title and hit.source.title_vector is None:
            hit.source.title_vector = by_text[hit.source.title]


def read_candidates(store: Store, analysis: ClaimAnalysis, as_of: Optional[str] = None,
                    limit: int = RETRIEVE, claim_vectors=None) -> tuple[list[Comparison], bool]:
    """Each retrieved passage compared with the claim; True when sentence vectors were available for it.
    `claim_vectors`: the claim's vector (a 1-row matrix) when already computed."""
    if claim_vectors is None:
        claim_vectors = sentence_vectors([analysis.text])
    hits = retrieve(store, analysis, as_of, limit, claim_vectors[0] if claim_vectors is not None else None)
    if not hits:
        return [], False
    if claim_vectors is not None:
        _with_vectors(hits)
    view = view_claim(analysis, hits)
    best = max(h.score for h in hits)
    comparisons = [compare_passage(view, hit, rank, best) for rank, hit in enumerate(hits)]
    with_vectors = claim_vectors is not None
    for c in comparisons:
        if with_vectors:
            c.features["cos"] = float(np.dot(claim_vectors[0], c.hit.passage.vector))
            title_vector = c.hit.source.title_vector
            c.features["cos_title"] = float(np.dot(claim_vectors[0], title_vector)) if title_vector is not None \
                else 0.0
    for name in RELATIVE:
        top = max(c.features[name] for c in comparisons)
        for c in comparisons:
            c.features[name + "_rel"] = c.features[name] - top
    return comparisons, with_vectors


# ------------------------------------------------------------------------------------------ steps 1 and 2

@dataclass
class Assessed:
    """A passage with the learned steps' probabilities."""

    comparison: Comparison
    same_event: float  # step 1: P(reports the claim's event)
    conflict: float  # step 2: P(conflicts | same event); 0 when it states no disagreement
    group: str = ""  # step 3: the independent source it speaks for

    @property
    def supports(self) -> float:
        return self.same_event * (1.0 - self.conflict)

    @property
    def conflicts(self) -> float:
        return self.same_event * self.conflict

    @property
    def stance(self) -> str:
        """The side it is shown on: the likelier of supports and conflicts once it reaches STANCE_SHOWN."""
        if self.conflicts >= STANCE_SHOWN and self.conflicts > self.supports:
            return "conflicts"
        if self.supports >= STANCE_SHOWN and self.supports >= self.conflicts:
            return "supports"
        return "related"


def same_event(comparisons: list[Comparison], model: CheckerModel) -> np.ndarray:
    """Step 1: the probability that each passage reports the claim's event; 0 for a source published more than
    a year before the claim's dates (it cannot report what had not happened yet)."""
    p = model.gate.positive([c.features for c in comparisons])
    return np.where([c.features.get("published_before", 0.0) > 0 for c in comparisons], 0.0, p)


def stance(comparisons: list[Comparison], model: CheckerModel) -> np.ndarray:
    """Step 2: the probability that a same-event passage conflicts with the claim rather than supports it. A
    conflict has to be stated (a date, figure, place, person, polarity or quotation that differs); otherwise 0."""
    p = model.stance.positive([c.features for c in comparisons])
    stated = np.array([bool(c.conflicts or c.mismatches) for c in comparisons])
    return np.where(stated, p, 0.0)


def assess(comparisons: list[Comparison], model: CheckerModel) -> list[Assessed]:
    if not comparisons:
        return []
    return [Assessed(c, float(g), float(k)) for c, g, k in
            zip(comparisons, same_event(comparisons, model), stance(comparisons, model))]


# ----------------------------------------------------------------------------------------------- step 3

def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


@dataclass(frozen=True)
class Voice:
    """What grouping by voice needs of a passage: who published it, its words and vector, how strongly it speaks."""
    passage_id: str
    source_id: str
    publisher: Optional[str]
    text: str
    vector: Optional[np.ndarray]
    strength: float


def group_voices(voices: list[Voice]) -> list[str]:
    """The voice each passage speaks with (a name per item of `voices`, in their order): one publisher (or one
    source when it has none) is one voice, and a sentence reprinted by several outlets (a wire copy) joins its
    first printing's voice, with every other passage of either publisher (the groups are closed under both
    relations). A group is named after its strongest passage's publisher or source."""
    order = sorted(range(len(voices)), key=lambda k: (-voices[k].strength, voices[k].passage_id))
    words = [_words(voices[k].text) for k in order]
    vectors = [voices[k].vector for k in order]
    parent = list(range(len(order)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        i, j = root(i), root(j)
        if i != j:
            parent[max(i, j)] = min(i, j)  # the strongest passage names the group

    first_of: dict[str, int] = {}
    own: list[str] = []
    for i, k in enumerate(order):
        voice = voices[k]
        name = "publisher:" + voice.publisher.strip().lower() if voice.publisher else "source:" + voice.source_id
        join(i, first_of.setdefault(name, i))
        own.append(name)
    for i in range(len(order)):
        for j in range(i):
            if root(i) != root(j) and (words[i] == words[j] or (
                    vectors[i] is not None and vectors[j] is not None
                    and float(np.dot(vectors[i], vectors[j])) >= WIRE_COPY)):
                join(i, j)
    names = [""] * len(voices)
    for i, k in enumerate(order):
        names[k] = own[root(i)]
    return names


def independent_sources(assessed: list[Assessed]) -> None:
    """Set each assessed passage's `group` to the voice it speaks with (group_voices), its strength being the
    stronger of its support and its conflict."""
    voices = [Voice(passage_id=a.comparison.hit.passage.id, source_id=a.comparison.hit.source.id,
                    publisher=a.comparison.hit.source.publisher, text=a.comparison.hit.passage.text,
                    vector=a.comparison.hit.passage.vector, strength=max(a.supports, a.conflicts))
              for a in assessed]
    for a, name in zip(assessed, group_voices(voices)):
        a.group = name


VERDICT_FEATURES = ("supported", "refuted", "conflicting", "unsupported")
VOICES = 3  # the strongest voices of each side that count


def verdict_features(assessed: list[Assessed]) -> dict[str, float]:
    """What the independent sources say, as the four outcomes: with s the chance that at least one of the
    strongest supporting voices does report the claim as it is (noisy-OR over each voice's best passage) and c
    the same for conflicting voices, the log-odds-like scores of s(1-c) (supported), c(1-s) (refuted), sc (both:
    conflicting) and (1-s)(1-c) (neither). The verdict model calibrates them."""
    support: dict[str, float] = {}
    conflict: dict[str, float] = {}
    for a in assessed:
        support[a.group] = max(support.get(a.group, 0.0), a.supports)
        conflict[a.group] = max(conflict.get(a.group, 0.0), a.conflicts)
    s = 1.0 - float(np.prod([1.0 - p for p in sorted(support.values(), reverse=True)[:VOICES]]))
    c = 1.0 - float(np.prod([1.0 - p for p in sorted(conflict.values(), reverse=True)[:VOICES]]))
    eps = 1e-3
    return {"supported": math.log(s * (1 - c) + eps), "refuted": math.log(c * (1 - s) + eps),
            "conflicting": math.log(s * c + eps), "unsupported": math.log((1 - s) * (1 - c) + eps)}


def decide(assessed: list[Assessed], model: CheckerModel) -> tuple[str, float, dict[str, float]]:
    """Step 3: the verdict and its confidence (the calibrated probability of that verdict) over independent
    sources. The label is the most probable one after weighing each label by the inverse of its share in the
    training data, so that rarer verdicts (CONFLICTING) are not drowned by frequent ones."""
    independent_sources(assessed)
    probabilities = model.verdict.proba([verdict_features(assessed)])[0]
    weights = np.asarray(model.verdict_weights, dtype=float)
    # A verdict is backed by the evidence it shows: no SUPPORTED without a supporting passage, no REFUTED
    # without a conflicting one, no CONFLICTING without both.
    stances = {a.stance for a in assessed}
    backed = {"SUPPORTED": "supports" in stances, "REFUTED": "conflicts" in stances,
              "CONFLICTING": {"supports", "conflicts"} <= stances, "NOT_ENOUGH_EVIDENCE": True}
    weights = weights * np.array([1.0 if backed.get(label, True) else 0.0 for label in model.verdict.classes])
    best = int(np.argmax(probabilities * weights))
    labelled = {label: round(float(p), 4) for label, p in zip(model.verdict.classes, probabilities)}
    return model.verdict.classes[best], round(float(probabilities[best]), 2), labelled


# ------------------------------------------------------------------------------------------------ the check

def check_claim(store: Store, claim: str, claim_date=None, as_of=None) -> Verdict:
    """Check one claim against the stored sources; ValueError names the bad field for bad input."""
    if not isinstance(claim, str):
        raise ValueError("claim: must be a string")
    claim = claim.strip()
    if not claim:
        raise ValueError("claim: must not be empty")
    if len(claim) > MAX_CLAIM_CHARS:
        raise ValueError(f"claim: {len(claim)} characters; the limit is {MAX_CLAIM_CHARS}")
    claim_day = parse_day(claim_date, "claim_date")
    as_of_day = parse_day(as_of, "as_of")

    analysis = analyse_claim(claim, claim_day)
    claim_vectors = sentence_vectors([claim])
    comparisons, with_vectors = read_candidates(store, analysis, as_of_day, claim_vectors=claim_vectors)
    model = checker_model(with_vectors)
    assessed = assess(comparisons, model)
    verdict, confidence, _ = decide(assessed, model)
    unresolved = any(d.type in ("date", "time") and not d.resolved for d in analysis.dates)
    order = {"conflicts": 0, "supports": 0, "related": 1}
    ranked = sorted(assessed, key=lambda a: (order[a.stance], -_score(a)))
    shown = [a for a in ranked if a.stance != "related"][:MAX_EVIDENCE]
    shown += [a for a in ranked if a.stance == "related" and a.same_event >= 0.2][: max(0, 5 - len(shown))]
    return Verdict(claim=claim, verdict=verdict, confidence=confidence, as_of=as_of_day, claim_date=claim_day,
                   dates=[d.public() | {"resolved": d.resolved, **({"note": d.note} if d.note else {})}
                          for d in analysis.dates],
                   evidence=[_evidence(a, unresolved) for a in shown],
                   claim_vector=claim_vectors[0] if claim_vectors is not None else None)


def _score(a: Assessed) -> float:
    """The probability of the stance shown."""
    return {"supports": a.supports, "conflicts": a.conflicts, "related": 1.0 - a.same_event}[a.stance]


def reason(a: Assessed, unresolved_claim_date: bool = False) -> str:
    """The stance in plain words, from the comparisons that support it."""
    c = a.comparison
    if a.stance == "conflicts":
        return "; ".join(dict.fromkeys(c.conflicts or c.mismatches))
    if a.stance == "supports":
        detail = ", ".join(dict.fromkeys(c.matches))
        text = f"the source reports the same: {detail}" if detail else "the source reports the same"
        text += f" ({c.shared} key words shared)" if c.shared else ""
        # What it leaves unconfirmed is said too: a passage of the claim's event may support it without stating
        # all of it (a range, a figure or date it does not give).
        ranged = any(gap.startswith("gives a range") for gap in c.gaps)
        text += "".join("; it " + gap for gap in c.gaps if gap.startswith(("gives a range", "does not confirm the date"))
                        or (gap.startswith("does not confirm") and not ranged))
        if c.forecast:
            text += "; it announces a plan or forecast rather than reporting what happened"
        if unresolved_claim_date:
            text += "; the claim's relative date could not be checked without a claim date"
        return text
    parts = list(c.gaps) or ["on a related topic"]
    if c.conflicts or c.mismatches:
        parts.append("about another event, it seems: " + "; ".join(dict.fromkeys(c.conflicts or c.mismatches)))
    return "; ".join(parts)


def _evidence(a: Assessed, unresolved: bool) -> Evidence:
    passage, source = a.comparison.hit.passage, a.comparison.hit.source
    return Evidence(source_id=source.id, url=source.url, publisher=source.publisher,
                    published_at=source.published_at, sentence=passage.text, start=passage.start,
                    end=passage.end, dates=[d.public() for d in passage.dates], stance=a.stance,
                    score=round(_score(a), 3), reason=reason(a, bool(unresolved)), passage_id=passage.id,
                    title=source.title, highlights=_highlights(a))


def _highlights(a: Assessed) -> list[dict]:
    """Matches on every card; conflict marks only where the card is shown as conflicting."""
    marks = a.comparison.highlights
    return marks if a.stance == "conflicts" else [m for m in marks if m["role"] != "conflict"]


__all__ = ["check_claim", "parse_day", "retrieve", "read_candidates", "assess", "decide", "verdict_features",
           "independent_sources", "Assessed", "VERDICT_FEATURES"]
