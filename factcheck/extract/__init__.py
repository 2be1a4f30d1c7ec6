"""Extraction: text -> sentences with dates, entities, numbers and claim features (pure functions)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional

from ..models import DateMention, Entity, Number, Passage

NEGATION = re.compile(
    r"\b(not|no|never|neither|nor|none|cannot|refused|refuse[sd]?|declined?|declines|denied|denies|"
    r"deny|rejected|rejects|failed to|fails to|did not|didn't|won't|isn't|aren't|wasn't|weren't|hasn't|"
    r"haven't|hadn't|doesn't|don't|couldn't|shouldn't)\b|n't\b", re.IGNORECASE)


def anchor_of(published_at: Optional[str]) -> Optional[date]:
    """The publication day that relative dates are anchored on (the local date as written, offset kept)."""
    if not published_at:
        return None
    try:
        return date.fromisoformat(published_at[:10])
    except ValueError:
        return None


def _without_overlaps(numbers: list[Number], dates: list[DateMention]) -> list[Number]:
    """Numbers that are part of a date span ("14 May 2024", "36 hours" as a duration is kept) are dropped."""
    spans = [(d.start, d.end) for d in dates if d.type != "duration"]
    return [n for n in numbers if not any(n.start < e and s < n.end for s, e in spans)]


def analyse_sentence(text: str, entities: list[Entity], anchor: Optional[date]):
    """Dates, numbers, lexical claim score (`claims.refine` gives the final one) and speaker of one sentence."""
    from . import claims, dates as date_extract, numbers as number_extract

    found_dates = date_extract.extract_dates(text, anchor)
    found_numbers = _without_overlaps(number_extract.extract_numbers(text), found_dates)
    score = claims.lexical_score(text, entities, found_numbers, len(found_dates))
    speaker = claims.find_speaker(text, entities)
    return found_dates, found_numbers, score, speaker


def sentence_vectors(texts: list[str]):
    """MiniLM vectors of the texts in one encoder call (a row each), or None when the encoder is unavailable
    (not installed, or turned off by FACTCHECK_CLAIM_VECTORS)."""
    from . import encoder

    if not texts or not encoder.available():
        return None
    return encoder.encode(texts)


def _lexical_passages(source_id: str, text: str, published_at: Optional[str]) -> tuple[list[Passage], list[float]]:
    """Sentences with dates, entities, numbers and speaker, and their lexical claim scores (no vectors yet)."""
    from . import nlp

    anchor = anchor_of(published_at)
    passages, scores = [], []
    for index, (start, end, entities) in enumerate(nlp.analyse(text)):
        sentence = text[start:end]
        found_dates, found_numbers, score, speaker = analyse_sentence(sentence, entities, anchor)
        scores.append(score)
        passages.append(Passage(
            source_id=source_id, index=index, text=sentence, start=start, end=end, dates=found_dates,
            entities=entities, numbers=found_numbers, speaker=speaker))
    return passages, scores


def _finish_passages(passages: list[Passage], scores: list[float], vectors) -> list[Passage]:
    """Attach the sentences' vectors (None without the encoder) and the refined claim scores."""
    from . import claims

    if vectors is not None:
        for passage, vector in zip(passages, vectors):
            passage.vector = vector
    for passage, score in zip(passages, claims.refine([p.text for p in passages], scores, vectors)):
        passage.is_claim = claims.is_check_worthy(score)
        passage.claim_score = round(score, 3)
    return passages


def extract_passages(source_id: str, text: str, published_at: Optional[str]) -> list[Passage]:
    """Split a source into sentences and extract everything the checker and the timeline need, with each
    sentence's vector when the encoder is available."""
    passages, scores = _lexical_passages(source_id, text, published_at)
    # One encoder call per source: the checker compares claims with these vectors, and the claim detector
    # refines its uncertain lexical scores with them.
    return _finish_passages(passages, scores, sentence_vectors([p.text for p in passages]))


@dataclass
class Extracted:
    """What `extract_sources` made of one source: its passages and its title's vector, or why it failed."""

    passages: Optional[list[Passage]] = None
    title_vector: Optional[object] = None
    error: Optional[str] = None


def extract_sources(sources: list) -> list[Extracted]:
    """`extract_passages` for several sources (each with id, text, published_at and title), plus each title's
    vector, with ONE encoder call for all their sentences and titles (sorted by length and padded per batch
    inside the encoder) instead of one or two calls per source. The passages are the same as
    `extract_passages` gives one by one (vectors equal within float tolerance). A source whose extraction
    fails gets `error` and does not stop the others."""
    out: list[Extracted] = []
    pending: list[tuple[int, list[Passage], list[float]]] = []
    texts: list[str] = []
    for position, source in enumerate(sources):
        try:
            passages, scores = _lexical_passages(source.id, source.text, source.published_at)
        except Exception as exc:  # an extractor bug fails this source only
            out.append(Extracted(error=f"{type(exc).__name__}: {exc}"))
            continue
        out.append(Extracted(passages=passages))
        pending.append((position, passages, scores))
        texts.extend(p.text for p in passages)
        if source.title:
            texts.append(source.title)
    try:
        vectors = sentence_vectors(texts)
    except Exception:  # noqa: BLE001 - encode source by source, so that only the source at fault fails
        vectors = None
        split = True
    else:
        split = False
    row = 0
    for position, passages, scores in pending:
        source, done = sources[position], out[position]
        try:
            if split:
                mine = sentence_vectors([p.text for p in passages] + ([source.title] if source.title else []))
            else:
                wanted = len(passages) + (1 if source.title else 0)
                mine = vectors[row:row + wanted] if vectors is not None else None
                row += wanted
            if source.title and mine is not None:
                done.title_vector = mine[len(passages)]
            _finish_passages(passages, scores, mine[:len(passages)] if mine is not None else None)
        except Exception as exc:  # noqa: BLE001
            done.passages, done.error = None, f"{type(exc).__name__}: {exc}"
    return out


@dataclass
class ClaimAnalysis:
    """What the checker knows about a claim."""

    text: str
    anchor: Optional[date]
    dates: list[DateMention] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    numbers: list[Number] = field(default_factory=list)
    negated: bool = False
    speaker: Optional[str] = None


def analyse_claim(text: str, claim_date: Optional[date | datetime | str] = None) -> ClaimAnalysis:
    """The same extraction as for sources, anchored on the claim's date when given."""
    from . import nlp

    if isinstance(claim_date, str):
        anchor = anchor_of(claim_date)
    elif isinstance(claim_date, datetime):
        anchor = claim_date.date()
    else:
        anchor = claim_date
    entities = nlp.entities(text)
    found_dates, found_numbers, _score, speaker = analyse_sentence(text, entities, anchor)
    return ClaimAnalysis(text=text, anchor=anchor, dates=found_dates, entities=entities, numbers=found_numbers,
                         negated=bool(NEGATION.search(text)), speaker=speaker)


__all__ = ["extract_passages", "extract_sources", "Extracted", "sentence_vectors", "analyse_claim", "ClaimAnalysis", "anchor_of", "NEGATION"]
