"""What one passage says about a claim: the structural comparisons of `compare` (dates, places, people, numbers,
polarity, quotations, roles), read out as numeric features for the learned steps of the checker and as the
plain-words reasons users read. Nothing here decides a stance: `check` does, with the trained models."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from .compare import (
    FUTURE, IDENTIFIER, beaten_by, checkable_dates, comparable_numbers, date_context, dates_overlap,
    entity_match, is_hedged, is_locative, mostly_named, named_in, near, negation_of, number_label, number_tail,
    number_bound, numbers_agree, opposite_words, within_bound, places_differ, quote_checks, ranges, reports_same, role_conflicts,
    same_measure, word_from,
)
from .extract import ClaimAnalysis
from .extract.numbers import extract_numbers
from .extract.places import participant_keys
from .models import DateMention, Entity, Number
from .store.base import Hit
from .textutil import content_terms, human_date, stem

EARLIER_DAYS = 365  # a source published this long before the claim's dates cannot report its event
REPORTING_DAYS = 7  # a dateless sentence published this many days after a date may report it
CONTEXT_CHARS = 400  # text before a sentence read as its context (the previous sentence or two)
TOPIC_SHARE = 0.5  # a claim word found in this share of the candidates is the topic, not the event
TOPIC_MIN_HITS = 8

# The features every comparison carries, in a fixed order (the trained models name theirs; see check.py).
FEATURES = (
    "cover", "cover_sentence", "event_cover", "entity_share", "entity_missing", "participant_share",
    "place_missing", "claim_dated", "date_match", "date_conflict", "date_by_publication", "time_gap",
    "time_unknown", "claim_numbers", "number_share", "number_conflict", "number_range", "ident_match",
    "ident_conflict", "negation_conflict", "opposite_conflict", "beaten", "place_conflict", "person_conflict",
    "role_conflict", "quote_match", "quote_conflict", "forecast", "bm25", "rank", "cos", "cos_title",
    "number_mismatch", "number_near", "date_mismatch", "date_near", "place_mismatch", "person_mismatch",
    "confirms", "strict", "loose", "any_conflict", "slot_match", "published_before",
)
STRICT = ("date_conflict", "number_conflict", "ident_conflict", "negation_conflict", "opposite_conflict", "beaten",
          "place_conflict", "person_conflict", "role_conflict", "quote_conflict")
LOOSE = ("number_mismatch", "date_mismatch", "place_mismatch", "person_mismatch")


@dataclass
class ClaimView:
    """The claim as every comparison reads it: its extraction and its word sets."""

    analysis: ClaimAnalysis
    terms: set[str]
    entity_terms: set[str]
    event_terms: set[str]
    topic: frozenset
    dates: list[DateMention]
    quantities: list[Number]
    participants: set[str]


@dataclass
class Comparison:
    """One passage read against the claim."""

    hit: Hit
    rank: int
    features: dict[str, float]
    matches: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # what it says against the claim, in plain words
    mismatches: list[str] = field(default_factory=list)  # other values where the claim's stand (weaker)
    gaps: list[str] = field(default_factory=list)  # what it leaves unconfirmed, for a "related" reason
    highlights: list[dict] = field(default_factory=list)
    shared: int = 0  # claim words the passage (with its context) shares
    forecast: bool = False

    def mark(self, span, kind: str, role: str) -> None:
        self.highlights.append({"start": span.start, "end": span.end, "kind": kind, "role": role})


def claim_terms_of(analysis: ClaimAnalysis) -> set[str]:
    """The claim's content words, without its dates and numbers."""
    return content_terms(analysis.text, exclude=[(d.start, d.end) for d in analysis.dates]
                         + [(n.start, n.end) for n in analysis.numbers])


def topic_terms(claim_terms: set[str], hits: list[Hit], keep: set[str] = frozenset()) -> frozenset:
    """Claim words that most retrieved passages share: they say what the corpus is about, not what happened.
    The rarest word of `keep` (the claim's words other than names) is never topic, so an event remains."""
    if len(hits) < TOPIC_MIN_HITS:
        return frozenset()
    counts = {t: 0 for t in claim_terms}
    for hit in hits:
        for term in claim_terms & content_terms(hit.passage.text):
            counts[term] += 1
    topic = {t for t, n in counts.items() if n >= TOPIC_SHARE * len(hits)}
    if keep and keep <= topic:
        topic.discard(min(keep, key=lambda t: (counts[t], t)))
    return frozenset(topic)


def view_claim(analysis: ClaimAnalysis, hits: list[Hit]) -> ClaimView:
    """Word sets of the claim; the topic is read off the candidates retrieved for it."""
    terms = claim_terms_of(analysis)
    entity_terms = {t for e in analysis.entities for t in content_terms(e.text) | set(e.key.split())}
    units = {stem(n.unit) for n in analysis.numbers if n.unit}  # "countries" in "61 countries" is counted
    topic = topic_terms(terms, hits, keep=terms - entity_terms - units)
    return ClaimView(analysis=analysis, terms=terms, entity_terms=entity_terms,
                     event_terms=terms - entity_terms - topic - units, topic=topic,
                     dates=checkable_dates(analysis.dates),
                     quantities=[n for n in analysis.numbers if n.kind != "ordinal"],
                     participants=participant_keys(analysis.text, analysis.entities))


def compare_passage(claim: ClaimView, hit: Hit, rank: int = 0, best_score: float = 0.0) -> Comparison:
    """Read one passage against the claim. The sentence is read with its context (the source's title and the
    text just before it), since news sentences lean on it: "The talks are scheduled on Tuesday in Geneva"
    follows a paragraph naming the talks."""
    passage, source = hit.passage, hit.source
    context = (source.title or "") + "\n" + hit.text_between(passage.start - CONTEXT_CHARS, passage.start)
    passage_terms = content_terms(passage.text) | {t for e in passage.entities for t in e.key.split()}
    context_terms = content_terms(context)
    shared = claim.terms & passage_terms
    shared_ctx = claim.terms & (passage_terms | context_terms)
    n_terms = len(claim.terms)
    event_cover = len(claim.event_terms & passage_terms) / len(claim.event_terms) if claim.event_terms else 1.0
    out = Comparison(hit=hit, rank=rank, features={}, shared=len(shared_ctx))
    f = out.features
    f["cover"] = len(shared_ctx) / n_terms if n_terms else 0.0
    f["cover_sentence"] = len(shared) / n_terms if n_terms else 0.0
    f["event_cover"] = event_cover
    about_same = event_cover >= 0.5 and f["cover"] >= 0.5

    missing = _entities(claim, out, passage_terms, context_terms, context)
    nearby = participant_keys(passage.text, passage.entities) | participant_keys(context, [])
    f["participant_share"] = len(claim.participants & nearby) / len(claim.participants) if claim.participants \
        else 0.0
    place_missing = [e for e in missing if e.label == "PLACE" and is_locative(claim.analysis.text, e)]
    f["place_missing"] = float(bool(place_missing))

    date_match, by_publication = _dates(claim, out, passage_terms, about_same and not place_missing)
    f["date_match"] = float(date_match and not by_publication)
    f["date_by_publication"] = float(by_publication)
    _time_gap(claim, out)

    matched_numbers = _numbers(claim, out, passage_terms, context)
    f["claim_numbers"] = float(bool(claim.quantities))
    f["number_share"] = matched_numbers / len(claim.quantities) if claim.quantities else 0.0
    _identifiers(claim, out, f["cover"])

    n = len(out.conflicts)
    out.conflicts += role_conflicts(claim.analysis, passage)
    f["role_conflict"] = float(len(out.conflicts) > n)
    quote_matches, quote_conflicts = quote_checks(claim.analysis, source.text, passage.start - hit.text_start,
                                                 passage.end - hit.text_start)
    out.matches += quote_matches
    out.conflicts += quote_conflicts
    f["quote_match"], f["quote_conflict"] = float(bool(quote_matches)), float(bool(quote_conflicts))

    _replaced(claim, out, missing, about_same, event_cover)
    all_named = not missing and matched_numbers == len(claim.quantities) and (date_match or not claim.dates) \
        and (f["entity_share"] > 0 or not claim.analysis.entities)
    _polarity(claim, out, passage_terms, shared, all_named and f["cover"] >= 0.5)

    # Everything the claim names is confirmed: its words (or most of them, read with the context), its names,
    # dates, figures and reference numbers, with what the claim says happened in the sentence itself.
    grounded = event_cover >= 0.5 or (f["entity_share"] + f["date_match"] + (matched_numbers == len(claim.quantities)
                                       and bool(claim.quantities)) >= 2 and event_cover >= 0.3) \
        or (bool(claim.quantities) and matched_numbers == len(claim.quantities) and len(claim.quantities) >= 2)
    f["confirms"] = float(f["cover"] >= 0.5 and grounded and not missing and (date_match or not claim.dates)
                          and matched_numbers == len(claim.quantities) and not f["ident_conflict"]
                          and (f["ident_match"] or not IDENTIFIER.search(claim.analysis.text)))
    future = bool(FUTURE.search(passage.text))
    published = (source.published_at or "")[:10]
    out.forecast = (future and not published) or any(
        published and pd.range_start > published for pd in checkable_dates(passage.dates)
        if any(dates_overlap(cd, pd) for cd in claim.dates))
    f["forecast"] = float(out.forecast)
    f["bm25"] = hit.score / best_score if best_score > 0 else 0.0
    f["rank"] = math.log1p(rank) / math.log1p(40)
    f.setdefault("cos", 0.0)
    f.setdefault("cos_title", 0.0)

    if shared_ctx:
        out.gaps.append("shares " + ", ".join(sorted(shared_ctx)[:6]))
    if missing:
        out.gaps.append("does not mention " + ", ".join(e.text for e in missing[:3]))
    if claim.dates and not date_match:
        out.gaps.append("does not confirm the date " + human_date(claim.dates[0]))
    if claim.quantities and matched_numbers < len(claim.quantities):
        out.gaps.append("does not confirm " + ", ".join(n.text for n in claim.quantities[:3]))
    for name in FEATURES:
        f.setdefault(name, 0.0)
    f["strict"] = sum(f[n] for n in STRICT)
    f["loose"] = sum(f[n] for n in LOOSE)
    f["any_conflict"] = float(bool(out.conflicts or out.mismatches))
    slots = f["claim_dated"] + f["claim_numbers"] + float(bool(claim.analysis.entities))
    f["slot_match"] = (f["date_match"] + f["number_share"] + f["entity_share"]) / max(1.0, slots)
    return out


def _entities(claim: ClaimView, out: Comparison, passage_terms: set[str], context_terms: set[str],
              context: str) -> list[Entity]:
    """Claim entities named in the sentence (marked), else in its context or the source text around it (the
    hit's window: the whole text of a news article, a few pages of a long document); the missing ones."""
    passage, source = out.hit.passage, out.hit.source
    text_lower = passage.text.lower()
    source_lower = source.text.lower() + "\n" + (source.title or "").lower()
    matched, missing = 0, []
    nearby_terms = passage_terms | context_terms
    for entity in claim.analysis.entities:
        found = entity_match(entity, passage, text_lower)
        if found:
            matched += 1
            out.matches.append(found.text)
            out.mark(found, "entity", "match")
        elif mostly_named(entity, passage_terms):
            matched += 1
        elif entity.label in ("PERSON", "ORG") and any(e.label == entity.label for e in passage.entities):
            missing.append(entity)  # the sentence is about someone else, whoever the paragraph names
        elif not named_in(entity, context.lower()) and not mostly_named(entity, nearby_terms) and \
                not (entity.label != "PERSON" and named_in(entity, source_lower)):
            missing.append(entity)
    n = len(claim.analysis.entities)
    out.features["entity_share"] = matched / n if n else 0.0
    out.features["entity_missing"] = len(missing) / n if n else 0.0
    return missing


def _dates(claim: ClaimView, out: Comparison, passage_terms: set[str], comparable: bool) -> tuple[bool, bool]:
    """Dates agree when their ranges overlap ("May 2024" covers "14 May 2024"); they conflict only when the other
    date stands next to the words the claim's date goes with ("held ... on 21 May" / "talks ... on Tuesday")."""
    passage, source = out.hit.passage, out.hit.source
    passage_dates = checkable_dates(passage.dates)
    text = claim.analysis.text
    matched = conflict = False
    for cd in claim.dates:
        agreeing = [pd for pd in passage_dates if dates_overlap(cd, pd)]
        if agreeing:
            matched = True
            pd = agreeing[0]
            out.matches.append(f"{human_date(pd)} (\u201c{pd.text}\u201d)" if pd.relative else human_date(pd))
            out.mark(pd, "date", "match")
            continue
        apart = sorted((_days_apart(cd, pd), i) for i, pd in enumerate(passage_dates))
        if apart and apart[0][0] <= 730:
            out.features["date_mismatch"] = 1.0
            out.features["date_near"] = max(out.features.get("date_near", 0.0), float(apart[0][0] <= 31))
            other = passage_dates[apart[0][1]]
            out.mismatches.append(f"the source gives the date {human_date(other)} where the claim says "
                                  f"{human_date(cd)}")
        anchor_terms = (date_context(text, cd) - claim.topic) & passage_terms
        rival = next((pd for pd in passage_dates if near(passage.text, pd.start, pd.end, anchor_terms)), None)
        if rival is not None and comparable:
            said = f" (\u201c{rival.text}\u201d)" if rival.relative else ""
            out.conflicts.append(f"the source dates it {human_date(rival)}{said}; the claim says {human_date(cd)}")
            out.mark(rival, "date", "conflict")
            conflict = True
    # A day and month without a year ("on 9 February", no claim date): compare day and month only.
    for cd in claim.analysis.dates:
        partial = re.fullmatch(r"XXXX-(\d\d)-(\d\d)", cd.value or "")
        if not partial:
            continue
        month_day = "-" + partial.group(1) + "-" + partial.group(2)
        same_day = [pd for pd in passage_dates if pd.granularity == "day" and pd.value[4:10] == month_day]
        if same_day:
            matched = True
            out.matches.append(human_date(same_day[0]))
            out.mark(same_day[0], "date", "match")
        elif comparable:
            anchor_terms = (date_context(text, cd) - claim.topic) & passage_terms
            rival = next((pd for pd in passage_dates if pd.granularity == "day"
                          and near(passage.text, pd.start, pd.end, anchor_terms)), None)
            if rival is not None:
                out.conflicts.append(f"the source dates it {human_date(rival)}; the claim says {cd.text}")
                out.mark(rival, "date", "conflict")
                conflict = True
    out.features["claim_dated"] = float(bool(claim.dates))
    out.features["date_conflict"] = float(conflict)
    by_publication = False
    published = (source.published_at or "")[:10]
    if claim.dates and not passage_dates and published and not matched and not FUTURE.search(passage.text):
        # A sentence without a date of its own, in the past tense, reports news of its publication week.
        try:
            published_day = date.fromisoformat(published)
        except ValueError:
            published_day = None
        for cd in claim.dates if published_day else ():
            if date.fromisoformat(cd.range_start) <= published_day <= \
                    date.fromisoformat(cd.range_end) + timedelta(days=REPORTING_DAYS):
                matched = by_publication = True
                out.matches.append(f"published {published}")
                break
    return matched, by_publication


def _days_apart(a: DateMention, b: DateMention) -> int:
    first, last = _day(a.range_start), _day(a.range_end)
    other_first, other_last = _day(b.range_start), _day(b.range_end)
    if not (first and last and other_first and other_last):
        return 10 ** 6
    return max(0, (first - other_last).days, (other_first - last).days)


def _day(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat((value or "")[:10]) if value else None
    except ValueError:
        return None


def _time_gap(claim: ClaimView, out: Comparison) -> None:
    """How far apart in time the claim and the passage are: the claim's dates (or its anchor) against the
    passage's own dates and its publication day, in log years (0 when they overlap); unknown when either side
    has no time at all."""
    passage, source = out.hit.passage, out.hit.source
    claim_spans = [(_day(d.range_start), _day(d.range_end)) for d in claim.dates]
    if not claim_spans and claim.analysis.anchor:
        claim_spans = [(claim.analysis.anchor - timedelta(days=365), claim.analysis.anchor)]
    passage_days = [(_day(d.range_start), _day(d.range_end)) for d in checkable_dates(passage.dates)]
    published = _day(source.published_at)
    if published:
        passage_days.append((published - timedelta(days=REPORTING_DAYS), published))
        starts = [_day(d.range_start) for d in claim.dates]
        # Published more than a year before anything the claim dates: it cannot report the claim's event (at
        # most announce it), whatever its words.
        if starts and all(s and (s - published).days > EARLIER_DAYS for s in starts):
            out.features["published_before"] = 1.0
    spans = [(a, b) for a, b in claim_spans if a and b]
    others = [(a, b) for a, b in passage_days if a and b]
    if not spans or not others:
        out.features["time_unknown"] = 1.0
        return
    gap = min(max(0, (c0 - p1).days, (p0 - c1).days) for c0, c1 in spans for p0, p1 in others)
    out.features["time_gap"] = math.log1p(gap / 365.0)


def _agrees(text: str, cn: Number, passage_text: str, pn: Number) -> bool:
    """The passage's figure is the claim's: the same value (rounded as written, or within 10% when either side
    hedges), or, for a claim that gives a bound ("more than 400"), a value of the same kind within it."""
    bound = number_bound(text, cn)
    if bound:
        if pn.value == cn.value:
            return number_bound(passage_text, pn) == bound
        return _same_kind(cn, pn) and (not cn.unit or not pn.unit or comparable_numbers(cn, pn)) \
            and within_bound(cn, bound, pn)
    return numbers_agree(cn, pn, is_hedged(text, cn) or is_hedged(passage_text, pn))


def _numbers(claim: ClaimView, out: Comparison, passage_terms: set[str], context: str) -> int:
    """Claim figures the sentence gives (matched), a different value for the same thing counted (conflict), or a
    range around them (allowed, not confirmed). Returns how many of the claim's figures are confirmed."""
    passage, text = out.hit.passage, claim.analysis.text
    matched, unstated, compatible = 0, [], []
    claimed = [pn for pn in passage.numbers if any(_agrees(text, cn, passage.text, pn) for cn in claim.quantities)]
    spans = ranges(passage.text, passage.numbers)
    # Both ends of a range that holds a claimed value are that one quantity ("between €30 billion and €50 billion
    # of the investment"): neither is a rival for the claim's other numbers.
    claimed += [end for pair in spans if any(pair[0].value <= cn.value <= pair[1].value for cn in claim.quantities)
                for end in pair if end not in claimed]
    conflict = False
    for cn in claim.quantities:
        label = number_label(text, cn)
        bound = number_bound(text, cn)
        same_label = [pn for pn in passage.numbers if label and label & number_label(passage.text, pn)]
        agreeing = [pn for pn in passage.numbers if _agrees(text, cn, passage.text, pn)]
        if bound and same_label:
            agreeing = [pn for pn in agreeing if pn in same_label or comparable_numbers(cn, pn)]
        # A value inside a range the sentence gives for the same measure ("between €30 billion and €50 billion",
        # "40-50 minutes") is compatible with it but not confirmed by it, even at one end of the range.
        in_range = [end for pair in spans for end in pair if pair[0].value <= cn.value <= pair[1].value
                    and any(same_measure(cn, e) for e in pair)] if not bound else []
        agreeing = [pn for pn in agreeing if pn not in in_range]
        if agreeing and (not same_label or any(pn in agreeing for pn in same_label)):
            matched += 1
            said = agreeing[0].text if not bound else f"{agreeing[0].text} ({_BOUND_WORDS[bound]} {cn.text})"
            out.matches.append(said)
            out.mark(agreeing[0], "number", "match")
            continue
        if in_range:
            compatible.append(f"{in_range[0].text}\u2013{in_range[-1].text}")
            continue
        # Any other figure of the same kind (the same measure first, then the nearest value): a weaker sign of
        # disagreement, for the learned stance; the sentence may count something else.
        loose = [pn for pn in passage.numbers if pn not in claimed and pn not in agreeing and _same_kind(cn, pn)]
        loose.sort(key=lambda pn: (not (pn in same_label or comparable_numbers(cn, pn)),
                                   abs(pn.value - cn.value) / max(abs(pn.value), abs(cn.value), 1e-9)))
        if loose:
            out.features["number_mismatch"] = 1.0
            pn = loose[0]
            if abs(pn.value - cn.value) <= 0.3 * max(abs(pn.value), abs(cn.value)):
                out.features["number_near"] = 1.0
            out.mismatches.append(f"the source gives {pn.text}{number_tail(passage.text, pn)} where the claim says "
                                  f"{_BOUND_WORDS[bound] + ' ' if bound else ''}{cn.text}")
        rivals = [pn for pn in same_label if pn not in agreeing and pn not in claimed] if agreeing else []
        if not rivals and reports_same(claim.event_terms, passage_terms):
            rivals = [pn for pn in passage.numbers
                      if (comparable_numbers(cn, pn) or pn in same_label) and pn not in claimed]
        if not rivals:
            unstated.append(cn)
            continue
        pn = rivals[0]
        counted = f" {cn.unit}" if cn.unit and cn.unit.lower() not in cn.text.lower() else ""
        out.conflicts.append(f"the source gives {pn.text}{number_tail(passage.text, pn)}; the claim says "
                             f"{_BOUND_WORDS[bound] + ' ' if bound else ''}{cn.text}{counted}")
        out.mark(pn, "number", "conflict")
        conflict = True
    if unstated and matched:
        # A sentence that states some of the claim's figures may lean on the text before it (or the title) for the
        # others, unopposed: "He proposed a €109 billion investment. [...] with the UAE alone contributing
        # €50 billion". A sentence that states none of them is not completed this way.
        before = extract_numbers(context)
        for cn in unstated:
            said = next((pn for pn in before if _agrees(text, cn, context, pn)), None)
            if said is not None:
                matched += 1
                out.matches.append(f"{said.text} (in the text before it)")
    out.features["number_conflict"] = float(conflict)
    out.features["number_range"] = float(bool(compatible))
    if compatible:
        out.gaps.append("gives a range (" + ", ".join(compatible[:2]) + "), which allows the claim's figure but "
                        "does not confirm it")
    return matched


_BOUND_WORDS = {">": "more than", "<": "less than", ">~": "just over", "<~": "just under"}


def _same_kind(a: Number, b: Number) -> bool:
    """Two figures of one kind (counts, sums of the same currency, percentages), whatever they count."""
    if a.kind != b.kind or a.kind == "ordinal":
        return False
    return a.kind != "money" or not a.unit or not b.unit or a.unit == b.unit


def _identifiers(claim: ClaimView, out: Comparison, cover: float) -> None:
    """Reference numbers ("2021/0106"): the same one, or another of the same series."""
    text = out.hit.passage.text
    identifiers = IDENTIFIER.findall(claim.analysis.text)
    matched = conflict = False
    for ident in identifiers:
        others = [i for i in IDENTIFIER.findall(text) if i != ident and i.split("/")[0] == ident.split("/")[0]]
        if ident in text:
            out.matches.append(ident)
            matched = True
        elif others and cover >= 0.5:
            out.conflicts.append(f"the source gives {others[0]}; the claim says {ident}")
            conflict = True
    out.features["ident_match"] = float(matched)
    out.features["ident_conflict"] = float(conflict)


def _replaced(claim: ClaimView, out: Comparison, missing: list[Entity], about_same: bool,
              event_cover: float) -> None:
    """Places and people the claim names that the passage replaces with others."""
    passage = out.hit.passage
    claim_keys = {e.key for e in claim.analysis.entities}
    key_tokens = {t for k in claim_keys for t in k.split()}

    def rivals_of(label: str) -> list[Entity]:
        return [e for e in passage.entities if e.label == label and e.key not in claim_keys
                and not set(e.key.split()) & key_tokens]

    place = person = False
    for entity in missing:
        other_places = [r for r in rivals_of("PLACE") if places_differ(r.key, entity.key)]
        if entity.label == "PLACE" and other_places:
            out.features["place_mismatch"] = 1.0
            out.mismatches.append(f"the source names {other_places[0].text}, not {entity.text}")
        if entity.label == "PERSON" and rivals_of("PERSON"):
            out.features["person_mismatch"] = 1.0
            out.mismatches.append(f"the source names {rivals_of('PERSON')[0].text}, not {entity.text}")
        if entity.label == "PLACE" and about_same and is_locative(claim.analysis.text, entity):
            rivals = [r for r in rivals_of("PLACE") + rivals_of("ORG") + rivals_of("OTHER")
                      if is_locative(passage.text, r) and places_differ(r.key, entity.key)]
            if rivals:
                out.conflicts.append(f"the source places it in {rivals[0].text}; the claim says {entity.text}")
                out.mark(rivals[0], "place", "conflict")
                place = True
        elif entity.label == "PERSON" and about_same and event_cover >= 0.6:
            rivals = rivals_of("PERSON")
            if rivals:
                out.conflicts.append(f"the source names {rivals[0].text}; the claim names {entity.text}")
                out.mark(rivals[0], "person", "conflict")
                person = True
    out.features["place_conflict"] = float(place)
    out.features["person_conflict"] = float(person)


def _polarity(claim: ClaimView, out: Comparison, passage_terms: set[str], shared: set[str], same_things: bool):
    """One side negates (or states the opposite of) what the other affirms, about the same things."""
    passage, analysis = out.hit.passage, claim.analysis
    if not same_things:
        return
    passage_neg = negation_of(passage.text, shared)
    claim_neg = negation_of(analysis.text, shared)
    opposite = opposite_words(claim.terms, passage_terms, passage.text)
    beaten = beaten_by(analysis, claim.terms, passage)
    if beaten:
        out.conflicts.append(f"the source says \u201c{beaten}\u201d where the claim says {analysis.entities[0].text} won")
        out.features["beaten"] = 1.0
    elif bool(passage_neg) != bool(claim_neg) and (claim.event_terms & passage_terms or not claim.event_terms):
        # (about the same happening: the sentence shares a word of what the claim says happened, not only the
        # names; "Neither the US nor the UK signed" against "... catch up with the United States")
        side = "the source" if passage_neg else "the claim"
        out.conflicts.append(f"{side} negates it (\u201c{passage_neg or claim_neg}\u201d) where the other affirms it")
        out.features["negation_conflict"] = 1.0
    elif opposite and not passage_neg:
        out.conflicts.append(f"the source says \u201c{word_from(passage.text, opposite[1])}\u201d where the claim "
                             f"says \u201c{word_from(analysis.text, opposite[0])}\u201d")
        out.features["opposite_conflict"] = 1.0
