"""Check a claim: the same extraction as for sources, retrieval, a structural comparison per passage, a verdict.

Conflicts come from structure (dates, places, people, numbers, negation), not from similarity alone: cosine
or lexical overlap cannot tell "will" from "will not". Every stance carries a reason in plain words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional

from .extract import NEGATION, ClaimAnalysis, analyse_claim
from .models import DateMention, Entity, Evidence, Number, Passage, Verdict
from .store.base import Hit, Store
from .textutil import content_terms, human_date

MAX_CLAIM_CHARS = 2000
RETRIEVE = 40
MAX_EVIDENCE = 12


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


@dataclass
class Judgement:
    hit: Hit
    stance: str
    score: float
    reason: str
    coverage: float
    conflicts: list[str] = field(default_factory=list)
    matches: list[str] = field(default_factory=list)
    highlights: list[dict] = field(default_factory=list)


def _entity_match(entity: Entity, passage: Passage, passage_text_lower: str) -> Optional[Entity]:
    """The passage entity naming the same thing (same key, or one name contained in the other), if any."""
    key_tokens = set(entity.key.split())
    for other in passage.entities:
        if other.key == entity.key:
            return other
        other_tokens = set(other.key.split())
        if key_tokens and other_tokens and (key_tokens <= other_tokens or other_tokens <= key_tokens):
            if entity.label == other.label or "OTHER" in (entity.label, other.label):
                return other
    if entity.key and re.search(r"\b" + re.escape(entity.key) + r"\b", passage_text_lower):
        start = passage_text_lower.find(entity.key)
        return Entity(passage.text[start:start + len(entity.key)], start, start + len(entity.key), entity.label,
                      entity.key)
    return None


def _dates_overlap(a: DateMention, b: DateMention) -> bool:
    return bool(a.range_start and b.range_start and a.range_start <= b.range_end and b.range_start <= a.range_end)


def _checkable_dates(dates: list[DateMention]) -> list[DateMention]:
    return [d for d in dates if d.type in ("date", "time") and d.resolved and d.range_start]


def _numbers_agree(a: Number, b: Number) -> bool:
    if a.value == b.value:
        return True
    tolerance = 0.05 if a.value >= 20 else 0.0  # "about 36 hours" vs "35 hours"; small counts must be exact
    return abs(a.value - b.value) <= tolerance * max(abs(a.value), abs(b.value))


def _comparable_numbers(a: Number, b: Number) -> bool:
    """Two numbers measure the same kind of thing (same currency, both percentages, same unit noun)."""
    if a.kind in ("money", "percent") or b.kind in ("money", "percent"):
        return a.kind == b.kind and (a.unit == b.unit or not a.unit or not b.unit)
    if a.kind == "ordinal" or b.kind == "ordinal":
        return False
    return bool(a.unit and b.unit and _unit_root(a.unit) == _unit_root(b.unit))


def _unit_root(unit: str) -> str:
    unit = unit.lower()
    return unit[:-1] if unit.endswith("s") and len(unit) > 3 else unit


def judge(claim: ClaimAnalysis, claim_terms: set[str], hit: Hit) -> Judgement:
    """Compare one passage with the claim: matches, conflicts, a stance and a plain-words reason."""
    passage = hit.passage
    text_lower = passage.text.lower()
    passage_terms = content_terms(passage.text) | {t for e in passage.entities for t in e.key.split()}
    shared = claim_terms & passage_terms
    coverage = len(shared) / len(claim_terms) if claim_terms else 0.0
    matches: list[str] = []
    conflicts: list[str] = []
    highlights: list[dict] = []

    # Entities: people, places, organisations named by the claim.
    matched_entities, missing = 0, []
    for entity in claim.entities:
        found = _entity_match(entity, passage, text_lower)
        if found:
            matched_entities += 1
            matches.append(found.text)
            highlights.append({"start": found.start, "end": found.end, "kind": "entity", "role": "match"})
        else:
            missing.append(entity)
    claim_keys = {e.key for e in claim.entities}
    claim_key_tokens = {t for k in claim_keys for t in k.split()}

    def other_entities(label: str) -> list[Entity]:
        return [e for e in passage.entities if e.label == label and e.key not in claim_keys
                and not set(e.key.split()) & claim_key_tokens]

    # Dates: agree when the ranges overlap ("May 2024" covers "14 May 2024").
    claim_dates = _checkable_dates(claim.dates)
    passage_dates = _checkable_dates(passage.dates)
    date_match = date_conflict = False
    for cd in claim_dates:
        agreeing = [pd for pd in passage_dates if _dates_overlap(cd, pd)]
        if agreeing:
            date_match = True
            pd = agreeing[0]
            matches.append(f"{human_date(pd)} (\u201c{pd.text}\u201d)" if pd.relative else human_date(pd))
            highlights.append({"start": pd.start, "end": pd.end, "kind": "date", "role": "match"})
        elif passage_dates:
            date_conflict = True
            pd = passage_dates[0]
            said = f" (\u201c{pd.text}\u201d)" if pd.relative else ""
            conflicts.append(f"the source dates it {human_date(pd)}{said}; the claim says {human_date(cd)}")
            highlights.append({"start": pd.start, "end": pd.end, "kind": "date", "role": "conflict"})

    # Numbers: same value (with a small tolerance for large ones), or a comparable number that differs.
    number_match = number_conflict = False
    for cn in claim.numbers:
        agreeing = [pn for pn in passage.numbers if _numbers_agree(cn, pn)]
        if agreeing:
            number_match = True
            matches.append(agreeing[0].text)
            highlights.append({"start": agreeing[0].start, "end": agreeing[0].end, "kind": "number",
                               "role": "match"})
            continue
        rivals = [pn for pn in passage.numbers if _comparable_numbers(cn, pn)]
        if rivals:
            number_conflict = True
            conflicts.append(f"the source gives {rivals[0].text}; the claim says {cn.text}")
            highlights.append({"start": rivals[0].start, "end": rivals[0].end, "kind": "number",
                               "role": "conflict"})

    # Places and people the claim names that the passage replaces with others.
    place_conflict = person_conflict = False
    for entity in missing:
        if entity.label == "PLACE":
            rivals = other_entities("PLACE")
            if rivals:
                place_conflict = True
                conflicts.append(f"the source places it in {rivals[0].text}; the claim says {entity.text}")
                highlights.append({"start": rivals[0].start, "end": rivals[0].end, "kind": "place",
                                   "role": "conflict"})
        elif entity.label == "PERSON":
            rivals = other_entities("PERSON")
            if rivals:
                person_conflict = True
                conflicts.append(f"the source names {rivals[0].text}; the claim names {entity.text}")
                highlights.append({"start": rivals[0].start, "end": rivals[0].end, "kind": "person",
                                   "role": "conflict"})

    # Polarity: one side negates what the other affirms.
    passage_negated = bool(NEGATION.search(passage.text))
    polarity_conflict = passage_negated != claim.negated

    anchors = matched_entities + int(date_match) + int(number_match)
    entity_share = matched_entities / len(claim.entities) if claim.entities else 0.0
    relevance = 0.6 * coverage + 0.25 * entity_share + 0.1 * date_match + 0.05 * number_match
    same_event = coverage >= 0.5 or (coverage >= 0.3 and anchors >= 2)

    if polarity_conflict and same_event and coverage >= 0.5:
        negation = NEGATION.search(passage.text if passage_negated else claim.text).group(0)
        side = "the source" if passage_negated else "the claim"
        conflicts.append(f"{side} negates it (\u201c{negation}\u201d) where the other affirms it")
    structural = date_conflict or number_conflict or place_conflict or person_conflict
    unresolved_claim_dates = [d for d in claim.dates if d.type in ("date", "time") and not d.resolved]

    if same_event and conflicts and (structural or coverage >= 0.5):
        stance = "conflicts"
        reason = "; ".join(dict.fromkeys(conflicts))
    elif same_event and not conflicts and coverage >= 0.5 and not missing and (date_match or not claim_dates) \
            and (number_match or not claim.numbers):
        stance = "supports"
        detail = ", ".join(dict.fromkeys(matches))
        reason = f"the source reports the same: {detail}" if detail else "the source reports the same"
        reason += f" ({len(shared)} of {len(claim_terms)} key words shared)"
        if unresolved_claim_dates:
            reason += "; the claim's relative date could not be checked without a claim date"
    else:
        stance = "related"
        parts = []
        if shared:
            parts.append("shares " + ", ".join(sorted(shared)[:6]))
        if missing:
            parts.append("does not mention " + ", ".join(e.text for e in missing[:3]))
        if claim_dates and not date_match:
            parts.append("does not confirm the date " + human_date(claim_dates[0]))
        if claim.numbers and not number_match:
            parts.append("does not confirm " + claim.numbers[0].text)
        reason = "; ".join(parts) or "on a related topic"
    score = round(min(1.0, relevance), 3)
    return Judgement(hit, stance, score, reason, coverage, conflicts, matches, highlights)


def decide(judgements: list[Judgement]) -> tuple[str, float]:
    """The verdict and its confidence from the stances of the evidence."""
    supports = [j for j in judgements if j.stance == "supports"]
    conflicts = [j for j in judgements if j.stance == "conflicts"]
    if not supports and not conflicts:
        best = max((j.score for j in judgements), default=0.0)
        return "NOT_ENOUGH_EVIDENCE", round(max(0.5, 1.0 - best), 2)
    best_support = max((j.score for j in supports), default=0.0)
    best_conflict = max((j.score for j in conflicts), default=0.0)
    if supports and conflicts:
        support_sources = {j.hit.source.id for j in supports}
        conflict_sources = {j.hit.source.id for j in conflicts}
        different = bool(support_sources - conflict_sources and conflict_sources - support_sources)
        close = min(best_support, best_conflict) >= 0.75 * max(best_support, best_conflict)
        if different and close:
            return "CONFLICTING", round(min(0.9, 0.5 + 0.4 * min(best_support, best_conflict)), 2)
    if best_support >= best_conflict:
        margin = best_support - best_conflict
        return "SUPPORTED", round(min(0.97, 0.5 + 0.4 * best_support + 0.1 * margin), 2)
    margin = best_conflict - best_support
    return "REFUTED", round(min(0.97, 0.5 + 0.4 * best_conflict + 0.1 * margin), 2)


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
    claim_terms = content_terms(claim, exclude=[(d.start, d.end) for d in analysis.dates]
                                + [(n.start, n.end) for n in analysis.numbers])
    dates = _checkable_dates(analysis.dates)
    hits = store.search(claim, entities=[e.key for e in analysis.entities],
                        date_from=min((d.range_start for d in dates), default=None),
                        date_to=max((d.range_end for d in dates), default=None),
                        as_of=as_of_day, limit=RETRIEVE)
    judgements = [judge(analysis, claim_terms, hit) for hit in hits]
    order = {"conflicts": 0, "supports": 0, "related": 1}
    judgements.sort(key=lambda j: (order[j.stance], -j.score))
    verdict, confidence = decide(judgements)
    shown = [j for j in judgements if j.stance != "related"][:MAX_EVIDENCE]
    shown += [j for j in judgements if j.stance == "related" and j.score >= 0.2][: max(0, 5 - len(shown))]
    return Verdict(claim=claim, verdict=verdict, confidence=confidence, as_of=as_of_day, claim_date=claim_day,
                   dates=[d.public() | {"resolved": d.resolved, **({"note": d.note} if d.note else {})}
                          for d in analysis.dates],
                   evidence=[_evidence(j) for j in shown])


def _evidence(j: Judgement) -> Evidence:
    passage, source = j.hit.passage, j.hit.source
    return Evidence(source_id=source.id, url=source.url, publisher=source.publisher,
                    published_at=source.published_at, sentence=passage.text, start=passage.start,
                    end=passage.end, dates=[d.public() for d in passage.dates], stance=j.stance, score=j.score,
                    reason=j.reason, passage_id=passage.id, title=source.title, highlights=j.highlights)
