"""Small text helpers shared by the checker and the timeline: content words and dates in plain words."""
from __future__ import annotations

import re
from functools import lru_cache
from datetime import date
from typing import Iterable

from .models import DateMention

STOPWORDS = frozenset("""a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my myself
now of off on once only or other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up very was we were what when
where which while who whom why will with would you your yours yourself yourselves said says say told according
its it's one two ai around nearly almost approximately roughly than less fewer least date dated dates""".split())

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?", re.UNICODE)
_NEGATIONS = frozenset("not no never neither nor none without".split())


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer  # uses PyStemmer's C implementation when it is installed

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball (Porter2) English stem, so "approved", "approves" and "approval" match."""
    word = word.lower().replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return _stemmer().stemWord(WORD_SYNONYMS.get(word, word))


# Words whose stem would collide with an unrelated word ("publication" -> "public").
WORD_SYNONYMS = {"publication": "published", "met": "meet", "led": "lead", "struck": "strike",
                 # British and American spellings of the same word
                 "defence": "defense", "offence": "offense", "licence": "license", "programme": "program",
                 "programmes": "programs", "favour": "favor", "favoured": "favored", "labour": "labor",
                 "centre": "center", "centres": "centers", "organisation": "organization",
                 "organisations": "organizations", "organised": "organized", "recognised": "recognized",
                 "criticised": "criticized", "analyse": "analyze", "analysed": "analyzed",
                 "authorised": "authorized", "realised": "realized", "emphasised": "emphasized",
                 "prioritise": "prioritize", "harmonise": "harmonize", "harmonised": "harmonized"}

# Words news writers use for the same event, mapped to one stem ("adopted" and "approved", "clinched" and
# "reached"), so that a paraphrase still counts as the same event. Keys and values are Snowball stems.
SYNONYMS = {
    "adopt": "approv", "endors": "approv", "ratifi": "approv", "pass": "approv", "endorse": "approv",
    "appear": "publish",
    "clinch": "reach", "strike": "reach", "seal": "reach",
    "agreement": "deal", "agre": "deal", "accord": "deal",
    "prohibit": "ban", "outlaw": "ban", "forbid": "ban", "forbidden": "ban",
    "penalti": "fine",
    "co-host": "host", "cohost": "host", "chair": "host", "co-chair": "host",
    "signatori": "sign",
    "declin": "refus", "reject": "refus",
    "held": "hold", "talk": "meet", "meeting": "meet",
    "head": "lead",
    "effect": "forc", "enforc": "forc",
    "abstent": "abstain",
}


# Multi-word expressions read as one event word before stemming ("signed off" means "approved").
PHRASES = [(re.compile(p, re.I), word) for p, word in (
    (r"\bsign(?:s|ed|ing)? off\b", "approved"),
    (r"\bvot(?:es|ed)\b(?=(?: [\w-]+){0,4}? through\b)", "adopt"),
    (r"\bgreen[- ]light\b", "approved"),
    (r"\b(?:enter|entered|enters|entering|come|came|comes|coming) into (?:force|effect)\b", "force"),
    (r"\b(?:take|took|takes|taking) effect\b", "force"),
    (r"\b(?:take|took|takes|taking) place\b", "held"),
)]


def _same_length(replacement: str):
    # Keep offsets: pad the replacement to the length of the phrase it replaces.
    return lambda m: (replacement + " " * len(m.group(0)))[: len(m.group(0))] \
        if len(m.group(0)) >= len(replacement) else m.group(0)


# Irregular past forms read as their verb when the checker compares words ("won" / "win", "fell" / "fall").
# Only for comparing: the indexed terms (index_terms) keep the stems as they were, so stores need no re-index.
IRREGULAR = {
    "won": "win", "lost": "lose", "fought": "fight", "began": "begin", "begun": "begin", "took": "take",
    "taken": "take", "gave": "give", "given": "give", "made": "make", "sold": "sell", "bought": "buy",
    "rose": "rise", "risen": "rise", "fell": "fall", "fallen": "fall", "paid": "pay", "chose": "choose",
    "chosen": "choose", "grew": "grow", "grown": "grow", "left": "leave", "sent": "send", "spent": "spend",
    "brought": "bring", "built": "build", "caught": "catch", "came": "come", "went": "go", "gone": "go",
    "saw": "see", "seen": "see", "found": "find", "kept": "keep", "knew": "know", "known": "know", "ran": "run",
    "sank": "sink", "sunk": "sink", "stood": "stand", "wrote": "write", "written": "write", "broke": "break",
    "broken": "break", "flew": "fly", "flown": "fly", "shot": "shoot", "sought": "seek", "spoke": "speak",
    "spoken": "speak", "stole": "steal", "stolen": "steal", "taught": "teach", "drove": "drive",
    "driven": "drive", "threw": "throw", "thrown": "throw", "hung": "hang", "laid": "lay", "overcame": "overcome",
    "beat": "beat", "beaten": "beat", "struck": "strike", "hit": "hit", "fled": "flee", "froze": "freeze",
    "swore": "swear", "sworn": "swear", "forbade": "forbid", "withdrew": "withdraw", "withdrawn": "withdraw",
}


def term_list(text: str, exclude: Iterable[tuple[int, int]] = (), keep_numbers: bool = False,
              lemmas: bool = False) -> list[str]:
    """Stemmed content words of a text in order, leaving out stop words, negations and the excluded spans;
    `lemmas` also reads irregular past forms as their verb (for comparing, not for indexing)."""
    spans = list(exclude)
    for pattern, word in PHRASES:
        text = pattern.sub(_same_length(word), text)
    terms = []
    for match in _WORD.finditer(text):
        if spans and any(s <= match.start() < e for s, e in spans):
            continue
        word = match.group(0).lower()
        if word in STOPWORDS or word in _NEGATIONS or (word.isdigit() and not keep_numbers):
            continue
        stemmed = stem(IRREGULAR.get(word, word) if lemmas else word)
        terms.append(SYNONYMS.get(stemmed, stemmed))
    return terms


def content_terms(text: str, exclude: Iterable[tuple[int, int]] = ()) -> set[str]:
    """Stemmed content words of a text, leaving out stop words, negations and the excluded spans."""
    spans = tuple(exclude)
    return set(term_list(text, spans, lemmas=True)) if spans else set(_whole_text_terms(text))


@lru_cache(maxsize=8192)
def _whole_text_terms(text: str) -> frozenset:
    # A check reads each candidate sentence several times (topic words, judging, context): compute once.
    return frozenset(term_list(text, lemmas=True))


def index_terms(text: str) -> str:
    """What both stores index and query for full-text retrieval: the stemmed content words (numbers kept),
    separated by spaces, so that SQLite and Elasticsearch match the same words the same way."""
    return " ".join(term_list(text, keep_numbers=True))


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def human_date(mention: DateMention) -> str:
    """A date as a person writes it: "14 May 2024", "May 2024", "Q2 2024", "2024", "the 2020s"."""
    value, granularity = mention.value or "", mention.granularity
    try:
        if granularity == "day" and mention.range_start and mention.range_end and \
                mention.range_start != mention.range_end:
            first, last = date.fromisoformat(mention.range_start), date.fromisoformat(mention.range_end)
            return f"{first.day}\u2013{last.day} {MONTHS[last.month - 1]} {last.year}" if \
                (first.year, first.month) == (last.year, last.month) else f"{mention.range_start} to {mention.range_end}"
        if granularity == "day":
            day = date.fromisoformat(value[:10])
            return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
        if granularity == "month":
            return f"{MONTHS[int(value[5:7]) - 1]} {value[:4]}"
        if granularity == "quarter":
            return f"{value[5:]} {value[:4]}"
        if granularity == "week":
            return f"the week of {mention.range_start}"
        if granularity == "decade":
            return f"the {value[:3]}0s"
    except (ValueError, IndexError):
        pass
    return value or mention.text
