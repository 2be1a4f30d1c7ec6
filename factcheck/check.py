"""Check a claim: the same extraction as for sources, retrieval, a structural comparison per passage, a verdict.

Conflicts come from structure (dates, places, people, numbers, negation), not from similarity alone: cosine
or lexical overlap cannot tell "will" from "will not". Every stance carries a reason in plain words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from .compare import (
    FUTURE, IDENTIFIER, opposite_words, beaten_by, checkable_dates, comparable_numbers, date_context,
    dates_overlap, entity_match, is_hedged, named_in, is_locative, mostly_named, near, negation_of,
    number_label, numbers_agree, places_differ, ranges, quote_checks, reports_same, role_conflicts, number_tail,
    same_measure, word_from,
)
from .extract import ClaimAnalysis, analyse_claim
from .extract.numbers import extract_numbers
from .models import Entity, Evidence, Verdict
from .store.base import Hit, Store
from .textutil import content_terms, human_date, stem

MAX_CLAIM_CHARS = 2000
RETRIEVE = 40  # passages judged per claim
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
    forecast: bool = False


FORECAST_WEIGHT = 0.5  # a plan or forecast weighs this much against a report
REPORTING_DAYS = 7  # a dateless sentence published this many days after a date may report it
CONTEXT_CHARS = 400  # text before a sentence read as its context (the previous sentence or two)


def judge(claim: ClaimAnalysis, claim_terms: set[str], hit: Hit, topic: frozenset = frozenset()) -> Judgement:
    """Compare one passage with the claim: matches, conflicts, a stance and a plain-words reason.

    The sentence is read with its context (the source's title and the text just before it), since news
    sentences lean on it: "The talks are scheduled on Tuesday in Geneva" follows a paragraph naming the talks.
    """
    passage, source = hit.passage, hit.source
    text_lower = passage.text.lower()
    context = (source.title or "") + "\n" + source.text[max(0, passage.start - CONTEXT_CHARS):passage.start]
    source_lower = source.text.lower() + "\n" + (source.title or "").lower()
    passage_terms = content_terms(passage.text) | {t for e in passage.entities for t in e.key.split()}
    context_terms = content_terms(context)
    entity_terms = {t for e in claim.entities for t in content_terms(e.text) | set(e.key.split())}
    # What the claim says happened: its words less the names and the topic every candidate shares ("act").
    unit_terms = {stem(n.unit) for n in claim.numbers if n.unit}  # "countries" in "61 countries" is counted
    event_terms = claim_terms - entity_terms - topic - unit_terms
    shared = claim_terms & passage_terms
    shared_ctx = claim_terms & (passage_terms | context_terms)
    coverage = len(shared_ctx) / len(claim_terms) if claim_terms else 0.0
    event_cover = len(event_terms & passage_terms) / len(event_terms) if event_terms else 1.0
    matches: list[str] = []
    conflicts: list[str] = []
    highlights: list[dict] = []

    def mark(span, kind, role):
        highlights.append({"start": span.start, "end": span.end, "kind": kind, "role": role})

    # Entities: named in the sentence, else in its context or elsewhere in the source, else missing.
    matched_entities, missing = 0, []
    nearby_terms = passage_terms | context_terms
    for entity in claim.entities:
        found = entity_match(entity, passage, text_lower)
        if found:
            matched_entities += 1
            matches.append(found.text)
            mark(found, "entity", "match")
        elif mostly_named(entity, passage_terms):
            matched_entities += 1
        elif entity.label in ("PERSON", "ORG") and any(e.label == entity.label for e in passage.entities):
            missing.append(entity)  # the sentence is about someone else, whoever the paragraph names
        elif not named_in(entity, context.lower()) and not mostly_named(entity, nearby_terms) and \
                not (entity.label != "PERSON" and named_in(entity, source_lower)):
            missing.append(entity)
    claim_keys = {e.key for e in claim.entities}
    claim_key_tokens = {t for k in claim_keys for t in k.split()}

    def rivals_of(label: str) -> list[Entity]:
        return [e for e in passage.entities if e.label == label and e.key not in claim_keys
                and not set(e.key.split()) & claim_key_tokens]

    about_same = event_cover >= 0.5 and coverage >= 0.5  # the sentence reports the claim's kind of event
    # A place the claim puts the event in that this source never names: another event, or a place conflict.
    elsewhere = any(e.label == "PLACE" and is_locative(claim.text, e) for e in missing)
    future = bool(FUTURE.search(passage.text))

    # Dates: agree when the ranges overlap ("May 2024" covers "14 May 2024"); conflict only when the other
    # date stands next to the words the claim's date goes with ("held ... on 21 May" / "talks ... on Tuesday").
    claim_dates = checkable_dates(claim.dates)
    passage_dates = checkable_dates(passage.dates)
    date_match = False
    published = (source.published_at or "")[:10]
    forecast = future and not published  # announced, not reported (when the date says so, see below)
    for cd in claim_dates:
        agreeing = [pd for pd in passage_dates if dates_overlap(cd, pd)]
        if agreeing:
            date_match = True
            pd = agreeing[0]
            matches.append(f"{human_date(pd)} (\u201c{pd.text}\u201d)" if pd.relative else human_date(pd))
            mark(pd, "date", "match")
            forecast = forecast or bool(published and pd.range_start > published)
            continue
        if not about_same or elsewhere:
            continue
        anchor_terms = (date_context(claim.text, cd) - topic) & passage_terms
        rival = next((pd for pd in passage_dates if near(passage.text, pd.start, pd.end, anchor_terms)), None)
        if rival is not None:
            said = f" (\u201c{rival.text}\u201d)" if rival.relative else ""
            conflicts.append(f"the source dates it {human_date(rival)}{said}; the claim says {human_date(cd)}")
            mark(rival, "date", "conflict")

    # A day and month without a year ("on 9 February", no claim date): compare day and month only.
    for cd in claim.dates:
        partial = re.fullmatch(r"XXXX-(\d\d)-(\d\d)", cd.value or "")
        if not partial:
            continue
        month_day = "-" + partial.group(1) + "-" + partial.group(2)
        same_day = [pd for pd in passage_dates if pd.granularity == "day" and pd.value[4:10] == month_day]
        if same_day:
            date_match = True
            matches.append(human_date(same_day[0]))
            mark(same_day[0], "date", "match")
        elif about_same and not elsewhere:
            anchor_terms = (date_context(claim.text, cd) - topic) & passage_terms
            rival = next((pd for pd in passage_dates if pd.granularity == "day"
                          and near(passage.text, pd.start, pd.end, anchor_terms)), None)
            if rival is not None:
                conflicts.append(f"the source dates it {human_date(rival)}; the claim says {cd.text}")
                mark(rival, "date", "conflict")

    dated_by_publication = False
    if claim_dates and not passage_dates and published and not date_match and not future:
        # A sentence without a date of its own, in the past tense, reports news of its publication week.
        try:
            published_day = date.fromisoformat(published)
        except ValueError:
            published_day = None
        for cd in claim_dates if published_day else ():
            if date.fromisoformat(cd.range_start) <= published_day <= \
                    date.fromisoformat(cd.range_end) + timedelta(days=REPORTING_DAYS):
                date_match = dated_by_publication = True
                matches.append(f"published {published}")
                break

    # Numbers: the same value, or a different value for the same thing counted.
    number_match = False
    quantities = [n for n in claim.numbers if n.kind != "ordinal"]
    matched_numbers = 0
    unstated = []  # claim figures the sentence neither gives nor contradicts
    compatible = []  # ranges the sentence gives around a claim figure
    claimed = [pn for pn in passage.numbers
               if any(numbers_agree(cn, pn, is_hedged(claim.text, cn)) for cn in quantities)]
    spans = ranges(passage.text, passage.numbers)
    # Both ends of a range that holds a claimed value are that one quantity ("between €30 billion and €50 billion
    # of the investment"): neither is a rival for the claim's other numbers.
    claimed += [end for pair in spans if any(pair[0].value <= cn.value <= pair[1].value for cn in quantities)
                for end in pair if end not in claimed]
    for cn in quantities:
        label = number_label(claim.text, cn)
        hedged = is_hedged(claim.text, cn)
        agreeing = [pn for pn in passage.numbers if numbers_agree(cn, pn, hedged or is_hedged(passage.text, pn))]
        # A value inside a range the sentence gives for the same measure ("between €30 billion and €50 billion",
        # "40-50 minutes") is compatible with it but not confirmed by it, even at one end of the range.
        in_range = [end for pair in spans for end in pair if pair[0].value <= cn.value <= pair[1].value
                    and any(same_measure(cn, e) for e in pair)]
        agreeing = [pn for pn in agreeing if pn not in in_range]
        same_label = [pn for pn in passage.numbers if label and label & number_label(passage.text, pn)]
        if agreeing and (not same_label or any(pn in agreeing for pn in same_label)):
            matched_numbers += 1
            matches.append(agreeing[0].text)
            mark(agreeing[0], "number", "match")
            continue
        if in_range:
            compatible.append(f"{in_range[0].text}\u2013{in_range[-1].text}")
            continue
        rivals = [pn for pn in same_label if pn not in agreeing] if agreeing else []
        if not rivals and reports_same(event_terms, passage_terms):
            rivals = [pn for pn in passage.numbers
                      if (comparable_numbers(cn, pn) or pn in same_label) and pn not in claimed]
        if not rivals:
            unstated.append(cn)
            continue
        pn = rivals[0]
        counted = f" {cn.unit}" if cn.unit and cn.unit.lower() not in cn.text.lower() else ""
        conflicts.append(f"the source gives {pn.text}{number_tail(passage.text, pn)}; the claim says "
                         f"{cn.text}{counted}")
        mark(pn, "number", "conflict")
    if unstated and matched_numbers:
        # A sentence that states some of the claim's figures may lean on the text before it (or the title) for the
        # others, unopposed: "He proposed a €109 billion investment. [...] with the UAE alone contributing
        # €50 billion". A sentence that states none of them is not completed this way.
        before = extract_numbers(context)
        for cn in unstated:
            said = next((pn for pn in before if numbers_agree(cn, pn, is_hedged(claim.text, cn))), None)
            if said is not None:
                matched_numbers += 1
                matches.append(f"{said.text} (in the text before it)")
    number_match = bool(quantities) and matched_numbers == len(quantities)
    identifiers = IDENTIFIER.findall(claim.text)
    identifiers_matched = all(i in passage.text for i in identifiers)
    for ident in identifiers:
        others = [i for i in IDENTIFIER.findall(passage.text) if i != ident and i.split("/")[0] == ident.split("/")[0]]
        if ident in passage.text:
            matches.append(ident)
        elif others and coverage >= 0.5:
            conflicts.append(f"the source gives {others[0]}; the claim says {ident}")

    # Roles: the claim gives someone a role that the sentence gives to other people.
    conflicts += role_conflicts(claim, passage)

    # Quotations: who said the claim's quoted words.
    quote_matches, quote_conflicts = quote_checks(claim, source.text, passage)
    matches += quote_matches
    conflicts += quote_conflicts

    # Places and people the claim names that the passage replaces with others.
    for entity in missing:
        if entity.label == "PLACE" and about_same and is_locative(claim.text, entity):
            rivals = [r for r in rivals_of("PLACE") + rivals_of("ORG") + rivals_of("OTHER")
                      if is_locative(passage.text, r) and places_differ(r.key, entity.key)]
            if rivals:
                conflicts.append(f"the source places it in {rivals[0].text}; the claim says {entity.text}")
                mark(rivals[0], "place", "conflict")
        elif entity.label == "PERSON" and about_same and event_cover >= 0.6:
            rivals = rivals_of("PERSON")
            if rivals:
                conflicts.append(f"the source names {rivals[0].text}; the claim names {entity.text}")
                mark(rivals[0], "person", "conflict")

    # Polarity: one side negates (or states the opposite of) what the other affirms, about the same things.
    all_named = not missing and matched_numbers == len(quantities) and (matched_entities or not claim.entities) \
        and (date_match or not claim_dates)
    if coverage >= 0.5 and all_named:
        passage_neg = negation_of(passage.text, shared)
        claim_neg = negation_of(claim.text, shared)
        opposite = opposite_words(claim_terms, passage_terms, passage.text)
        beaten = beaten_by(claim, claim_terms, passage)
        if beaten:
            conflicts.append(f"the source says \u201c{beaten}\u201d where the claim says {claim.entities[0].text} won")
        elif bool(passage_neg) != bool(claim_neg) and (event_terms & passage_terms or not event_terms):
            # (about the same happening: the sentence shares a word of what the claim says happened, not only
            # the names; "Neither the US nor the UK signed" against "... catch up with the United States")
            side = "the source" if passage_neg else "the claim"
            conflicts.append(f"{side} negates it (\u201c{passage_neg or claim_neg}\u201d) where the other affirms it")
        elif opposite and not passage_neg:
            conflicts.append(f"the source says \u201c{word_from(passage.text, opposite[1])}\u201d where the claim "
                             f"says \u201c{word_from(claim.text, opposite[0])}\u201d")

    # What ties the sentence itself to the claim (a publication date alone does not).
    anchors = matched_entities + int(date_match and not dated_by_publication) + int(number_match)
    entity_share = matched_entities / len(claim.entities) if claim.entities else 0.0
    relevance = 0.55 * coverage + 0.15 * event_cover + 0.15 * entity_share + 0.1 * date_match \
        + 0.05 * number_match
    unresolved_claim_dates = [d for d in claim.dates if d.type in ("date", "time") and not d.resolved]
    grounded = event_cover >= 0.5 or (anchors >= 2 and event_cover >= 0.3) or (number_match and len(quantities) >= 2)

    if conflicts:
        stance = "conflicts"
        reason = "; ".join(dict.fromkeys(conflicts))
    elif coverage >= 0.5 and grounded and not missing and (date_match or not claim_dates) \
            and (number_match or not quantities) and identifiers_matched:
        stance = "supports"
        detail = ", ".join(dict.fromkeys(matches))
        reason = f"the source reports the same: {detail}" if detail else "the source reports the same"
        reason += f" ({len(shared_ctx)} of {len(claim_terms)} key words shared)"
        if forecast:
            reason += "; it announces a plan or forecast rather than reporting what happened"
            relevance *= FORECAST_WEIGHT
        if unresolved_claim_dates:
            reason += "; the claim's relative date could not be checked without a claim date"
    else:
        stance = "related"
        parts = []
        if shared_ctx:
            parts.append("shares " + ", ".join(sorted(shared_ctx)[:6]))
        if missing:
            parts.append("does not mention " + ", ".join(e.text for e in missing[:3]))
        if claim_dates and not date_match:
            parts.append("does not confirm the date " + human_date(claim_dates[0]))
        if quantities and not number_match:
            parts.append("does not confirm " + ", ".join(n.text for n in quantities[:3]))
        if compatible:
            parts.append("gives a range (" + ", ".join(compatible[:2]) + "), which allows the claim's figure but "
                         "does not confirm it")
        reason = "; ".join(parts) or "on a related topic"
    score = round(min(1.0, relevance), 3)
    return Judgement(hit, stance, score, reason, coverage, conflicts, matches, highlights,
                     forecast=stance == "supports" and forecast)


TOPIC_SHARE = 0.5  # a claim word found in this share of the candidates is the topic, not the event
TOPIC_MIN_HITS = 8


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


CONFLICT_RATIO = 0.3  # the weaker side must weigh at least this share of the stronger for CONFLICTING


def reconcile(judgements: list[Judgement]) -> None:
    """A source that supports the claim in one passage is not counted against it by another passage: articles
    that list many dates (timelines, explainers) are about several events, and one of them is the claim's."""
    supporting = {j.hit.source.id for j in judgements if j.stance == "supports"}
    for j in judgements:
        if j.stance == "conflicts" and j.hit.source.id in supporting:
            j.stance = "related"
            j.reason = "about another event in a source that supports the claim elsewhere: " + j.reason


def decide(judgements: list[Judgement]) -> tuple[str, float]:
    """The verdict and its confidence, weighing each source once (by its best passage)."""
    support: dict[str, float] = {}
    conflict: dict[str, float] = {}
    for j in judgements:
        side = support if j.stance == "supports" else conflict if j.stance == "conflicts" else None
        if side is not None:
            side[j.hit.source.id] = max(side.get(j.hit.source.id, 0.0), j.score)
    if not conflict and all(j.forecast for j in judgements if j.stance == "supports"):
        support = {}  # only plans and forecasts: nothing yet says it happened
    if not support and not conflict:
        best = max((j.score for j in judgements), default=0.0)
        return "NOT_ENOUGH_EVIDENCE", round(max(0.5, 1.0 - best), 2)
    weight_support, weight_conflict = sum(support.values()), sum(conflict.values())
    if support and conflict and min(weight_support, weight_conflict) >= CONFLICT_RATIO * max(weight_support,
                                                                                            weight_conflict):
        return "CONFLICTING", round(min(0.9, 0.5 + 0.4 * min(max(support.values()), max(conflict.values()))), 2)
    total = (weight_support + weight_conflict) or 1.0
    if support and weight_support >= weight_conflict:
        best, share = max(support.values()), weight_support / total
        return "SUPPORTED", round(min(0.97, 0.3 + 0.4 * best + 0.3 * share), 2)
    best, share = max(conflict.values()), weight_conflict / total
    return "REFUTED", round(min(0.97, 0.3 + 0.4 * best + 0.3 * share), 2)


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
    dates = checkable_dates(analysis.dates)
    hits = store.search(claim, entities=[e.key for e in analysis.entities],
                        date_from=min((d.range_start for d in dates), default=None),
                        date_to=max((d.range_end for d in dates), default=None),
                        as_of=as_of_day, limit=RETRIEVE)
    names = {t for e in analysis.entities for t in content_terms(e.text) | set(e.key.split())}
    counted = {stem(n.unit) for n in analysis.numbers if n.unit}
    topic = topic_terms(claim_terms, hits, keep=claim_terms - names - counted)
    judgements, seen = [], set()
    for hit in hits:
        key = (hit.source.id, hit.passage.text)
        if key not in seen:  # a sentence repeated in the same source counts once
            seen.add(key)
            judgements.append(judge(analysis, claim_terms, hit, topic))
    reconcile(judgements)
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
