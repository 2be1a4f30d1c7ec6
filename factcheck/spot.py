"""Claim spotting: which sentences of a transcript, a speech or an article are worth checking, and why.

`spot_text` splits a document into sentences (in reading order), gives each a check-worthiness score (a ranking
score in [0, 1]: the fine-tuned transformer of factcheck.extract.claim_transformer when it is installed, else the
ingest detector of factcheck.extract.claims, a lexical model refined with the sentence vector) and its thresholded
decision, its speaker, and what makes it checkable (a date, a number, a comparison, a quote...).
A transcript (lines "SPEAKER: text") is read turn by turn: each sentence gets the speaker of its turn. `spot_sentences`
scores sentences given one by one (the JSONL and API modes). Pure functions: no store, no web.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

# "TRUMP:", "Hillary Clinton:", "MODERATOR (Lester Holt):", "Dr. O'Neil:" at the start of a line; not "Note:"
# in prose (the line must look like a transcript: see _is_transcript).
_TURN = re.compile(r"^[ \t]*((?:[A-Z][A-Za-z.'’-]*|[A-Z]{2,})(?:[ \t]+[A-Za-z.'’-]+){0,3}"
                   r"(?:[ \t]*\([^)\n]{1,60}\))?)[ \t]*:[ \t]+(?=\S)", re.M)
_QUOTE = re.compile(r"[\"“”«»]|(?:^|\s)'[^']{3,}'")
MAX_SENTENCE_CHARS = 2000


@dataclass
class Spotted:
    """One sentence with its check-worthiness."""

    index: int
    text: str
    start: int
    end: int
    score: float
    check_worthy: bool
    speaker: Optional[str] = None
    features: list[str] = field(default_factory=list)
    rank: Optional[int] = None  # 1 = most check-worthy of the document (check-worthy sentences only)
    vector: Optional[object] = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {"index": self.index, "text": self.text, "start": self.start, "end": self.end,
                "score": self.score, "check_worthy": self.check_worthy, "rank": self.rank,
                "speaker": self.speaker, "features": list(self.features)}


def turns(text: str) -> Optional[list[tuple[int, int, str]]]:
    """The speaker turns of a transcript as (start of the speech, end, speaker); None when the text is not one (fewer
    than two turns, or turns cover under half of its non-empty lines)."""
    matches = list(_TURN.finditer(text))
    lines = [line for line in text.splitlines() if line.strip()]
    if len(matches) < 2 or len(matches) < 0.5 * len(lines) and len(matches) < 5:
        return None
    out = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out.append((m.end(), end, _speaker_name(m.group(1))))
    return out


def _speaker_name(label: str) -> str:
    inside = re.search(r"\(([^)]+)\)", label)
    name = inside.group(1) if inside and re.search(r"[A-Z][a-z]", inside.group(1)) else re.sub(r"\(.*\)", "", label)
    name = " ".join(name.split())
    return name.title() if name.isupper() else name


def checkable(sentence: str, dates, numbers, entities, speaker_in_sentence: Optional[str]) -> list[str]:
    """What makes a sentence checkable, in plain words: date, number, money, percentage, comparison, superlative,
    quote, named person/organisation/place, attribution."""
    from .extract import claims

    found = []
    if any(d.type != "duration" for d in dates):
        found.append("date")
    kinds = {n.kind for n in numbers}
    if "money" in kinds:
        found.append("money")
    if "percent" in kinds:
        found.append("percentage")
    if kinds - {"money", "percent", "ordinal"}:
        found.append("number")
    if claims._COMPARE_RE.search(sentence):
        found.append("comparison")
    if claims._SUPERLATIVE_RE.search(sentence) or "ordinal" in kinds:
        found.append("superlative")
    if _QUOTE.search(sentence):
        found.append("quote")
    labels = {e.label for e in entities}
    for label, word in (("PERSON", "person"), ("ORG", "organisation"), ("PLACE", "place")):
        if label in labels:
            found.append(word)
    if speaker_in_sentence:
        found.append("attribution")
    return found


def _score(items: list[tuple[str, list]], anchor) -> list[tuple[float, bool, list[str], Optional[str], object]]:
    """(score, check-worthy, features, attributed speaker, vector) for (sentence, entities) pairs. The score is the
    fine-tuned transformer's (claim_transformer) when it is installed, else the ingest detector's."""
    from .extract import analyse_sentence, claim_transformer, claims, sentence_vectors

    lexical, details = [], []
    for sentence, entities in items:
        found_dates, found_numbers, score, speaker = analyse_sentence(sentence, entities, anchor)
        lexical.append(score)
        details.append(checkable(sentence, found_dates, found_numbers, entities, speaker) + [speaker])
    texts = [sentence for sentence, _ in items]
    vectors = sentence_vectors(texts)
    if claim_transformer.available():
        final, cut = claim_transformer.scores(texts), claim_transformer.threshold()
    else:
        final, cut = claims.refine(texts, lexical, vectors), claims.threshold()
    shown = [round(min(max(float(s), 0.0), 1.0), 4) for s in final]  # the decision is on the score users see
    return [(s, s >= cut, d[:-1], d[-1], vectors[i] if vectors is not None else None)
            for i, (s, d) in enumerate(zip(shown, details))]


def _rank(spotted: list[Spotted]) -> list[Spotted]:
    worthy = sorted((s for s in spotted if s.check_worthy), key=lambda s: (-s.score, s.index))
    for rank, item in enumerate(worthy, start=1):
        item.rank = rank
    return spotted


def spot_text(text: str, published_at: Optional[str] = None) -> list[Spotted]:
    """Every sentence of a document in reading order, scored; check-worthy ones ranked (`rank`)."""
    from .extract import anchor_of, nlp

    spans = turns(text)
    readable = text
    if spans:  # blank the speaker labels (offsets stay those of `text`), so they are not read as sentences
        chars = list(text)
        previous_end = 0
        for start, _end, _speaker in spans:
            label_start = text.rfind("\n", 0, start) + 1
            for i in range(max(label_start, previous_end), start):
                chars[i] = " "
            previous_end = start
        readable = "".join(chars)
    sentences = [(start, end, entities) for start, end, entities in nlp.analyse(readable) if text[start:end].strip()]
    scored = _score([(text[start:end][:MAX_SENTENCE_CHARS], entities) for start, end, entities in sentences],
                    anchor_of(published_at))
    out = []
    for index, ((start, end, _entities), (score, worthy, features, attributed, vector)) in enumerate(
            zip(sentences, scored)):
        speaker = next((name for s, e, name in spans if s <= start < e), None) if spans else None
        out.append(Spotted(index=index, text=text[start:end], start=start, end=end, score=score,
                           check_worthy=worthy, speaker=speaker or attributed,
                           features=features, vector=vector))
    return _rank(out)


def spot_sentences(items: list[dict], published_at: Optional[str] = None) -> list[Spotted]:
    """Sentences given one by one ({"text", "speaker"?}), scored in the order given and ranked."""
    from .extract import anchor_of, nlp

    texts = [item["text"][:MAX_SENTENCE_CHARS] for item in items]
    scored = _score([(t, nlp.entities(t)) for t in texts], anchor_of(published_at))
    out = []
    offset = 0
    for index, (item, text, (score, worthy, features, attributed, vector)) in enumerate(zip(items, texts, scored)):
        out.append(Spotted(index=index, text=text, start=offset, end=offset + len(text), score=score,
                           check_worthy=worthy, speaker=item.get("speaker") or attributed,
                           features=features, vector=vector))
        offset += len(text) + 1
    return _rank(out)


__all__ = ["Spotted", "spot_text", "spot_sentences", "turns", "checkable"]
