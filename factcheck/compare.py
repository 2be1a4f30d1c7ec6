"""Comparison primitives for the checker: do two dates, numbers, places, people, quotations, roles or opposite
words agree or conflict? Pure functions over the extracted records; check.judge combines them."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from math import floor, log10
from typing import Optional

from .extract import NEGATION, ClaimAnalysis
from .extract.places import place_kind, places_exclude
from .models import DateMention, Entity, Number, Passage
from .textutil import content_terms, stem, term_list


ANTONYMS = [("appli", "exempt"), ("approv", "refus"), ("accept", "refus"), ("win", "lose"), ("won", "lost"),
            ("increas", "decreas"), ("rise", "fall"), ("rose", "fell"), ("allow", "ban"), ("permit", "ban"),
            ("legal", "illeg"), ("includ", "exclud"), ("support", "oppos"), ("join", "leav"), ("confirm", "deni"),
            ("approv", "fail"), ("guilti", "innoc"), ("public", "privat"), ("entir", "part"),
            ("resign", "appoint"), ("attend", "absent")]
IDENTIFIER = re.compile(r"\b\d{2,4}/\d{1,5}\b")
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_LABEL_STOP = frozenset("a an the of in on at to for by with from was were is are be been has have had it its".split())


def entity_match(entity: Entity, passage: Passage, passage_text_lower: str) -> Optional[Entity]:
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


def named_in(entity: Entity, text_lower: str) -> bool:
    """The entity is named somewhere in a text (by its key, its surface form, or its last name)."""
    names = {entity.key, entity.text.lower()}
    if entity.label == "PERSON" and len(entity.key.split()) > 1:
        names.add(entity.key.split()[-1])
    return any(re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text_lower) for n in names if n)


_LOCATIVE = re.compile(r"\b(in|at|near|outside|inside|from|to|venue|host city of)\s+(the\s+)?$", re.I)


def places_differ(a: str, b: str) -> bool:
    """Two places that cannot both be where one event happened; two named venues unknown to the gazetteer
    ("the Grand Palais", "the Elysee Palace") differ when they share no word."""
    if places_exclude(a, b):
        return True
    kind_a, kind_b = place_kind(a)[0], place_kind(b)[0]
    return kind_a is None and kind_b is None and not set(a.split()) & set(b.split())


def is_locative(text: str, entity: Entity) -> bool:
    """The place is where something happens ("held in Geneva", "at the Grand Palais"), not an actor."""
    return bool(_LOCATIVE.search(text[max(0, entity.start - 25):entity.start]))


def near(text: str, span_start: int, span_end: int, terms: set[str], chars: int = 60) -> bool:
    """One of the terms occurs within `chars` characters of the span."""
    window = text[max(0, span_start - chars):span_start] + " " + text[span_end:span_end + chars]
    return bool(content_terms(window) & terms)


FUTURE = re.compile(r"\b(will|would|shall|expected|expects?|scheduled|planned|plans?|set to|due to|likely|"
                     r"could|should|may|might|is to|are to|to be|have to|has to|aims? to|intends? to|"
                     r"upcoming|next)\b", re.I)


def reports_same(event_terms: set[str], passage_terms: set[str]) -> bool:
    """At least half of the claim's event words (beyond what a number counts) are in the sentence."""
    return bool(event_terms) and len(event_terms & passage_terms) >= 0.5 * len(event_terms)


def mostly_named(entity: Entity, terms: set[str]) -> bool:
    """Most words of a multi-word name appear ("AI Action Summit" for "the Paris AI Action Summit")."""
    words = content_terms(entity.text) | {t for t in entity.key.split() if len(t) > 2}
    words = {w for w in words if len(w) > 1}
    return len(words) >= 2 and len(words & terms) >= max(2, 0.6 * len(words))


def date_context(text: str, mention: DateMention) -> set[str]:
    """The words a date goes with in a sentence ("talks ... held in Geneva on 21 May 2024")."""
    return content_terms(text[max(0, mention.start - 45):mention.start] + " " + text[mention.end:mention.end + 25])


def dates_overlap(a: DateMention, b: DateMention) -> bool:
    return bool(a.range_start and b.range_start and a.range_start <= b.range_end and b.range_start <= a.range_end)


def checkable_dates(dates: list[DateMention]) -> list[DateMention]:
    return [d for d in dates if d.type in ("date", "time") and d.resolved and d.range_start]


_HEDGE = re.compile(r"\b(about|around|nearly|almost|approximately|roughly|some|over|more than|less than|"
                    r"fewer than|up to|at least|at most|close to|under|just over|just under|~)\s*$", re.I)


def _significant_digits(number: Number) -> int:
    """Digits a figure is written to: "1.8 billion" 2, "450,000" 2 (round thousands read as rounded), but a small
    plain count is exact: "20" is 2 digits, so 24 does not round to it."""
    return _digits_written(number.text, number.value)


@lru_cache(maxsize=4096)
def _digits_written(text: str, value: float) -> int:
    # (A check compares every figure of the claim with every figure of ~50 sentences: computed once per figure.)
    digits = re.sub(r"\D", "", text.split("e")[0]) or "0"
    digits = digits.lstrip("0") or "0"
    if "." not in text and abs(value) >= 1000:
        digits = digits.rstrip("0") or "0"
    return max(1, len(digits))


@lru_cache(maxsize=4096)
def _round_to(value: float, digits: int) -> float:
    """Half away from zero (Python's round() would take 25 to 20)."""
    if value == 0:
        return 0.0
    exponent = int(floor(log10(abs(value)))) - digits + 1
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP))


def numbers_agree(a: Number, b: Number, hedged: bool = False) -> bool:
    """Same quantity: equal, equal once the more precise one is rounded as the other is written
    ("1.8 billion" and "1.84 billion"), or within 10% when one side hedges ("about 36 hours")."""
    if a.value == b.value:
        return True
    if hedged:
        return abs(a.value - b.value) <= 0.1 * max(abs(a.value), abs(b.value))
    return _round_to(b.value, _significant_digits(a)) == a.value or \
        _round_to(a.value, _significant_digits(b)) == b.value


def is_hedged(text: str, number: Number) -> bool:
    return _hedged_before(text[max(0, number.start - 20):number.start])


@lru_cache(maxsize=4096)
def _hedged_before(before: str) -> bool:
    return bool(_HEDGE.search(before))


# A figure given as a bound: "more than 400", "passed 200", "topped 8,000" (at least), "fewer than 100",
# "less than $2 billion" (at most); "nearly 1,000", "a little under 950", "just over 8,000" are bounds close to it.
_NEAR_UPPER = re.compile(r"\b(nearly|almost|a little under|just under|just below|shy of|close to)\s*$", re.I)
_NEAR_LOWER = re.compile(r"\b(just over|just above|a little over|a little more than|slightly more than)\s*$", re.I)
_LOWER = re.compile(r"\b(more than|over|above|upwards of|in excess of|at least|exceed(?:ed|s|ing)?|pass(?:ed|es|ing)?|"
                    r"top(?:ped|s|ping)?|surpass(?:ed|es|ing)?|beyond|north of|greater than|higher than)\s*$", re.I)
_UPPER = re.compile(r"\b(fewer than|less than|under|below|at most|up to|no more than|not more than|short of|"
                    r"lower than)\s*$", re.I)


def number_bound(text: str, number: Number) -> Optional[str]:
    """How the text gives a figure: ">" at least, "<" at most, ">~" / "<~" just over / just under, None exactly."""
    return _bound_before(text[max(0, number.start - 25):number.start])


@lru_cache(maxsize=4096)
def _bound_before(before: str) -> Optional[str]:
    for pattern, bound in ((_NEAR_UPPER, "<~"), (_NEAR_LOWER, ">~"), (_UPPER, "<"), (_LOWER, ">")):
        if pattern.search(before):
            return bound
    return None


def within_bound(claimed: Number, bound: str, other: Number) -> bool:
    """The other figure satisfies the claim's bound: "more than 400" holds for 412, "fewer than 100" for 5;
    "nearly 1,000" for 950 but not for 600 (a near bound keeps within 20% of the figure)."""
    value, limit = other.value, claimed.value
    if bound == ">":
        return value > limit
    if bound == "<":
        return value < limit
    if bound == ">~":
        return limit < value <= limit * 1.2
    return limit * 0.8 <= value < limit


def comparable_numbers(a: Number, b: Number) -> bool:
    """Two numbers measure the same kind of thing (same currency, both percentages, same unit noun)."""
    if a.kind in ("money", "percent") or b.kind in ("money", "percent"):
        return a.kind == b.kind and (a.unit == b.unit or not a.unit or not b.unit)
    if a.kind == "ordinal" or b.kind == "ordinal":
        return False
    return bool(a.unit and b.unit and _unit_root(a.unit) == _unit_root(b.unit))


def same_measure(a: Number, b: Number) -> bool:
    """Could two figures measure the same thing: `comparable_numbers`, or both plain counts (no unit, not money,
    a percentage or an ordinal)."""
    if comparable_numbers(a, b):
        return True
    plain = lambda n: not n.unit and n.kind not in ("money", "percent", "ordinal")  # noqa: E731
    return plain(a) and plain(b)


def _unit_root(unit: str) -> str:
    unit = unit.lower()
    return unit[:-1] if unit.endswith("s") and len(unit) > 3 else unit


def number_label(text: str, number: Number) -> set[str]:
    """What a number counts, read from the words right after it up to the next number or clause break
    ("46 against" -> {against}; "49 MEPs voted against" -> {mep, vot, against})."""
    return set(_label_after(text[number.end:number.end + 40], number.unit))


@lru_cache(maxsize=4096)
def _label_after(after: str, unit: Optional[str]) -> frozenset:
    tail = re.split(r"[,;:()]|\band\b|\bor\b|\d", after, maxsplit=1)[0]
    words = [w.lower() for w in _TOKEN.findall(tail) if w.lower() not in _LABEL_STOP][:2]
    if unit:
        words.append(unit.lower())
    return frozenset(stem(w) for w in words)


def negation_of(text: str, shared: set[str]) -> Optional[str]:
    """The negation cue that governs one of the shared words ("declined to sign", "did not approve")."""
    for cue in NEGATION.finditer(text):
        window = content_terms(text[cue.end():cue.end() + 40])
        if window & shared:
            return cue.group(0)
    return None


# "X defeated Y" means Y did not win: a claim that Y won is contradicted when Y comes after such a verb.
BEATEN = re.compile(r"\b(defeat(?:s|ed|ing)?|beat(?:s|en|ing)?|outbid(?:s|ding)?|overc(?:ame|omes?))\b", re.I)


def beaten_by(claim: ClaimAnalysis, claim_terms: set[str], passage: Passage) -> Optional[str]:
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


def quote_checks(claim: ClaimAnalysis, source_text: str, start: int, end: int) -> tuple[list[str], list[str]]:
    """Matches and conflicts about who said the claim's quoted words, where the passage at source_text[start:end]
    quotes them (source_text may be a window of the source around the passage)."""
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
        window = source_text[max(0, start - 300):end + 300]
        if words not in _fold(window):
            continue
        folded_source = folded_source or source_text.lower()
        # Locate the words in the source (the first word of the quote, then its end), to read the attribution.
        first = quote.group("q").strip().split()[0].lower()
        position = folded_source.find(first, max(0, start - 300))
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


_BE = r"(?:is|was|are|were)"


def _stated_holders(passage: Passage, word: str, label: str) -> Optional[list[str]]:
    """Names of the given label that a sentence states hold a role written as a hyphenated word ("co-host"):
    "the summit's co-host nation is India", "a summit co-hosted by India", "India is the co-host of the event"."""
    names = [e for e in passage.entities if e.label == label]
    if not names:
        return None
    role = re.escape(word).replace(r"\-", "-?")
    found = []
    for e in names:
        name = re.escape(e.text)
        patterns = (rf"\b{role}\w*(?:\s+\w+)?\s+{_BE}\s+(?:the\s+)?{name}",
                    rf"\b{role}\w*\s+by\s+(?:the\s+)?{name}",
                    rf"{name}\s+{_BE}\s+(?:the|a|an|one of the)\s+{role}")
        if any(re.search(p, passage.text, re.IGNORECASE) for p in patterns):
            found.append(e.text)
    return found or None


def role_conflicts(claim: ClaimAnalysis, passage: Passage) -> list[str]:
    """"X was one of the rapporteurs" against a sentence naming the rapporteurs, X not among them; likewise a
    country or organisation given a hyphenated role ("China was one of the co-hosts") that the sentence states
    someone else holds ("co-hosted by India")."""
    conflicts = []
    for actor in (e for e in claim.entities if e.label in ("PLACE", "ORG")):
        said = _COPULA.match(claim.text, actor.end)
        if not said:
            continue
        hyphenated = re.search(r"\b[a-z]+-[a-z]+", said.group("phrase"))
        if not hyphenated:
            continue
        word = re.sub(r"s$", "", hyphenated.group(0))
        holders = _stated_holders(passage, word, actor.label)
        if holders and not any(set(h.lower().split()) & set(actor.key.split()) for h in holders):
            role = word if len(holders) == 1 else hyphenated.group(0)
            conflicts.append(f"the source names {' and '.join(holders)} as {role}, not {actor.text}")
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
                word = word_from(said.group("phrase"), role)
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


_ANTONYM_WORDS = frozenset(word for pair in ANTONYMS for word in pair)
_ANTONYM_LENGTHS = sorted({len(word) for word in _ANTONYM_WORDS})


def _antonym_prefixes(terms) -> set[str]:
    """The words of ANTONYMS that some term starts with (a set lookup per term and length, not a scan per pair)."""
    return {t[:n] for t in terms for n in _ANTONYM_LENGTHS if t[:n] in _ANTONYM_WORDS}


def opposite_words(claim_terms: set[str], passage_terms: set[str], passage_text: str = "") -> Optional[tuple[str, str]]:
    """A pair of opposite words, the claim using one and the sentence the other for the same things
    ("applies to military systems" / "exempting systems used ... for military purposes")."""
    in_claim, in_passage = _antonym_prefixes(claim_terms), _antonym_prefixes(passage_terms)
    for a, b in ANTONYMS:
        for x, y in ((a, b), (b, a)):
            if x not in in_claim or y not in in_passage or y in in_claim:
                continue
            if x not in in_passage:
                return x, y
            # Both words in the sentence: the opposite one must be the one that governs the claim's words.
            objects = {t for t in claim_terms if not t.startswith(x)}
            if passage_text and _reach(passage_text, y, objects) < _reach(passage_text, x, objects):
                return x, y
    return None


def number_tail(text: str, number: Number) -> str:
    """The word or two a number counts, for a reason ("46" -> "46 against")."""
    if number.unit and number.unit.lower() in number.text.lower():
        return ""
    words = re.split(r"[,;:()]|\band\b", text[number.end:number.end + 30], maxsplit=1)[0].split()[:2]
    return (" " + " ".join(words)) if words else ""


def word_from(text: str, stem_prefix: str) -> str:
    for match in _TOKEN.finditer(text):
        if match.group(0).lower().startswith(stem_prefix):
            return match.group(0)
    return stem_prefix


_RANGE_JOIN = re.compile(r"\s*(?:-|\u2013|\u2014|to|(?P<and>and))\s*$")


def ranges(text: str, numbers: list[Number]) -> list[tuple[Number, Number]]:
    """Pairs of numbers that write a range ("30\u201395 years", "between 30 and 130 cm", "3 to 4 times")."""
    pairs = []
    for first, second in zip(numbers, numbers[1:]):
        join = _RANGE_JOIN.match(text[first.end:second.start] + " ")
        if not join or first.value >= second.value or second.start - first.end > 6:
            continue
        if join.group("and") and not text[max(0, first.start - 9):first.start].lower().endswith("between "):
            continue  # "3 and 4" is a list; "between 3 and 4" a range
        pairs.append((first, second))
    return pairs
