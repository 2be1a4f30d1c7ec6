"""Evidence as a reader sees it: one card per independent source, and the claim's own names, dates and figures.

The checker counts one vote per independent source (check.group_voices: a publisher's passages are one
voice, and a sentence reprinted by several outlets joins its first printing's voice). The verdict page shows the
evidence the same way, so that "3 supporting sources" means three voices, not three sentences of one article:
the grouping reuses that step on the saved evidence. Pure domain code (no Flask).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Optional

from .check import Voice, group_voices
from .extract import analyse_claim, sentence_vectors
from .models import Evidence, Verdict

STANCES = ("supports", "conflicts", "related")
NAME_LABELS = {"PERSON": "person", "PLACE": "place", "ORG": "organisation"}
_CAPITALISED = re.compile(r"(?<![\w-])[A-Z][\w'’.-]*[a-z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*[a-z][\w'’.-]*)*")


@dataclass
class SourceCard:
    """The evidence of one independent source on one side: its best passage first, the others folded."""

    stance: str
    passages: list[Evidence]
    names: list[str] = field(default_factory=list)  # the claim's names that its passages give

    @property
    def best(self) -> Evidence:
        return self.passages[0]

    @property
    def more(self) -> list[Evidence]:
        return self.passages[1:]

    @property
    def publishers(self) -> list[str]:
        """Every outlet of the group, the best passage's first (several when a report was reprinted)."""
        return list(dict.fromkeys(e.publisher or "Unknown publisher" for e in self.passages))

    @property
    def articles(self) -> int:
        return len({e.source_id for e in self.passages})


@dataclass
class ClaimName:
    """One of the claim's names: how it is written, its label and the forms a source may use for it."""

    text: str
    label: str
    forms: list[re.Pattern]


def group_by_source(evidence: list[Evidence]) -> dict[str, list[SourceCard]]:
    """The evidence of each side as cards, one per independent source, strongest first; each card's passages
    strongest first. Wire copies are found by the same words or by sentence vectors when the encoder runs."""
    cards: dict[str, list[SourceCard]] = {stance: [] for stance in STANCES}
    for stance in STANCES:
        items = [e for e in evidence if e.stance == stance]
        if not items:
            continue
        vectors = sentence_vectors([e.sentence for e in items])
        voices = [Voice(passage_id=e.passage_id or f"{e.source_id}:{i}", source_id=e.source_id,
                        publisher=e.publisher, text=e.sentence,
                        vector=vectors[i] if vectors is not None else None, strength=float(e.score or 0.0))
                  for i, e in enumerate(items)]
        groups: dict[str, list[Evidence]] = {}
        for _, name, e in sorted(zip(voices, group_voices(voices), items), key=lambda t: -t[0].strength):
            groups.setdefault(name, []).append(e)
        cards[stance] = [SourceCard(stance=stance, passages=passages) for passages in groups.values()]
    return cards


def claim_names(verdict: Verdict) -> tuple[list[dict], list[ClaimName]]:
    """(highlights of the claim's dates, places, people, organisations and numbers, as {"start", "end", "kind"}
    within the claim; the claim's names with the forms to look for in a source)."""
    claim_day = verdict.claim_date or None
    try:
        analysis = analyse_claim(verdict.claim, claim_day)
    except ValueError:
        analysis = analyse_claim(verdict.claim, None)
    marks = [{"start": d.start, "end": d.end, "kind": "date", "role": "match"} for d in analysis.dates]
    marks += [{"start": n.start, "end": n.end, "kind": "number", "role": "match"} for n in analysis.numbers
              if n.kind != "ordinal"]
    names: list[ClaimName] = []
    for entity in analysis.entities:
        kind = NAME_LABELS.get(entity.label)
        if kind is None:
            continue
        # A recognised name that runs into a figure or a date ("Apple 1.8 billion") is cut before it.
        cut = min((m["start"] for m in marks if entity.start < m["end"] and m["start"] < entity.end), default=None)
        if cut is not None:
            text = verdict.claim[entity.start:cut].rstrip()
            if len(text) < 2:
                continue
            entity = replace(entity, text=text, end=entity.start + len(text), key=text.lower())
        marks.append({"start": entity.start, "end": entity.end, "kind": kind, "role": "match"})
        if any(n.text == entity.text for n in names):
            continue
        forms = [_word_pattern(entity.text)]
        words = entity.text.split()
        if entity.label == "PERSON" and len(words) > 1 and len(words[-1]) > 2:
            forms.append(_word_pattern(words[-1]))  # "Chhabra" for "Tarun Chhabra"
        if entity.key and len(entity.key) > 3 and entity.key.lower() != entity.text.lower():
            forms.append(re.compile(r"(?<!\w)" + re.escape(entity.key) + r"(?!\w)", re.IGNORECASE))
        names.append(ClaimName(text=entity.text, label=kind, forms=forms))
    # Names the entity recogniser missed ("Tarun Chhabra"): runs of capitalised words that nothing else marks,
    # the claim's first word alone excepted (it is capitalised anyway).
    for match in _CAPITALISED.finditer(verdict.claim):
        start, end = match.span()
        if (start == 0 and " " not in match.group()) or any(m["start"] < end and start < m["end"] for m in marks):
            continue
        words = match.group().split()
        if start == 0:  # "The Quartet met": drop the sentence's first word
            start += len(words[0]) + 1
            words = words[1:]
        text = " ".join(words)
        marks.append({"start": start, "end": end, "kind": "name", "role": "match"})
        forms = [_word_pattern(text)] + ([_word_pattern(words[-1])] if len(words) > 1 and len(words[-1]) > 2 else [])
        names.append(ClaimName(text=text, label="name", forms=forms))
    return _without_overlaps(marks), names


def _word_pattern(text: str) -> re.Pattern:
    # Names are matched as written (case and all): "US" is a country, "us" is not.
    return re.compile(r"(?<!\w)" + re.escape(text) + r"(?!\w)")


def _without_overlaps(marks: list[dict]) -> list[dict]:
    kept: list[dict] = []
    for mark in sorted(marks, key=lambda m: (m["start"], -m["end"])):
        if all(mark["end"] <= k["start"] or mark["start"] >= k["end"] for k in kept):
            kept.append(mark)
    return kept


def mark_names(item: Evidence, names: list[ClaimName]) -> tuple[list[dict], list[str]]:
    """The passage's highlights with the claim's names it gives added (where nothing is marked yet), and
    those names, in the claim's order."""
    highlights = [h for h in item.highlights or [] if isinstance(h, dict)]
    found: list[str] = []
    for name in names:
        for pattern in name.forms:
            spans = [m.span() for m in pattern.finditer(item.sentence)]
            if not spans:
                continue
            found.append(name.text)
            for start, end in spans:
                if all(not isinstance(h.get("start"), int) or not isinstance(h.get("end"), int)
                       or end <= h["start"] or start >= h["end"] for h in highlights):
                    highlights.append({"start": start, "end": end, "kind": name.label, "role": "match"})
            break
    return highlights, found


def evidence_cards(verdict: Verdict, names: Optional[list[ClaimName]] = None) -> dict[str, list[SourceCard]]:
    """The verdict's evidence as cards per side, each passage's highlights carrying the claim's names too."""
    names = claim_names(verdict)[1] if names is None else names
    marked = []
    for item in verdict.evidence:
        highlights, found = mark_names(item, names)
        marked.append((Evidence(**{**item.__dict__, "highlights": highlights}), found))
    found_of = {id(e): found for e, found in marked}
    cards = group_by_source([e for e, _ in marked])
    for side in cards.values():
        for card in side:
            card.names = list(dict.fromkeys(n for e in card.passages for n in found_of.get(id(e), [])))
    return cards


__all__ = ["SourceCard", "ClaimName", "group_by_source", "claim_names", "mark_names", "evidence_cards"]
