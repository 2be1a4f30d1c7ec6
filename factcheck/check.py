"""Check a claim: the same extraction as for sources, retrieval, a structural comparison per passage, a verdict.

Conflicts come from structure (dates, places, people, numbers, negation), not from similarity alone: cosine
or lexical overlap cannot tell "will" from "will not". Every stance carries a reason in plain words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from .extract import NEGATION, ClaimAnalysis, analyse_claim
from .models import DateMention, Entity, Evidence, Number, Passage, Verdict
from .store.base import Hit, Store
from .extract.places import place_kind, places_exclude
from .textutil import content_terms, human_date, stem, term_list

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

# Pairs of words that state opposite things about the same subject ("applies" / "exempts").
ANTONYMS = [("appli", "exempt"), ("approv", "refus"), ("accept", "refus"), ("win", "lose"), ("won", "lost"),
            ("increas", "decreas"), ("rise", "fall"), ("rose", "fell"), ("allow", "ban"), ("permit", "ban"),
            ("legal", "illeg"), ("includ", "exclud"), ("support", "oppos"), ("join", "leav"), ("confirm", "deni"),
            ("approv", "fail"), ("guilti", "innoc"), ("public", "privat"), ("entir", "part"),
            ("resign", "appoint"), ("attend", "absent")]
_ORDINAL_WORDS = re.compile(r"\b(first|second|third|last|final|only|single)\b", re.I)
_IDENTIFIER = re.compile(r"\b\d{2,4}/\d{1,5}\b")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_LABEL_STOP = frozenset("a an the of in on at to for by with from was were is are be been has have had it its".split())


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
    for name in dict.fromkeys((entity.key, entity.text.lower())):
        found = re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", passage_text_lower) if name else None
        if found:
            return Entity(passage.text[found.start():found.end()], found.start(), found.end(), entity.label,
                          entity.key)
    return None


def _in_text(entity: Entity, text_lower: str) -> bool:
    """The entity is named somewhere in a text (by its key, its surface form, or its last name)."""
    names = {entity.key, entity.text.lower()}
    if entity.label == "PERSON" and len(entity.key.split()) > 1:
        names.add(entity.key.split()[-1])
    return any(re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text_lower) for n in names if n)


_LOCATIVE = re.compile(r"\b(in|at|near|outside|inside|from|to|venue|host city of)\s+(the\s+)?$", re.I)


def _places_differ(a: str, b: str) -> bool:
    """Two places that cannot both be where one event happened; two named venues unknown to the gazetteer
    ("the Grand Palais", "the Elysee Palace") differ when they share no word."""
    if places_exclude(a, b):
        return True
    kind_a, kind_b = place_kind(a)[0], place_kind(b)[0]
    return kind_a is None and kind_b is None and not set(a.split()) & set(b.split())


def _locative(text: str, entity: Entity) -> bool:
    """The place is where something happens ("held in Geneva", "at the Grand Palais"), not an actor."""
    return bool(_LOCATIVE.search(text[max(0, entity.start - 25):entity.start]))


def _near(text: str, span_start: int, span_end: int, terms: set[str], chars: int = 60) -> bool:
    """One of the terms occurs within `chars` characters of the span."""
    window = text[max(0, span_start - chars):span_start] + " " + text[span_end:span_end + chars]
    return bool(content_terms(window) & terms)


_FUTURE = re.compile(r"\b(will|would|shall|expected|expects?|scheduled|planned|plans?|set to|due to|likely|"
                     r"could|should|may|might|is to|are to|to be|have to|has to|aims? to|intends? to|"
                     r"upcoming|next)\b", re.I)


def _reports_same(event_terms: set[str], passage_terms: set[str]) -> bool:
    """At least half of the claim's event words (beyond what a number counts) are in the sentence."""
    return bool(event_terms) and len(event_terms & passage_terms) >= 0.5 * len(event_terms)


def _mostly_named(entity: Entity, terms: set[str]) -> bool:
    """Most words of a multi-word name appear ("AI Action Summit" for "the Paris AI Action Summit")."""
    words = content_terms(entity.text) | {t for t in entity.key.split() if len(t) > 2}
    words = {w for w in words if len(w) > 1}
    return len(words) >= 2 and len(words & terms) >= max(2, 0.6 * len(words))


def _date_context(text: str, mention: DateMention) -> set[str]:
    """The words a date goes with in a sentence ("talks ... held in Geneva on 21 May 2024")."""
    return content_terms(text[max(0, mention.start - 45):mention.start] + " " + text[mention.end:mention.end + 25])


def _dates_overlap(a: DateMention, b: DateMention) -> bool:
    return bool(a.range_start and b.range_start and a.range_start <= b.range_end and b.range_start <= a.range_end)


def _checkable_dates(dates: list[DateMention]) -> list[DateMention]:
    return [d for d in dates if d.type in ("date", "time") and d.resolved and d.range_start]


_HEDGE = re.compile(r"\b(about|around|nearly|almost|approximately|roughly|some|over|more than|less than|"
                    r"fewer than|up to|at least|at most|close to|under|just over|just under|~)\s*$", re.I)


def _significant_digits(number: Number) -> int:
    digits = re.sub(r"\D", "", number.text.split("e")[0]) or "0"
    digits = digits.lstrip("0") or "0"
    if "." not in number.text:
        digits = digits.rstrip("0") or "0"
    return max(1, len(digits))


def _round_to(value: float, digits: int) -> float:
    if value == 0:
        return 0.0
    from math import floor, log10

    return round(value, -int(floor(log10(abs(value)))) + digits - 1)


def _numbers_agree(a: Number, b: Number, hedged: bool = False) -> bool:
    """Same quantity: equal, equal once the more precise one is rounded as the other is written
    ("1.8 billion" and "1.84 billion"), or within 10% when one side hedges ("about 36 hours")."""
    if a.value == b.value:
        return True
    if hedged:
        return abs(a.value - b.value) <= 0.1 * max(abs(a.value), abs(b.value))
    return _round_to(b.value, _significant_digits(a)) == a.value or \
        _round_to(a.value, _significant_digits(b)) == b.value


def _hedged(text: str, number: Number) -> bool:
    return bool(_HEDGE.search(text[max(0, number.start - 20):number.start]))


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


def _number_label(text: str, number: Number) -> set[str]:
    """What a number counts, read from the words right after it up to the next number or clause break
    ("46 against" -> {against}; "49 MEPs voted against" -> {mep, vot, against})."""
    tail = re.split(r"[,;:()]|\band\b|\bor\b|\d", text[number.end:number.end + 40], maxsplit=1)[0]
    words = [w.lower() for w in _TOKEN.findall(tail) if w.lower() not in _LABEL_STOP][:2]
    if number.unit:
        words.append(number.unit.lower())
    return {stem(w) for w in words}


def _negated_terms(text: str, shared: set[str]) -> Optional[str]:
    """The negation cue that governs one of the shared words ("declined to sign", "did not approve")."""
    for cue in NEGATION.finditer(text):
        window = content_terms(text[cue.end():cue.end() + 40])
        if window & shared:
            return cue.group(0)
    return None


# "X defeated Y" means Y did not win: a claim that Y won is contradicted when Y comes after such a verb.
BEATEN = re.compile(r"\b(defeat(?:s|ed|ing)?|beat(?:s|en|ing)?|outbid(?:s|ding)?|overc(?:ame|omes?))\b", re.I)


def _beaten(claim: ClaimAnalysis, claim_terms: set[str], passage: Passage) -> Optional[str]:
    """The passage's "defeated <the claim's winner>", when the claim says its first-named party won."""
    if "win" not in claim_terms and "won" not in claim_terms or not claim.entities:
        return None
    winner = claim.entities[0]
    if winner.start > 40:  # the subject opens the claim ("Boeing won ...")
        return None
    for verb in BEATEN.finditer(passage.text):
        after = passage.text[verb.end():verb.end() + 60].lower()
        if winner.key in after or winner.text.lower() in after:
            return passage.text[verb.start():verb.end()] + " " + winner.text
    return None


# Quoted words in a claim ('There is a deal.'), and who a source says spoke them.
_QUOTED = re.compile(r"[\"\u201c\u2018'](?P<q>[^\"\u201d\u2019']{8,300}?)[\"\u201d\u2019'](?!\w)")
_NAME = r"(?P<name>[A-Z][\w.\u2019'-]+(?:[ \u00a0]+(?:[A-Z][\w.\u2019'-]+|de|von|der|van|da|al|bin)){0,3})"
_SAID = r"(?:said|says|told|added|wrote|declared|announced|quipped|warned|insisted|stated|replied)"
_AFTER_QUOTE = [re.compile(r"^[\s,.\"\u201d\u2019]*[\u2014\u2013-]+\s*" + _NAME),
                re.compile(r"^[\s,.\"\u201d\u2019]*" + _SAID + r"\s+" + _NAME),
                re.compile(r"^[\s,.\"\u201d\u2019]*" + _NAME + r"\s+" + _SAID)]
_BEFORE_QUOTE = re.compile(_NAME + r"\s+" + _SAID + r"[^.\"\u201c]{0,40}[:,]?\s*[\"\u201c\u2018]?\s*$")
_PRONOUN = {"he", "she", "they", "it", "we", "i", "you", "the", "this", "that", "but", "and"}


def _fold(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _quote_speaker(text: str, start: int, end: int) -> Optional[str]:
    """Who the text says spoke the words at text[start:end]: "...” — Carme Artigas", "... , Liu said",
    "Macron said: “...”"; None when it does not say (or only says "he")."""
    after = text[end:end + 80]
    for pattern in _AFTER_QUOTE:
        found = pattern.match(after)
        if found and found.group("name").split()[0].lower() not in _PRONOUN:
            return found.group("name").rstrip(".,")
    found = _BEFORE_QUOTE.search(text[max(0, start - 120):start])
    if found and found.group("name").split()[0].lower() not in _PRONOUN:
        return found.group("name").rstrip(".,")
    return None


def _quote_checks(claim: ClaimAnalysis, source_text: str, passage: Passage) -> tuple[list[str], list[str]]:
    """Matches and conflicts about who said the claim's quoted words, where this passage quotes them."""
    people = [e.text for e in claim.entities if e.label == "PERSON"]
    claimed = claim.speaker or (people[0] if people else None)
    claimed = next((name for name in people if claimed and claimed in name), claimed)
    matches, conflicts = [], []
    if not claimed:
        return matches, conflicts
    folded_source = None
    for quote in _QUOTED.finditer(claim.text):
        words = _fold(quote.group("q"))
        if len(words) < 8:
            continue
        window = source_text[max(0, passage.start - 300):passage.end + 300]
        if words not in _fold(window):
            continue
        folded_source = folded_source or source_text.lower()
        # Locate the words in the source (the first word of the quote, then its end), to read the attribution.
        first = quote.group("q").strip().split()[0].lower()
        position = folded_source.find(first, max(0, passage.start - 300))
        last = quote.group("q").strip().split()[-1].lower().strip(".,!?")
        end = folded_source.find(last, position) + len(last) if position >= 0 else -1
        if position < 0 or end < len(last):
            continue
        speaker = _quote_speaker(source_text, position, end + 2)
        if not speaker:
            continue
        said = {t for t in _fold(speaker).split() if len(t) > 2}
        claims = {t for t in _fold(claimed).split() if len(t) > 2}
        if said & claims:
            matches.append(f"the words are {speaker}\u2019s")
        else:
            conflicts.append(f"the source attributes \u201c{quote.group('q').strip()}\u201d to {speaker}; "
                             f"the claim to {claimed}")
    return matches, conflicts


_COPULA = re.compile(r"\s+(?:was|is|were|are|became|becomes|served as|serves as|acted as|acts as|as)\s+"
                     r"(?P<phrase>[^.;:!?]{3,80})")


_PERSON_NAME = r"[A-Z][\w\u2019'-]+(?:[ \u00a0]+(?:[A-Z][\w\u2019'-]+|de|von|der|van|da)){1,3}"
_NAME_LIST = re.compile(r"[ \u00a0:]+(?P<names>" + _PERSON_NAME + r"(?:\s*(?:,|\band\b|&)\s*(?:and\s+)?" + _PERSON_NAME + r")*)")


def _role_holders(passage: Passage, role: str) -> Optional[list[str]]:
    """The names a sentence lists right after a role word ("Rapporteurs Dragos Tudorache and Brando Benifei
    with ..."), or None when it lists none there."""
    for word in _TOKEN.finditer(passage.text):
        if stem(word.group(0)) != role:
            continue
        listed = _NAME_LIST.match(passage.text, word.end())
        if not listed:
            continue
        names = [n.strip() for n in re.split(r"\s*(?:,|\band\b|&)\s*", listed.group("names")) if n.strip()]
        people = [e.text for e in passage.entities if e.label == "PERSON"]
        if any(name in person or person in name for name in names for person in people):
            return names
    return None


def _role_conflicts(claim: ClaimAnalysis, passage: Passage) -> list[str]:
    """"X was one of the rapporteurs" against a sentence naming the rapporteurs, X not among them."""
    conflicts = []
    for person in (e for e in claim.entities if e.label == "PERSON"):
        said = _COPULA.match(claim.text, person.end)
        if not said:
            continue
        # Role words are common nouns: lower-case in the claim ("rapporteurs", not "Parliament").
        nouns = " ".join(w for w in _TOKEN.findall(said.group("phrase")) if w.islower() and len(w) > 2)
        for role in term_list(nouns):
            holders = _role_holders(passage, role)
            if holders and not any(set(h.lower().split()) & set(person.key.split()) for h in holders):
                names = " and ".join(holders)
                word = _word_from(said.group("phrase"), role)
                conflicts.append(f"the source names {names} as {word}, not {person.text}")
                break
    return conflicts


def _reach(text: str, prefix: str, objects: set[str]) -> int:
    """How far (in characters) the claim's other words start after a word beginning with `prefix`: the
    nearer verb is the one that governs them. A large number when none follows within 70 characters."""
    best = 10_000
    for word in _TOKEN.finditer(text):
        if not stem(word.group(0)).startswith(prefix):
            continue
        for following in _TOKEN.finditer(text, word.end(), word.end() + 70):
            if stem(following.group(0)) in objects:
                best = min(best, following.start() - word.end())
                break
    return best


def _antonym(claim_terms: set[str], passage_terms: set[str], passage_text: str = "") -> Optional[tuple[str, str]]:
    """A pair of opposite words, the claim using one and the sentence the other for the same things
    ("applies to military systems" / "exempting systems used ... for military purposes")."""
    for a, b in ANTONYMS:
        for x, y in ((a, b), (b, a)):
            if not any(t.startswith(x) for t in claim_terms) or not any(t.startswith(y) for t in passage_terms) \
                    or any(t.startswith(y) for t in claim_terms):
                continue
            if not any(t.startswith(x) for t in passage_terms):
                return x, y
            # Both words in the sentence: the opposite one must be the one that governs the claim's words.
            objects = {t for t in claim_terms if not t.startswith(x)}
            if passage_text and _reach(passage_text, y, objects) < _reach(passage_text, x, objects):
                return x, y
    return None


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
        found = _entity_match(entity, passage, text_lower)
        if found:
            matched_entities += 1
            matches.append(found.text)
            mark(found, "entity", "match")
        elif _mostly_named(entity, passage_terms):
            matched_entities += 1
        elif entity.label in ("PERSON", "ORG") and any(e.label == entity.label for e in passage.entities):
            missing.append(entity)  # the sentence is about someone else, whoever the paragraph names
        elif not _in_text(entity, context.lower()) and not _mostly_named(entity, nearby_terms) and \
                not (entity.label != "PERSON" and _in_text(entity, source_lower)):
            missing.append(entity)
    claim_keys = {e.key for e in claim.entities}
    claim_key_tokens = {t for k in claim_keys for t in k.split()}

    def rivals_of(label: str) -> list[Entity]:
        return [e for e in passage.entities if e.label == label and e.key not in claim_keys
                and not set(e.key.split()) & claim_key_tokens]

    about_same = event_cover >= 0.5 and coverage >= 0.5  # the sentence reports the claim's kind of event
    # A place the claim puts the event in that this source never names: another event, or a place conflict.
    elsewhere = any(e.label == "PLACE" and _locative(claim.text, e) for e in missing)
    future = bool(_FUTURE.search(passage.text))

    # Dates: agree when the ranges overlap ("May 2024" covers "14 May 2024"); conflict only when the other
    # date stands next to the words the claim's date goes with ("held ... on 21 May" / "talks ... on Tuesday").
    claim_dates = _checkable_dates(claim.dates)
    passage_dates = _checkable_dates(passage.dates)
    date_match = False
    published = (source.published_at or "")[:10]
    forecast = future and not published  # announced, not reported (when the date says so, see below)
    for cd in claim_dates:
        agreeing = [pd for pd in passage_dates if _dates_overlap(cd, pd)]
        if agreeing:
            date_match = True
            pd = agreeing[0]
            matches.append(f"{human_date(pd)} (\u201c{pd.text}\u201d)" if pd.relative else human_date(pd))
            mark(pd, "date", "match")
            forecast = forecast or bool(published and pd.range_start > published)
            continue
        if not about_same or elsewhere:
            continue
        anchor_terms = (_date_context(claim.text, cd) - topic) & passage_terms
        rival = next((pd for pd in passage_dates if _near(passage.text, pd.start, pd.end, anchor_terms)), None)
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
            anchor_terms = (_date_context(claim.text, cd) - topic) & passage_terms
            rival = next((pd for pd in passage_dates if pd.granularity == "day"
                          and _near(passage.text, pd.start, pd.end, anchor_terms)), None)
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
    claimed = [pn for pn in passage.numbers
               if any(_numbers_agree(cn, pn, _hedged(claim.text, cn)) for cn in quantities)]
    for cn in quantities:
        label = _number_label(claim.text, cn)
        hedged = _hedged(claim.text, cn)
        agreeing = [pn for pn in passage.numbers if _numbers_agree(cn, pn, hedged or _hedged(passage.text, pn))]
        same_label = [pn for pn in passage.numbers if label and label & _number_label(passage.text, pn)]
        if agreeing and (not same_label or any(pn in agreeing for pn in same_label)):
            matched_numbers += 1
            matches.append(agreeing[0].text)
            mark(agreeing[0], "number", "match")
            continue
        rivals = [pn for pn in same_label if pn not in agreeing] if agreeing else []
        if not rivals and _reports_same(event_terms, passage_terms):
            rivals = [pn for pn in passage.numbers
                      if (_comparable_numbers(cn, pn) or pn in same_label) and pn not in claimed]
        if rivals:
            pn = rivals[0]
            counted = f" {cn.unit}" if cn.unit and cn.unit.lower() not in cn.text.lower() else ""
            conflicts.append(f"the source gives {pn.text}{_tail(passage.text, pn)}; the claim says "
                             f"{cn.text}{counted}")
            mark(pn, "number", "conflict")
    number_match = bool(quantities) and matched_numbers == len(quantities)
    identifiers = _IDENTIFIER.findall(claim.text)
    identifiers_matched = all(i in passage.text for i in identifiers)
    for ident in identifiers:
        others = [i for i in _IDENTIFIER.findall(passage.text) if i != ident and i.split("/")[0] == ident.split("/")[0]]
        if ident in passage.text:
            matches.append(ident)
        elif others and coverage >= 0.5:
            conflicts.append(f"the source gives {others[0]}; the claim says {ident}")

    # Roles: the claim gives someone a role that the sentence gives to other people.
    conflicts += _role_conflicts(claim, passage)

    # Quotations: who said the claim's quoted words.
    quote_matches, quote_conflicts = _quote_checks(claim, source.text, passage)
    matches += quote_matches
    conflicts += quote_conflicts

    # Places and people the claim names that the passage replaces with others.
    for entity in missing:
        if entity.label == "PLACE" and about_same and _locative(claim.text, entity):
            rivals = [r for r in rivals_of("PLACE") + rivals_of("ORG") + rivals_of("OTHER")
                      if _locative(passage.text, r) and _places_differ(r.key, entity.key)]
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
        passage_neg = _negated_terms(passage.text, shared)
        claim_neg = _negated_terms(claim.text, shared)
        opposite = _antonym(claim_terms, passage_terms, passage.text)
        beaten = _beaten(claim, claim_terms, passage)
        if beaten:
            conflicts.append(f"the source says \u201c{beaten}\u201d where the claim says {claim.entities[0].text} won")
        elif bool(passage_neg) != bool(claim_neg):
            side = "the source" if passage_neg else "the claim"
            conflicts.append(f"{side} negates it (\u201c{passage_neg or claim_neg}\u201d) where the other affirms it")
        elif opposite and not passage_neg:
            conflicts.append(f"the source says \u201c{_word_from(passage.text, opposite[1])}\u201d where the claim "
                             f"says \u201c{_word_from(claim.text, opposite[0])}\u201d")

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
        reason = "; ".join(parts) or "on a related topic"
    score = round(min(1.0, relevance), 3)
    return Judgement(hit, stance, score, reason, coverage, conflicts, matches, highlights,
                     forecast=stance == "supports" and forecast)


def _tail(text: str, number: Number) -> str:
    """The word or two a number counts, for a reason ("46" -> "46 against")."""
    if number.unit and number.unit.lower() in number.text.lower():
        return ""
    words = re.split(r"[,;:()]|\band\b", text[number.end:number.end + 30], maxsplit=1)[0].split()[:2]
    return (" " + " ".join(words)) if words else ""


def _word_from(text: str, stem_prefix: str) -> str:
    for match in _TOKEN.finditer(text):
        if match.group(0).lower().startswith(stem_prefix):
            return match.group(0)
    return stem_prefix


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
    dates = _checkable_dates(analysis.dates)
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
