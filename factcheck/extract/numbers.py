"""Quantities in text: money, percentages, counts (with the noun they count), ordinals, powers of ten.

Rule-based (regular expressions), no model. Numbers that are parts of dates, years, times and identifiers
("14 May 2024", "2024", "08:21", "2024/1689", "G7", "COVID-19", "Article 5") are not returned: dates are
handled elsewhere and identifiers are not quantities.

Span (text/start/end) covers the quantity itself: currency symbol or word, scale word ("million", "bn") and
percent sign/word; the counted noun ("27 countries") is reported as `unit` but is not part of the span.
"""
from __future__ import annotations

import re
from typing import Optional

from factcheck.models import Number

# ------------------------------------------------------------------------------------------------ vocabulary

UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
            "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
            "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
            "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
            "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100, "thousandth": 1000,
            "millionth": 1e6}
SCALE_ABBR = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9,
              "bln": 1e9, "billion": 1e9, "tn": 1e12, "trillion": 1e12, "hundred": 100}
CURRENCY_PREFIX = {"$": "USD", "us$": "USD", "c$": "CAD", "a$": "AUD", "hk$": "HKD", "nz$": "NZD", "r$": "BRL",
                   "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB", "₩": "KRW", "usd": "USD",
                   "eur": "EUR", "gbp": "GBP", "jpy": "JPY", "cny": "CNY", "rmb": "CNY", "chf": "CHF",
                   "inr": "INR"}
CURRENCY_WORD = {"dollar": "USD", "dollars": "USD", "us dollars": "USD", "u.s. dollars": "USD",
                 "american dollars": "USD", "canadian dollars": "CAD", "australian dollars": "AUD",
                 "hong kong dollars": "HKD", "euro": "EUR", "euros": "EUR", "pounds sterling": "GBP",
                 "sterling": "GBP", "yuan": "CNY", "renminbi": "CNY", "yen": "JPY", "rupees": "INR",
                 "rupee": "INR", "roubles": "RUB", "rubles": "RUB", "swiss francs": "CHF", "francs": "CHF",
                 "usd": "USD", "eur": "EUR", "gbp": "GBP", "cny": "CNY", "jpy": "JPY", "chf": "CHF", "inr": "INR",
                 "rmb": "CNY"}
MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
          "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
STOPWORDS = set("""a an the of and or but nor to in on at by for from with without than as is are was were be been
being has have had do does did that this these those which who whom whose it its it's per more less fewer about
over under since after before during between among into onto out up down off again further then once here there
when where why how all any both each few most other some such no not only own same so too very can will just
should would could may might must shall also if while until till because through above below percent per cent
against via whereas i you he she we they me him her us them my your his our their what ago earlier later
respectively apiece each""".split())
PRONOUN_ONE_BEFORE = {"the", "no", "any", "every", "this", "that", "which", "each", "only", "someone", "anyone",
                      "little", "last", "next", "another", "such", "loved", "chosen", "right", "wrong", "big"}
PRONOUN_ONE_AFTER = {"of", "another", "who", "that", "which", "must", "should", "can", "could", "would", "will",
                     "might", "may", "needs", "has", "is", "was", "does", "did", "day", "thing", "way", "side",
                     "hand", "another's", "else"}
# Nouns after a 4-digit number in 1800..2100 that make it a count, not a year ("2000 people").
COUNT_NOUNS = set("""people persons troops soldiers jobs workers employees deaths dead cases votes members units
homes houses children students tonnes tons km kilometres kilometers miles metres meters hectares acres residents
patients refugees migrants civilians vehicles cars companies firms households families protesters delegates
participants signatures applications doctors nurses teachers officers police staff users customers flights
barrels megawatts mw euros dollars pounds yuan points seats""".split())
APPROX = {"about", "around", "some", "nearly", "almost", "approximately", "roughly", "over", "than", "least",
          "only", "just", "another", "additional", "extra", "estimated"}

# ------------------------------------------------------------------------------------------------ patterns

_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,])|\d+)(?:\.\d+)?|\.\d+"
_SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_MAP = {c: str(i) for i, c in enumerate(_SUP)}
_CUR_PRE = r"(?:(?:US\s?\$|C\$|A\$|HK\$|NZ\$|R\$|\$|€|£|¥|₹|₽|₩)\s?|(?:USD|EUR|GBP|JPY|CNY|RMB|CHF|INR)\s?)"
_CUR_POST = (r"(?:(?:US|U\.S\.|American|Canadian|Australian|Hong Kong)\s+dollars|Swiss\s+francs|pounds\s+sterling|"
             r"dollars?|euros?|yuan|renminbi|yen|rupees?|roubles|rubles|francs|sterling|USD|EUR|GBP|CNY|JPY|CHF|"
             r"INR|RMB)\b")
_PCT = r"(?:%|\s?(?:percent|per\s+cent|pct)\b|\s(?:percentage\s+points?)\b)"
_SCALE_ATT = r"(?:bn|mn|mln|bln|tn|[mMkKbB])\b"
_SCALE_SP = r"\s+(?:(?i:trillion|billion|million|thousand|hundred)|bn|mn|tn)\b"  # "€109 Billion" in headlines

NUMERIC_RE = re.compile(
    rf"(?P<cur>{_CUR_PRE})?"
    rf"(?:(?P<pow>10\s?\^\s?(?P<exp>[-−]?\d+)|10(?P<sup>⁻?[{_SUP}]+))|(?P<num>{_NUM}))"
    rf"(?:(?P<scale_att>{_SCALE_ATT})|(?P<scale_sp>{_SCALE_SP}))?"
    rf"(?P<ord>st|nd|rd|th)?"
    rf"(?:(?P<pct>{_PCT})|\s?(?P<curw>{_CUR_POST}))?"
)
_WORDNUM = "|".join(sorted(list(UNITS) + list(TENS) + ["hundred", "thousand", "million", "billion", "trillion"],
                           key=len, reverse=True))
WORD_RE = re.compile(
    rf"\b(?P<a>[Aa]n?\s+(?=(?:dozen|hundred|thousand|million|billion|trillion)\b))?"
    rf"(?P<words>(?:{_WORDNUM}|dozen)(?:(?:\s+and\s+|\s+|-)(?:{_WORDNUM}|dozen))*)\b"
    rf"(?:(?P<pct>{_PCT})|\s(?P<curw>{_CUR_POST}))?",
    re.I,
)
_ORD_WORDS = "|".join(sorted(ORDINALS, key=len, reverse=True))
ORDINAL_RE = re.compile(rf"\b(?:(?P<tens>{'|'.join(TENS)})-)?(?P<ord>{_ORD_WORDS})\b", re.I)

BLOCK_RES = [
    re.compile(r"\b\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?\b"),  # 2024-05-14, 2024/05
    re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"),  # 14.05.2024, 05/14/24
    re.compile(r"\b\d{4}[-–/]\d{2}\b"),  # 2023-24
    re.compile(r"\d+(?:/\d+)+"),  # 2024/1689, 9/11, 24/7
    re.compile(r"\d+(?:\.\d+){2,}"),  # versions 3.8.18
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?(?:[ap]\.?m\.?)(?!\w))?"),  # 08:21, 8:21 pm
    re.compile(r"\b\d{1,2}(?:\.\d{2})?\s?(?:[ap]\.m\.|[ap]m\b)", re.I),  # 10 am, 10.30pm
    re.compile(r"\b\d{1,2}\s+o['’]clock\b", re.I),
    re.compile(r"\b[A-Za-z]+(?:-|\.)?\d+[A-Za-z0-9]*"),  # G7, COVID-19, F-35, A320, MH17, v2
    re.compile(r"\b\d+[A-Za-z]+\d+[A-Za-z0-9]*"),  # 3G4, 2x2
    re.compile(r"['’]\d{2}s?\b|\b\d{4}s\b|\b\d0s\b"),  # '90s, 1990s, 80s
    re.compile(r"\b(?:Article|Art\.|Articles|Section|Sec\.|No\.|Nos\.|Number|Chapter|Paragraph|Para\.|Resolution|"
               r"Rule|Phase|Level|Flight|Route|Room|Page|p\.|pp\.|Part|Annex|Amendment|Title|Highway|Interstate|"
               r"Channel|Platform|Gate|Item|Clause|Recital|Version|Vol\.|Volume|Episode|Season|Act|Grade|Class|"
               r"Category|Step|Stage|Figure|Fig\.|Table|Line|Ward|District|Zone|Unit|Block|Lot|Pier|Terminal|"
               r"Bus|Squad|Brigade|Division|Regiment|Corps|Battalion|Fleet|Army|Apollo|Windows|iPhone|Galaxy|Model|Boeing|"
               r"Airbus|Trent|Tu|Il|Su|MiG|Falcon|Soyuz|Mac OS|OS|iOS|Android|Xbox|PlayStation|Formula|Form|Vision)"
               r"\s+\d+[A-Za-z]?(?:\s*(?:,|and|or|to|-)\s*\d+[A-Za-z]?)*"),
    # day/month combinations: "14 May 2024", "May 14, 2024", "the 14th of May", "May 2024"
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})\b\.?(?:,?\s+\d{{4}})?"),
    re.compile(rf"\b(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?(?!\d)"),
    re.compile(rf"\b(?:{MONTHS})\.?,?\s+\d{{4}}\b"),
]


_WORD_AFTER_RE = re.compile(r"\s*(?:-\s*)?([A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*)")
_WORD_BEFORE_RE = re.compile(r"([A-Za-z'’]+)[\s\-]*$")


def _blocked_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for rx in BLOCK_RES:
        spans.extend((m.start(), m.end()) for m in rx.finditer(text))
    return spans


def _overlaps(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(a < e and s < b for a, b in spans)


def _word_before(text: str, pos: int) -> str:
    m = _WORD_BEFORE_RE.search(text[max(0, pos - 40):pos])
    return m.group(1).lower() if m else ""


def _next_word(text: str, pos: int) -> tuple[Optional[str], int]:
    """The word following `pos` (over spaces and one hyphen) and where it ends."""
    m = _WORD_AFTER_RE.match(text, pos)
    if not m:
        return None, pos
    return m.group(1), m.end(1)


def _unit_after(text: str, pos: int) -> Optional[str]:
    """The counted noun: the next word when alphabetic and not a stopword ("27 countries" -> "countries")."""
    if pos < len(text) and text[pos] in ".,;:!?)]}\"'”’/":
        return None
    word, end = _next_word(text, pos)
    if not word:
        return None
    low = word.lower()
    if low in STOPWORDS or low in SCALES or low in UNITS or low in TENS:
        return None
    if low.endswith("ly") and low not in ("family", "ally", "supply", "assembly", "rally", "fly"):
        return None  # adverbs: "3 only", "first publicly"
    if len(word) >= 2 and word.isupper():  # "27 EU countries" -> "countries"
        nxt, _ = _next_word(text, end)
        if nxt and nxt.islower() and nxt not in STOPWORDS:
            return nxt
    if word[0].isupper() and not any(c.isupper() for c in word[1:]) and low not in COUNT_NOUNS:
        return None  # "in 27 Member ..." is fine, but "said 27 Reuters" is not a unit; keep it simple
    return low.rstrip("'’")


def _ordinal_unit(text: str, pos: int) -> Optional[str]:
    """Like _unit_after, but "first introduced", "7th largest" have no unit."""
    unit = _unit_after(text, pos)
    if unit and (unit.endswith(("ed", "est")) and unit not in ("need", "speed", "seed", "interest", "test",
                                                             "request", "contest", "protest", "quest")):
        return None
    return unit


def _parse_num(s: str) -> float:
    s = re.sub(r"[,\s\u00a0\u202f]", "", s)
    return float(s)


def _words_value(words: list[str]) -> Optional[float]:
    total, current, seen = 0.0, 0.0, False
    for w in words:
        w = w.lower()
        if w == "and":
            continue
        if w in UNITS:
            current += UNITS[w]
        elif w in TENS:
            current += TENS[w]
        elif w == "dozen":
            current = (current or 1) * 12
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in SCALES:
            total += (current or 1) * SCALES[w]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def _pct_unit(pct: str) -> str:
    return "percentage points" if "point" in pct.lower() else "%"


def extract_numbers(text: str) -> list[Number]:
    """Quantities in `text`, in order, offsets relative to `text`."""
    if not text:
        return []
    blocked = _blocked_spans(text)
    found: list[Number] = []
    taken: list[tuple[int, int]] = []

    # ---- digits
    for m in NUMERIC_RE.finditer(text):
        s, e = m.start(), m.end()
        if m.group("num") is None and m.group("pow") is None:
            continue
        core_s = m.start("num") if m.group("num") is not None else m.start("pow")
        core_e = m.end("num") if m.group("num") is not None else m.end("pow")
        before = text[core_s - 1] if core_s > 0 else ""
        if before and not m.group("cur") and (before.isalnum() or before == "_" or
                                   (before in "-." and core_s > 1 and text[core_s - 2].isalnum())):
            continue  # part of a word/identifier: "A320", "COVID-19", "v.2"
        after_core = text[core_e:core_e + 1]
        if not (m.group("scale_att") or m.group("ord") or m.group("pct")) and after_core.isalpha() \
                and not (m.group("curw") and text[core_e:core_e + 1] == " "):
            # "5G", "10km": an attached unit we do not model is an identifier or measurement; keep the latter
            mu = re.match(r"(km|kg|mph|cm|mm|kw|mw|gw|kwh|mwh|gwh|twh|ha|gb|tb|mb|ghz|mhz|ft|lbs?|oz|mg|ml|mt)\b",
                          text[core_e:], re.I)
            if not mu:
                continue
        if _overlaps(blocked, core_s, core_e):
            continue
        if m.group("ord") and (m.group("scale_att") or m.group("scale_sp") or m.group("pct") or m.group("cur")):
            continue
        if m.group("pow"):
            exp = m.group("exp")
            if exp is None:
                exp = "".join(_SUP_MAP.get(c, "-") for c in m.group("sup"))
            value = 10.0 ** int(exp.replace("−", "-"))
        else:
            raw = m.group("num")
            try:
                value = _parse_num(raw)
            except ValueError:
                continue
            if len(raw) > 1 and raw[0] == "0" and raw[1].isdigit():
                continue  # "08", "007": codes, times, dates
        scale = m.group("scale_att") or (m.group("scale_sp") or "").strip()
        cur = re.sub(r"\s+", "", m.group("cur") or "")
        curw = m.group("curw")
        if scale:
            low = scale.lower()
            if low in ("m", "b") and not (cur or curw):
                # "20m" without a currency: metres/minutes as likely as millions -> an attached unit, not a scale
                found.append(Number(text=text[s:core_e + 1], start=s, end=core_e + 1, value=value, unit=low,
                                    kind="count"))
                taken.append((s, core_e + 1))
                continue
            value *= SCALE_ABBR[low]
        kind, unit = "count", None
        if m.group("ord"):
            kind = "ordinal"
        if m.group("pct"):
            kind, unit = "percent", _pct_unit(m.group("pct"))
        elif cur or curw:
            kind = "money"
            unit = CURRENCY_PREFIX.get(cur.lower()) if cur else CURRENCY_WORD.get(re.sub(r"\s+", " ", curw.lower()))
        # years: a bare 4-digit integer 1800..2100 is a date unless it obviously counts something
        raw = m.group("num") or ""
        if kind in ("count",) and not scale and re.fullmatch(r"\d{4}", raw) and 1800 <= value <= 2100:
            nxt, _ = _next_word(text, e)
            prev = _word_before(text, s)
            if not ((nxt and nxt.lower() in COUNT_NOUNS) or prev in APPROX):
                continue
        if kind == "count":
            unit = _unit_after(text, e)
        elif kind == "ordinal":
            unit = _ordinal_unit(text, e)
        if s > 0 and text[s - 1] in "-−" and (s == 1 or text[s - 2] in " \t\n(") and not m.group("ord"):
            s, value = s - 1, -value  # "-2.56%"
        found.append(Number(text=text[s:e].rstrip(), start=s, end=s + len(text[s:e].rstrip()), value=value,
                            unit=unit, kind=kind))
        taken.append((s, e))

    # ---- ordinal words
    for m in ORDINAL_RE.finditer(text):
        s, e = m.start(), m.end()
        if _overlaps(taken, s, e) or _overlaps(blocked, s, e):
            continue
        word = m.group("ord").lower()
        prev = _word_before(text, s)
        if word == "second":
            # "a second", "per second", "split second", "30 seconds" (plural never matches)
            if prev in ("a", "per", "split", "every", "one", "each", "millisecond", "nanosecond") or \
                    re.search(r"\d\s*$", text[:s]):
                continue
        value = float(ORDINALS[word]) + (TENS[m.group("tens").lower()] if m.group("tens") else 0)
        if word in ("hundredth", "thousandth", "millionth") and m.group("tens"):
            continue
        found.append(Number(text=text[s:e], start=s, end=e, value=value, unit=_ordinal_unit(text, e),
                            kind="ordinal"))
        taken.append((s, e))

    # ---- number words
    for m in WORD_RE.finditer(text):
        s, e = m.start(), m.end()
        if _overlaps(taken, s, e):
            continue
        words = re.split(r"\s+|-", m.group("words"))
        words = [w for w in words if w]
        # trailing "and" cannot happen (regex), but a lone scale word ("hundred") needs "a" or a number
        value = _words_value(words)
        if value is None:
            continue
        low_words = [w.lower() for w in words]
        if len(low_words) == 1 and low_words[0] in SCALES and not m.group("a"):
            continue  # "thousand" alone ("thousands of" never matches: \b)
        if low_words == ["dozen"] and not m.group("a"):
            continue
        if low_words == ["one"] and not m.group("pct") and not m.group("curw"):
            prev = _word_before(text, s)
            nxt, _ = _next_word(text, e)
            if prev in PRONOUN_ONE_BEFORE or (nxt and nxt.lower() in PRONOUN_ONE_AFTER) or \
                    text[e:e + 1] in ("'", "’"):
                continue
            if text[e:e + 2] in ("-t", "-T") and re.match(r"-(?:third|thirds|tenth|fifth|quarter)", text[e:]):
                continue
        if _overlaps(blocked, s, e):
            continue
        kind, unit = "count", None
        if m.group("pct"):
            kind, unit = "percent", _pct_unit(m.group("pct"))
        elif m.group("curw"):
            kind, unit = "money", CURRENCY_WORD.get(re.sub(r"\s+", " ", m.group("curw").lower()))
        else:
            unit = _unit_after(text, e)
        found.append(Number(text=text[s:e], start=s, end=e, value=float(value), unit=unit, kind=kind))
        taken.append((s, e))

    found.sort(key=lambda n: n.start)
    return found
