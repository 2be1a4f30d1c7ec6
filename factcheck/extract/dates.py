"""Temporal expressions: find date-shaped spans with regexes, then resolve them (pure functions).

Candidate spans come from our own patterns (month names with a day and/or a year, numeric and ISO dates, weekdays,
"yesterday", "last week", quarters, decades, durations, sets...). Each span is resolved with plain datetime
arithmetic against the anchor (the publication day); the granularity always comes from what the text says ("2025"
is a year, "June" a month). Relative expressions are tense-aware: "will meet on Friday" is the coming Friday, "met on
Friday" the previous one; a weekday equal to the anchor's is the anchor day itself.

dateparser (always with languages=['en'] and STRICT_PARSING, built once, lazily) is used by `parse_datetime` for the
many formats of publication dates.
"""
from __future__ import annotations

import calendar
import email.utils
import re
from datetime import date, datetime, timedelta
from typing import Callable, Optional

from ..models import DateMention

__all__ = ["extract_dates", "parse_datetime", "date_range"]

NO_ANCHOR_NOTE = "relative date without an anchor (no publication date)"
NO_YEAR_NOTE = "year unknown (no year in the text and no publication date)"

# --------------------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------------------
_MONTH_NUM = {}
for _i, _name in enumerate(calendar.month_name[1:], 1):
    _MONTH_NUM[_name.lower()] = _i
    _MONTH_NUM[_name[:3].lower()] = _i
_MONTH_NUM["sept"] = 9
_MONTH_NAMES = calendar.month_name

_WEEKDAY_NUM = {n.lower(): i for i, n in enumerate(calendar.day_name)}
for _abbr, _i in (("mon", 0), ("tue", 1), ("tues", 1), ("wed", 2), ("thu", 3), ("thur", 3), ("thurs", 3),
                  ("fri", 4), ("sat", 5), ("sun", 6)):
    _WEEKDAY_NUM[_abbr] = _i

# Month names are case-sensitive on purpose: "may", "march" (verbs/nouns) are never months.
_FULL_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)(?![\w'’])")
_FULL_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_WEEKDAY_ANY = (r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
                r"Mon|Tues|Tue|Wed|Thurs|Thur|Thu|Fri|Sat|Sun)\.?")
_ORD = r"(?:st|nd|rd|th)?"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_YEAR4 = r"(?:1[6-9]\d\d|20\d\d|2100)"
_RANGE_SEP = r"(?:\s*[-\u2013\u2014]\s*|\s+(?:to|and|&|until|till|through|thru)\s+)"

_NUM_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a hundred": 100,
    "a dozen": 12, "dozen": 12, "half a": 0.5, "half an": 0.5,
}
_VAGUE_NUM = ("several", "a few", "few", "many", "a couple of", "a couple", "couple of", "some", "dozens of",
              "hundreds of", "a number of")
_TENS = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_UNITS_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_NUM = (r"(?i:\d+\s+1/2|\d+(?:\.\d+)?|" + _TENS + r"[- ]" + _UNITS_WORD + r"|"
        r"a\s+hundred|a\s+dozen|half\s+an?|a\s+couple\s+of|a\s+couple|couple\s+of|a\s+few|a\s+number\s+of|"
        r"dozens\s+of|hundreds\s+of|several|few|many|"
        r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|" + _TENS + r"|hundred|"
        r"one|two|three|four|five|six|seven|eight|nine|ten|an?)")
_TEENS = r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
# spelled-out years (broadcast transcripts): "nineteen ninety-six", "the year two thousand"
_SPELLED_YEAR = (r"(?i:nineteen[- ](?:" + _TENS + r"(?:[- ]" + _UNITS_WORD + r")?|" + _TEENS + r"|hundred|oh[- ]"
                 + _UNITS_WORD + r")|two\s+thousand(?:\s+(?:and\s+)?(?:" + _TEENS + r"|" + _UNITS_WORD + r"))?)")
_UNIT = (r"(?i:years?|yrs?|months?|weeks?|fortnights?|days?|hours?|hrs?|minutes?|mins?|seconds?|secs?|"
         r"decades?|century|centuries)")
_UNIT_CODE = {"year": "Y", "yr": "Y", "month": "M", "week": "W", "fortnight": "W", "day": "D", "hour": "H",
              "hr": "H", "night": "D", "minute": "MIN", "min": "MIN", "second": "S", "sec": "S", "decade": "Y", "century": "Y"}
_UNIT_FACTOR = {"fortnight": 2, "decade": 10, "century": 100}

# --------------------------------------------------------------------------------------------------------------
# Tense cues
# --------------------------------------------------------------------------------------------------------------
_FUTURE_CUES = re.compile(r"""(?ix)
    \b(?:will|shall|won['’]t|wo\s+n['’]t|would|should|must|(?-i:may|might))\b(?:\s+not)?(?:\s+[a-z]+ly)?(?:\s+(?:be|have(?:\s+been)?))?(?:\s+[a-z]+)?
  | \w['’]ll\b(?:\s+[a-z]+)?
  | \b(?:is|are|am|was|were|be|been|being|['’]s|['’]re)\s+(?:(?:now|also|still|currently|not|tentatively|
        provisionally|officially)\s+)?(?:scheduled|due|expected|set|slated|planned|poised|likely|going|about|
        supposed|meant|to)\b
  | \bto\s+be\s+(?:held|[a-z]+ed|[a-z]+en|made|met|run|sent|paid|won)\b
  | \b(?:is|are|am)\s+(?:[a-z]+ing)\b
  | \b(?:has|have|had)\s+(?:(?:already|also|now|just|tentatively)\s+)?(?:scheduled|planned|set)\b
  | \b(?:expected|scheduled|slated|due(?!\s+to\b))\b
  | \b(?:planned|intended)\s+(?:an?|the|their|its|his|her|our|for)\b
  | \b(?:as\s+(?:soon|early)\s+as)\b
  | \b(?:(?:plans?|planning|planned|intends?|intending)\s+to|upcoming|next|coming|forthcoming|aims?\s+to|hopes?\s+to|
        expects?\s+to|going\s+to|set\s+to|from\s+now|in\s+the\s+coming|wants?\s+to|seeks?\s+to|needs?\s+to|
        (?:promised|vowed|pledged|agreed|decided|threatened|refused|prepares|preparing)\s+to)\b
""")
_PAST_CUES = re.compile(r"""(?ix)
    \b(?:has|have|had)\s+(?:not\s+|already\s+|also\s+|just\s+|since\s+)?[a-z]+(?:ed|en|wn|t|ne|de|ld|ng|ck)\b
  | (?<!\bis\s)(?<!\bare\s)(?<!\bam\s)(?<!\bbe\s)(?<!\bbeing\s)(?<!\bthe\s)(?<!\ba\s)(?<!\ban\s)(?<!\bits\s)
    \b(?:was|were|had|did|didn['’]t|said|met|held|told|took|gave|made|went|came|saw|won|lost|left|began|begun|
        spoke|wrote|found|fell|rose|sent|struck|became|got|paid|sold|bought|brought|thought|ran|led|kept|broke|
        chose|drove|flew|grew|knew|threw|shot|sat|stood|felt|heard|meant|fought|caught|taught|sought|built|spent|
        lent|fed|ago|last|earlier|previously|former|formerly|overnight|yesterday|underwent|withdrew|swore|
        forecast|hit|quit|laid|hid|rode|woke|wore|tore|bore|shook|stole|froze|forgot|forgave|bit|bent|bled|blew|
        bound|clung|crept|dealt|dug|drew|drank|fled|flung|forbade|hung|lit|mistook|overcame|overtook|rang|sang|sank|
        shone|shrank|slid|slept|sped|spun|sprang|stuck|stung|strode|swept|swam|swung|understood|upheld|withheld|
        wept|oversaw|undertook|foresaw|arose|awoke|beheld|dwelt|knelt|leapt|overheard|overran|overthrew|rebuilt|
        resold|retook|sent|shut|slew|spent|strove|thrust|trod|wound)\b
  | (?<!\bis\s)(?<!\bare\s)(?<!\bam\s)(?<!\bbe\s)(?<!\bbeing\s)(?<!\bthe\s)(?<!\ba\s)(?<!\ban\s)(?<!\bits\s)
    (?<!\bhis\s)(?<!\bher\s)(?<!\btheir\s)(?<!\bour\s)(?<!\bthis\s)(?<!\bthat\s)
    (?-i:\b(?!un(?!veil|leash|cover|lock|ravel|der))[a-z]{2,}[^e\W]ed\b)
""")
# "until 9 a.m. EST Tuesday": a time of day between the preposition and the day
_TIME_BEFORE_DAY = r"(?:(?:\d{1,2}(?:[:.]\d\d)?\s*[ap]\.?m\.?|noon|midnight)\s*(?:[A-Z]{2,4}\s+)?,?\s*)?"
# a plan that no longer holds: "had been due to expire Friday" is in the past (not the future "due to")
_PLAN_SUPERSEDED = re.compile(r"(?i)\bhad\s+(?:[a-z]+ly\s+)?been\s+(?:scheduled|due|expected|set|slated|planned|"
                              r"supposed|meant)\b")
# a postponement points forward: "postponed until Tuesday morning"
_POSTPONED_BEFORE = re.compile(r"(?i)\b(?:postponed|delayed|deferred|adjourned|put\s+off|pushed\s+back|extended)"
                               r"(?:\s+[\w'’]+){0,3}?\s+(?:until|till|to)\s+(?:on\s+)?(?:at\s+)?" + _TIME_BEFORE_DAY + "$")
_DEADLINE_BEFORE = re.compile(r"\b(?:by|until|till|til|through|to|before|payable|effective|due|starting|deadline\s+of|"
                              r"as\s+soon\s+as|no\s+later\s+than)\s+(?:on\s+|the\s+)?(?:at\s+)?" + _TIME_BEFORE_DAY + "$", re.I)
_CUE_REACH_BEFORE = 60
_CUE_REACH_AFTER = 40
_CLAUSE_BREAK = re.compile(r"\bthat\b|\bwhich\b|\bwho\b|\bwhile\b|\bbut\b|;|\s[-\u2013\u2014]\s")
# not after "a.m.", "U.S." or "Mr.": "at 4 a.m. EDT Thursday" is one sentence
_SENT_BREAK = re.compile(r"(?<=[.!?])(?<![ap]\.m\.)(?<![A-Z]\.[A-Z]\.)(?<!\b(?:Mr|Dr|St|Ms)\.)(?<!\bMrs\.)"
                         r"[\"'”’)]*\s+(?=[\"“‘(]?[A-Z])")


class _Ctx:
    """Per-text state: the text, the anchor and (computed on demand) the tense cues."""

    __slots__ = ("text", "anchor", "_cues", "_breaks", "times", "timeml")

    def __init__(self, text: str, anchor: Optional[date], timeml: bool = False):
        self.text = text
        self.anchor = anchor
        self.timeml = timeml
        self._cues = None
        self._breaks = None
        self.times = {}  # id(time mention) -> "HH:MM" for joining with a neighbouring day

    def cues(self):
        if self._cues is None:
            held = [(m.start(), m.end(), "past") for m in _PLAN_SUPERSEDED.finditer(self.text)]
            fut = [(m.start(), m.end(), "future") for m in _FUTURE_CUES.finditer(self.text)
                   if not any(s < m.end() and m.start() < e for s, e, _ in held)]
            past = [(m.start(), m.end(), "past") for m in _PAST_CUES.finditer(self.text)
                    if not any(s < m.end() and m.start() < e for s, e, _ in fut + held)]
            self._cues = sorted(fut + past + held)
            self._breaks = [m.start() for m in _SENT_BREAK.finditer(self.text)]
        return self._cues

    def tense(self, start: int, end: int) -> Optional[str]:
        """'future', 'past' or None: the nearest cue before the expression in its sentence, else the nearest after.

        A deadline ("by Friday", "extended to Nov. 20", "payable Dec. 15") in a sentence that is not about the
        future says nothing about the tense of the date itself: None (the closest date wins). A postponement
        ("postponed until Tuesday") points forward."""
        cue = self._tense(start, end)
        if cue != "future" and _DEADLINE_BEFORE.search(self.text, max(0, start - 40), start):
            if _POSTPONED_BEFORE.search(self.text, max(0, start - 60), start):
                return "future"
            return None
        return cue

    def _tense(self, start: int, end: int) -> Optional[str]:
        cues = self.cues()
        if not cues:
            return None
        s_start, s_end = 0, len(self.text)
        for b in self._breaks:
            if b <= start:
                s_start = b
            elif b >= end:
                s_end = b
                break
        # a cue far from the expression belongs to another clause: ignore it
        before = [c for c in cues if c[1] <= start and c[0] >= s_start and start - c[1] <= _CUE_REACH_BEFORE]
        if before:
            return max(before, key=lambda c: c[1])[2]
        after = [c for c in cues if c[0] >= end and c[1] <= s_end and c[0] - end <= _CUE_REACH_AFTER
                 and not _CLAUSE_BREAK.search(self.text, end, c[0])]
        if after:
            return min(after)[2]
        return None


# --------------------------------------------------------------------------------------------------------------
# Values and ranges
# --------------------------------------------------------------------------------------------------------------
def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _bounds(kind: str, key) -> tuple[date, date]:
    if kind == "day":
        return key, key
    if kind == "week":
        monday = key - timedelta(days=key.weekday())
        return monday, monday + timedelta(days=6)
    if kind == "month":
        y, m = key
        return date(y, m, 1), _month_end(y, m)
    if kind == "quarter":
        y, q = key
        return date(y, 3 * q - 2, 1), _month_end(y, 3 * q)
    if kind == "year":
        return date(key, 1, 1), date(key, 12, 31)
    if kind == "decade":
        return date(key, 1, 1), date(key + 9, 12, 31)
    raise ValueError(kind)


def _value(kind: str, key) -> str:
    if kind == "day":
        return key.isoformat()
    if kind == "week":
        iso = key.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if kind == "month":
        return f"{key[0]:04d}-{key[1]:02d}"
    if kind == "quarter":
        return f"{key[0]:04d}-Q{key[1]}"
    if kind == "year":
        return f"{key:04d}"
    if kind == "decade":
        return f"{key // 10:03d}X"
    raise ValueError(kind)


def _mention(ctx: _Ctx, span: tuple[int, int], kind: str, key, *, end_key=None, relative=False,
             note=None, type_="date") -> DateMention:
    first, last = _bounds(kind, key)
    if end_key is not None:
        last = _bounds(kind, end_key)[1]
    s, e = span
    return DateMention(text=ctx.text[s:e], start=s, end=e, value=_value(kind, key), granularity=kind, type=type_,
                       range_start=first.isoformat(), range_end=last.isoformat(), resolved=True,
                       relative=relative, note=note)


def _unresolved(ctx: _Ctx, span, granularity, note=NO_ANCHOR_NOTE, value=None, type_="date",
                relative=True) -> DateMention:
    s, e = span
    return DateMention(text=ctx.text[s:e], start=s, end=e, value=value, granularity=granularity, type=type_,
                       resolved=False, relative=relative, note=note)


def _pick(cands: list, anchor: date, cue: Optional[str], mod: Optional[str] = None):
    """Choose among candidate periods [(first, last, key)] sorted by date.

    mod 'last' -> the latest ending before the anchor; 'next' -> the earliest starting after it; tense 'future' ->
    the earliest not yet over; 'past' -> the latest already begun; no cue -> the closest (ties to the past)."""
    if mod == "last":
        ok = [c for c in cands if c[1] < anchor]
        return ok[-1] if ok else None
    if mod == "next":
        ok = [c for c in cands if c[0] > anchor]
        return ok[0] if ok else None
    if cue == "future":
        ok = [c for c in cands if c[1] >= anchor]
        return ok[0] if ok else None
    if cue == "past":
        ok = [c for c in cands if c[0] <= anchor]
        return ok[-1] if ok else None

    def dist(c):
        if c[0] <= anchor <= c[1]:
            return 0
        return min(abs((c[0] - anchor).days), abs((c[1] - anchor).days))
    return min(cands, key=lambda c: (dist(c), c[0] > anchor))


def _year_number(raw: str) -> int:
    """1996 from "1996" or "nineteen ninety-six"; 2000 from "two thousand"."""
    if raw.isdigit():
        return int(raw)
    words = [w for w in re.split(r"[-\s]+", raw.lower()) if w not in ("and", "")]
    if words[:2] == ["two", "thousand"]:
        return 2000 + sum(_NUM_WORDS[w] for w in words[2:])
    rest = words[1:]
    if rest == ["hundred"]:
        return 1900
    return 1900 + sum(_NUM_WORDS.get(w, 0) for w in rest)  # "oh five" -> 5


def _valid_day(y: int, m: int, d: int) -> Optional[date]:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _impossible_note(y: Optional[int], m: int, d: int) -> str:
    days = calendar.monthrange(y if y else 2000, m)[1]
    where = f"{_MONTH_NAMES[m]} {y}" if y else _MONTH_NAMES[m]
    return f"impossible date: {where} has {days} days, not {d}"


# --------------------------------------------------------------------------------------------------------------
# Handlers: each gets (match, ctx) and returns a DateMention or None (rejected candidate)
# --------------------------------------------------------------------------------------------------------------
def _span(m) -> tuple[int, int]:
    gd = m.re.groupindex
    if "x" in gd and m.group("x") is not None:
        return m.span("x")
    return m.span()


def _mnum(name: str) -> int:
    return _MONTH_NUM[name.rstrip(".").lower()]


def _int(s: Optional[str]) -> Optional[int]:
    return int(s) if s else None


def _qual_note(q: Optional[str]) -> Optional[str]:
    if not q:
        return None
    q = q.lower().rstrip("- ")
    return {"early": "early part of the period", "mid": "middle of the period",
            "late": "late part of the period"}.get(q)


def _day_month(ctx: _Ctx, span, y: Optional[int], mo: int, d1: int, d2: Optional[int] = None,
               mo2: Optional[int] = None, weekday: Optional[str] = None) -> Optional[DateMention]:
    """A day (or a range of days) given by month and day number, with or without a year."""
    mo2 = mo2 or mo
    notes = []
    relative = False
    if y is None:
        if ctx.anchor is None:
            if _valid_day(2000, mo, d1) is None:
                return _unresolved(ctx, span, "day", note=_impossible_note(None, mo, d1), relative=False)
            return _unresolved(ctx, span, "day", note=NO_YEAR_NOTE, value=f"XXXX-{mo:02d}-{d1:02d}")
        a = ctx.anchor
        cands = []
        for yy in (a.year - 1, a.year, a.year + 1):
            first = _valid_day(yy, mo, d1)
            if first is not None:
                last = _valid_day(yy + 1 if mo2 < mo else yy, mo2, d2) if d2 is not None else first
                cands.append((first, max(first, last or first), yy))
        if not cands:
            return _unresolved(ctx, span, "day", note=_impossible_note(None, mo, d1), relative=False)
        wd = _WEEKDAY_NUM.get(weekday.rstrip(".").lower()) if weekday else None
        same_weekday = [c for c in cands if c[0].weekday() == wd]
        if len(same_weekday) == 1:
            y = same_weekday[0][2]  # "Friday 8 December": the year in which 8 December is a Friday
        else:
            cue = ctx.tense(*span)
            this_year = next((c for c in cands if c[2] == a.year), None)
            # a date a few weeks from the anchor is this year's, whatever a (possibly misattached) tense cue says:
            # "extended to Nov. 20" in an October article, "the summit closed on February 10th" on 12 February
            if this_year is not None and (cue == "past" and 0 < (this_year[0] - a).days <= 31
                                          or cue == "future" and 0 < (a - this_year[1]).days <= 31):
                cue = None
            y = _pick(cands, a, cue)[2]
        relative = True
        notes.append(f"year {y} taken from the publication date")
    first = _valid_day(y, mo, d1)
    if first is None:
        return _unresolved(ctx, span, "day", note=_impossible_note(y, mo, d1), relative=False)
    last = first
    if d2 is not None:
        y2 = y + 1 if mo2 < mo else y
        last = _valid_day(y2, mo2, d2)
        if last is None:
            return _unresolved(ctx, span, "day", note=_impossible_note(y2, mo2, d2), relative=False)
        if last < first:
            last = first
    if weekday:
        wd = _WEEKDAY_NUM.get(weekday.rstrip(".").lower())
        if wd is not None and wd != first.weekday():
            notes.append(f"the text says {weekday.rstrip('.')} but {first.isoformat()} is a "
                         f"{calendar.day_name[first.weekday()]}")
    mention = _mention(ctx, span, "day", first, relative=relative, note="; ".join(notes) or None)
    mention.range_end = last.isoformat()
    return mention


def _h_dmy_cross(m, ctx):
    return _day_month(ctx, _span(m), _int(m.group("y")), _mnum(m.group("mon1")), int(m.group("d1")),
                      int(m.group("d2")), mo2=_mnum(m.group("mon2")))


def _h_mdy(m, ctx):
    return _day_month(ctx, _span(m), _int(m.group("y")), _mnum(m.group("mon")), int(m.group("d1")),
                      _int(m.group("d2")), weekday=m.group("wd"))


def _h_mdy_cross(m, ctx):
    return _day_month(ctx, _span(m), _int(m.group("y")), _mnum(m.group("mon1")), int(m.group("d1")),
                      int(m.group("d2")), mo2=_mnum(m.group("mon2")))


def _h_iso(m, ctx):
    y, mo, d = int(m.group("y")), int(m.group("mo")), int(m.group("d"))
    if not 1 <= mo <= 12:
        return None
    day = _valid_day(y, mo, d)
    if day is None:
        return _unresolved(ctx, _span(m), "day", note=_impossible_note(y, mo, d), relative=False)
    mention = _mention(ctx, _span(m), "day", day)
    if m.group("h"):
        mention.type = "time"
        mention.value = f"{day.isoformat()}T{int(m.group('h')):02d}:{m.group('mi')}"
    return mention


def _h_numeric(m, ctx):
    a, b, ys = int(m.group("a")), int(m.group("b")), m.group("y")
    y = int(ys) if len(ys) == 4 else (2000 + int(ys) if int(ys) < 50 else 1900 + int(ys))
    if a > 12 and b <= 12:
        d, mo = a, b
    elif b > 12 and a <= 12:
        d, mo = b, a
    elif a == b and a <= 12:
        d, mo = a, b
    else:
        return None  # ambiguous day/month order (or nonsense): no guess
    if not 1 <= mo <= 12:
        return None
    day = _valid_day(y, mo, d)
    if day is None:
        return _unresolved(ctx, _span(m), "day", note=_impossible_note(y, mo, d), relative=False)
    return _mention(ctx, _span(m), "day", day)


def _h_month_year(m, ctx):
    y, mo = int(m.group("y")), _mnum(m.group("mon"))
    end_key = None
    if m.group("mon2"):
        mo2 = _mnum(m.group("mon2"))
        if mo2 >= mo:
            end_key = (y, mo2)
    return _mention(ctx, _span(m), "month", (y, mo), end_key=end_key, note=_qual_note(m.group("q")))


_MOD_NORMAL = {"last": "last", "past": "last", "previous": "last", "next": "next", "coming": "next",
               "this": "this", "upcoming": "next"}


def _month_in_context(ctx: _Ctx, span, mo: int, mod: Optional[str], mo2: Optional[int] = None, note=None):
    if ctx.anchor is None:
        if mod:
            return _unresolved(ctx, span, "month")
        return _unresolved(ctx, span, "month", note=NO_YEAR_NOTE, value=f"XXXX-{mo:02d}")
    a = ctx.anchor
    cands = [(*_bounds("month", (yy, mo)), yy) for yy in (a.year - 1, a.year, a.year + 1)]
    if mod == "this":
        y = a.year
    else:
        chosen = _pick(cands, a, None if mod else ctx.tense(*span), mod)
        if chosen is None:
            return None
        y = chosen[2]
    end_key = None
    if mo2:
        end_key = (y if mo2 >= mo else y + 1, mo2)
    notes = [n for n in (note, None if mod else f"year {y} taken from the publication date") if n]
    return _mention(ctx, span, "month", (y, mo), end_key=end_key, relative=True, note="; ".join(notes) or None)


def _h_month_rel_year(m, ctx):
    s, e = _span(m)
    if ctx.anchor is None:
        return _unresolved(ctx, (s, e), "month")
    y = ctx.anchor.year + {"last": -1, "this": 0, "next": 1}[m.group("mod").lower()]
    return _mention(ctx, (s, e), "month", (y, _mnum(m.group("mon"))), relative=True, note=_qual_note(m.group("q")))


def _h_bare_month(m, ctx):
    mod = m.group("mod")
    if not (m.group("prep") or mod or m.group("q")):
        return None
    if m.group("mon") == "May" and not mod and not m.group("q") and \
            m.group("prep").lower() in ("by", "of", "around", "between", "after", "before"):
        return None  # "a speech by May", "the cabinet of May": the name, most likely
    mod = _MOD_NORMAL.get(mod.lower()) if mod else None
    return _month_in_context(ctx, _span(m), _mnum(m.group("mon")), mod, note=_qual_note(m.group("q")))


def _h_month_range(m, ctx):
    if m.group("y"):
        y = int(m.group("y"))
        mo, mo2 = _mnum(m.group("mon")), _mnum(m.group("mon2"))
        return _mention(ctx, _span(m), "month", (y, mo), end_key=(y, mo2) if mo2 >= mo else None)
    return _month_in_context(ctx, _span(m), _mnum(m.group("mon")), None, mo2=_mnum(m.group("mon2")))


_NAMED_DAY_BEFORE = re.compile(r"(?:Black|Good|Bloody|Super|Cyber|Easter|Palm|Ash|Holy|Maundy|Giving|Blue|Red|"
                               r"Boxing|Mothering|Trinity|Low|Plough|Whit|Shrove|Fat|Clean|Spy|Manic)\s+$")
_NAMED_DAY_AFTER = re.compile(r"\s+(?:Times|Telegraph|Mirror|Express|Post|Herald|Independent|Tribune|Mail|"
                              r"Night\s+Football|School|Observer|Business\s+Post)\b")


def _h_weekday(m, ctx):
    s, e = _span(m)
    if _NAMED_DAY_BEFORE.search(ctx.text, max(0, s - 12), s) or _NAMED_DAY_AFTER.match(ctx.text, m.end("wd")):
        return None
    wd = _WEEKDAY_NUM[m.group("wd").lower()]
    if m.group("plural"):
        if m.group("mod"):
            return None
        return DateMention(text=ctx.text[s:e], start=s, end=e, value="P1W", granularity=None, type="set",
                           note=f"every {calendar.day_name[wd]}")
    if ctx.anchor is None:
        return _unresolved(ctx, (s, e), "day")
    a = ctx.anchor
    mod = _MOD_NORMAL.get(m.group("mod").lower()) if m.group("mod") else None
    if mod == "this":
        day = a - timedelta(days=a.weekday()) + timedelta(days=wd)
    else:
        cands = []
        for k in range(-14, 15):
            d = a + timedelta(days=k)
            if d.weekday() == wd:
                cands.append((d, d, d))
        cue = None if mod else ctx.tense(s, e)
        if cue is None and not mod and re.match(r"['’]s?\s", ctx.text[e:e + 3]):
            cue = "past"  # "Thursday's closing price", "Friday's purchases": an event already named
        day = _pick(cands, a, cue, mod)[2]
    return _mention(ctx, (s, e), "day", day, relative=True)


def _holiday(name: str, y: int) -> date:
    if name.startswith("thanksgiving"):  # US: the fourth Thursday of November
        first = date(y, 11, 1)
        return first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    if name.startswith("election"):  # US: the Tuesday after the first Monday of November
        first = date(y, 11, 1)
        return first + timedelta(days=(0 - first.weekday()) % 7 + 1)
    if name.startswith("christmas"):
        return date(y, 12, 24 if name.endswith("eve") else 25)
    if name.startswith("new year"):
        return date(y, 12, 31) if name.endswith("eve") else date(y, 1, 1)
    return date(y, 7, 4)  # Independence Day (US)


def _h_holiday(m, ctx):
    s, e = _span(m)
    name = re.sub(r"\s+", " ", m.group("h").lower()).replace("’", "'")
    mod = _MOD_NORMAL.get(m.group("mod").lower()) if m.group("mod") else None
    if not (mod or m.group("prep") or name.endswith((" day", " eve"))):
        return None  # "Christmas shopping", "Thanksgiving dinner": not a date
    if ctx.anchor is None:
        if name.startswith(("christmas", "new year", "independence")):  # the same day every year
            fixed = _holiday(name, 2000)
            return _unresolved(ctx, (s, e), "day", note=NO_YEAR_NOTE, value=f"XXXX-{fixed:%m-%d}")
        return _unresolved(ctx, (s, e), "day")
    a = ctx.anchor
    if mod == "this":
        day = _holiday(name, a.year)
    else:
        cands = [(d, d, d) for d in (_holiday(name, y) for y in (a.year - 1, a.year, a.year + 1))]
        chosen = _pick(cands, a, None if mod else ctx.tense(s, e), mod)
        if chosen is None:
            return None
        day = chosen[2]
    return _mention(ctx, (s, e), "day", day, relative=True)


_REL_DAY = {"yesterday": -1, "today": 0, "tomorrow": 1, "tonight": 0, "this morning": 0, "this afternoon": 0,
            "this evening": 0, "last night": -1, "the day before yesterday": -2, "the day after tomorrow": 2,
            "earlier today": 0, "later today": 0}


def _h_rel_day(m, ctx):
    s, e = _span(m)
    word = re.sub(r"\s+", " ", m.group("x").lower())
    if word == "today" and (re.search(r"USA\s+$", ctx.text[max(0, s - 6):s])
                            or re.match(r"\s+(?:programme|show|Show|Programme)\b", ctx.text[e:])):
        return None
    if ctx.anchor is None:
        return _unresolved(ctx, (s, e), "day")
    return _mention(ctx, (s, e), "day", ctx.anchor + timedelta(days=_REL_DAY[word]), relative=True)


def _shift_month(y: int, m: int, k: int) -> tuple[int, int]:
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


def _rel_period(anchor: date, unit: str, k: int):
    """(kind, key) of the period `k` units away from the anchor's own period."""
    if unit in ("week", "weekend"):
        return "week", anchor + timedelta(weeks=k)
    if unit == "month":
        return "month", _shift_month(anchor.year, anchor.month, k)
    if unit == "quarter":
        q = (anchor.month - 1) // 3 + 1 + k
        y = anchor.year + (q - 1) // 4
        return "quarter", (y, (q - 1) % 4 + 1)
    if unit == "year":
        return "year", anchor.year + k
    if unit == "decade":
        return "decade", (anchor.year // 10 + k) * 10
    raise ValueError(unit)


def _h_rel_period(m, ctx):
    s, e = _span(m)
    mod = m.group("mod").lower()
    unit = m.group("unit").lower()
    if unit == "century" or m.group("unit")[0].isupper() and not m.group("unit").isupper():
        return None  # "This Week" (a programme), "Next Year" in a title
    k = {"last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1, "this": 0, "current": 0}[mod]
    if ctx.anchor is None:
        return _unresolved(ctx, (s, e), "week" if unit == "weekend" else unit)
    if unit == "weekend" and mod == "this":
        # "this weekend": the coming one in future sentences, the one just gone otherwise
        sat = ctx.anchor - timedelta(days=ctx.anchor.weekday()) + timedelta(days=5)
        k = 0
        if ctx.anchor.weekday() <= 1 and ctx.tense(s, e) == "past":
            k = -1
        sat += timedelta(weeks=k)
        mention = _mention(ctx, (s, e), "week", sat, relative=True, note="weekend")
        mention.range_start, mention.range_end = sat.isoformat(), (sat + timedelta(days=1)).isoformat()
        return mention
    kind, key = _rel_period(ctx.anchor, unit, k)
    pre = (m.group("pre") or "").lower()
    note = {"earlier": "earlier part of the period", "later": "later part of the period",
            "early": "early part of the period", "late": "late part of the period"}.get(pre)
    mention = _mention(ctx, (s, e), kind, key, relative=True, note=note)
    if unit == "weekend":
        sat = date.fromisoformat(mention.range_start) + timedelta(days=5)
        mention.range_start, mention.range_end = sat.isoformat(), (sat + timedelta(days=1)).isoformat()
        mention.note = "weekend"
    return mention


def _num_value(raw: str) -> Optional[float]:
    """A number from digits or words; None for vague quantities ("several")."""
    raw = re.sub(r"\s+", " ", raw.lower().strip())
    if raw in _VAGUE_NUM:
        return None
    if raw[0].isdigit():
        if raw.endswith(" 1/2"):  # "2 1/2 years"
            return float(raw[:-4]) + 0.5
        return float(raw)
    if raw in _NUM_WORDS:
        return float(_NUM_WORDS[raw])
    parts = re.split(r"[- ]", raw)
    if len(parts) == 2 and parts[0] in _NUM_WORDS and parts[1] in _NUM_WORDS:
        return float(_NUM_WORDS[parts[0]] + _NUM_WORDS[parts[1]])
    raise ValueError(raw)


def _unit_key(raw: str) -> str:
    u = raw.lower()
    if u in ("centuries",):
        return "century"
    return u[:-1] if u.endswith("s") and u[:-1] in _UNIT_CODE else u


def _duration_value(n: Optional[float], unit: str) -> str:
    code = _UNIT_CODE[unit]
    if n is None:
        qty = "X"
    else:
        n = n * _UNIT_FACTOR.get(unit, 1)
        qty = str(int(n)) if float(n).is_integer() else f"{n:g}"
    if code in ("H", "S"):
        return f"PT{qty}{code}"
    if code == "MIN":
        return f"PT{qty}M"
    return f"P{qty}{code}"


def _h_ago(m, ctx):
    s, e = _span(m)
    n = _num_value(m.group("num"))
    unit = _unit_key(m.group("unit"))
    if n is None or not float(n).is_integer() or unit in ("hour", "hr", "minute", "min", "second", "sec"):
        return None
    n = int(n) * _UNIT_FACTOR.get(unit, 1)
    unit = {"fortnight": "week", "decade": "year", "century": "year"}.get(unit, unit)
    direction = -1 if m.group("dir").lower() == "ago" else 1
    if ctx.anchor is None:
        return _unresolved(ctx, (s, e), {"day": "day", "week": "week", "month": "month"}.get(unit, "year"))
    a = ctx.anchor
    if unit == "day":
        return _mention(ctx, (s, e), "day", a + timedelta(days=direction * n), relative=True)
    if unit == "week":
        return _mention(ctx, (s, e), "week", a + timedelta(weeks=direction * n), relative=True)
    if unit == "month":
        return _mention(ctx, (s, e), "month", _shift_month(a.year, a.month, direction * n), relative=True)
    return _mention(ctx, (s, e), "year", a.year + direction * n, relative=True)


_COUNT_BEFORE_SET = re.compile(r"(?:\d[\w.,%]*|\b(?:once|twice|times|thrice|percent|cents?|dollars|euros|pounds|"
                               r"million|billion|trillion|one|two|three|four|five|six|seven|eight|nine|ten|dozen|"
                               r"hundred|thousand|hundreds|thousands|millions|billions))(?:\s+[a-z]+){0,2}\W*$",
                               re.I)
_DURATION_PREP = re.compile(r"\b(?:for|over|within|about|nearly|almost|than|around|some|roughly|just|after|"
                            r"lasted|lasting|spent|spend|took|take|takes|in|up\s+to|at\s+least|the\s+past|"
                            r"the\s+last|the\s+next)\s+$", re.I)


def _h_duration(m, ctx):
    s, e = _span(m)
    raw_num = m.group("num")
    num_l = raw_num.lower()
    if m.group("unit")[0].isupper() and not m.group("unit").isupper() and not m.group("x")[0].isupper():
        return None  # "60 Minutes" (a programme)
    if m.group("unit").lower() == "quarters":
        if not m.group("adj"):
            return None  # "three quarters of voters": a fraction
        n = _num_value(raw_num)
        return DateMention(text=ctx.text[s:e], start=s, end=e, granularity=None, type="duration",
                           value=_duration_value(None if n is None else n * 3, "month"))
    unit = _unit_key(m.group("unit"))
    after = ctx.text[e:e + 12]
    if re.match(r"(?:-|\s+)old\b", after) or re.match(r"-olds?\b", after):
        return None  # an age, not a duration
    if num_l in ("a", "an"):
        if unit in ("second", "sec", "minute", "min"):
            return None  # "a second time", "a second round", "wait a minute"
        before = ctx.text[max(0, s - 25):s]
        # "$307 million a year earlier" is an offset, not a rate ("$5bn a year")
        if _COUNT_BEFORE_SET.search(before) and not re.match(r"\s+(?:later|earlier|ago|before|after)\b", after):
            return DateMention(text=ctx.text[s:e], start=s, end=e, value=_duration_value(1, unit),
                               granularity=None, type="set")
        if not (_DURATION_PREP.search(before) or re.match(r"(?:-long|\s+(?:later|earlier|after|before|long))\b",
                                                           after)):
            return None
    if num_l == "one" and unit == "day" and not m.group("adj") and "-" not in ctx.text[s:e] and \
            not _DURATION_PREP.search(ctx.text[max(0, s - 25):s]):
        return None  # "One day, he will...": the idiom
    try:
        n = _num_value(raw_num)
    except ValueError:
        return None
    if n is not None and m.group("half"):
        n += 0.5
    note = None
    offset = re.match(r"\s+(?:later|earlier)\b", after)
    if offset:
        e += offset.end()
        note = "an offset from another event in the text"
        if ctx.timeml and ctx.anchor is not None and n is not None and float(n).is_integer() and \
                unit in ("year", "month", "week", "day"):
            # TimeML: "a year earlier" is a date, resolved (like "a year ago") on the anchor
            sign = -1 if after[offset.start():offset.end()].strip().lower() == "earlier" else 1
            kind, key = _rel_period(ctx.anchor, unit, sign * int(n))
            if unit == "day":
                kind, key = "day", ctx.anchor + timedelta(days=sign * int(n))
            return _mention(ctx, (s, e), kind, key, relative=True, note=note)
    elif re.match(r"\s+(?:after|before)\b", after):
        note = "an offset from another event in the text"
    return DateMention(text=ctx.text[s:e], start=s, end=e, value=_duration_value(n, unit), granularity=None,
                       type="duration", note=note)


_SET_WORDS = {"annually": "P1Y", "yearly": "P1Y", "annual": "P1Y", "monthly": "P1M", "weekly": "P1W",
              "daily": "P1D", "nightly": "P1D", "hourly": "PT1H", "quarterly": "P3M", "biannually": "P6M",
              "biennially": "P2Y", "fortnightly": "P2W"}


def _h_set_word(m, ctx):
    s, e = _span(m)
    word = m.group("x").lower()
    if word not in ("annually", "biannually", "biennially") and not (ctx.timeml and word in ("daily", "hourly")):
        # adjectives ("daily newspaper", "annual report") are not sets; only the adverb at a clause end
        if not re.match(r"\s*(?:[.,;:)!?]|$|and\b|or\b|since\b|until\b|from\b|for\b|in\b|on\b|at\b)",
                        ctx.text[e:]):
            return None
    return DateMention(text=ctx.text[s:e], start=s, end=e, value=_SET_WORDS[word], granularity=None, type="set")


def _h_set_every(m, ctx):
    s, e = _span(m)
    unit = m.group("unit")
    wd = _WEEKDAY_NUM.get(unit.lower()) if unit else None
    if wd is not None:  # "every Monday" (a title-case "Every Year" is a unit, not a weekday)
        return DateMention(text=ctx.text[s:e], start=s, end=e, value="P1W", granularity=None, type="set",
                           note=f"every {calendar.day_name[wd]}")
    unit = _unit_key(unit)
    n = 2 if m.group("other") else 1
    if m.group("num"):
        try:
            n = _num_value(m.group("num"))
        except ValueError:
            return None
    note = None
    if m.group("freq"):
        note = f"{m.group('freq').strip()} per period"
    if unit == "quarter":
        return DateMention(text=ctx.text[s:e], start=s, end=e, value="P3M", granularity=None, type="set", note=note)
    return DateMention(text=ctx.text[s:e], start=s, end=e, value=_duration_value(n, unit), granularity=None,
                       type="set", note=note)


_COUNT_NOUNS = set("""people persons votes troops soldiers workers jobs members students cases deaths dead homes
houses cars vehicles tonnes tons km kilometres kilometers miles metres meters feet ft kg pounds dollars euros points
units barrels acres hectares calories words pages seats flights passengers refugees migrants children men women
residents protesters employees staff officers police delegates participants visitors tourists fans users customers
patients beds doctors nurses times copies shares households families lives companies firms acres sq square yards
hours minutes seconds days weeks months years percent per cent mph kph km/h rounds gmt utc hrs""".split())


def _year_ok(ctx: _Ctx, s: int, e: int) -> bool:
    before = ctx.text[max(0, s - 12):s]
    after = ctx.text[e:e + 20]
    if re.search(r"(?:[$€£¥#]|\bNo\.?|\bnumber|\bpage|\broom|\bflight|\broute|\bmodel|\bversion|\bv|"
                 r"\bscore|\bcode|\bStreet)\s*$", before, re.I):
        return False
    if re.search(r"(?:\d[,.]|\d\s)$", before) or re.match(r"(?:[,.]\d|\s*%|\s*-?\s*(?:percent|per cent))", after):
        return False
    nxt = re.match(r"\s+(?:of\s+)?([A-Za-z/]+)", after)
    if nxt and nxt.group(1).lower() in _COUNT_NOUNS:
        return False
    return True


def _h_year(m, ctx):
    s, e = _span(m)
    if not m.group("prep") and not m.group("q") and not _year_ok(ctx, m.start("y"), m.end("y2") if m.group("y2")
                                                                 else m.end("y")):
        return None
    if m.group("prep") and not _year_ok(ctx, m.start("y"), m.end("y2") if m.group("y2") else m.end("y")):
        return None
    y = int(m.group("y"))
    end_key = None
    if m.group("y2"):
        y2s = m.group("y2")
        y2 = int(y2s) if len(y2s) == 4 else (y // 100) * 100 + int(y2s)
        if y2 > y:
            end_key = y2
        elif y2 < y:
            return None  # "2019-1" and the like: not a year range
    return _mention(ctx, (s, e), "year", y, end_key=end_key, note=_qual_note(m.group("q")))


def _h_spelled_year(m, ctx):
    """ "nineteen ninety-six", "January nineteen ninety-seven", "the year two thousand"."""
    raw = m.group("y")
    if raw.lower().startswith("two") and not m.group("x").lower().startswith("the year") and (
            not re.search(r"\b(?:in|by|since|until|of|before|after|around)\s+$", ctx.text[max(0, m.start() - 8):m.start()],
                          re.I) or re.match(r"\s+[a-z]", ctx.text[m.end():])):
        return None  # "two thousand people": a number
    if re.match(r"(?:\s+|-)(?:" + _UNIT[3:-1] + r"|people|dollars|percent|times)\b", ctx.text[m.end():]):
        return None  # "nineteen ninety-six dollars", "nineteen twenty years"
    y = _year_number(raw)
    if m.group("mon"):
        return _mention(ctx, _span(m), "month", (y, _mnum(m.group("mon"))))
    return _mention(ctx, _span(m), "year", y)


def _h_fiscal_year(m, ctx):
    y = m.group("y")
    y = int(y) if len(y) == 4 else 2000 + int(y)
    return _mention(ctx, _span(m), "year", y, note="fiscal year")


def _h_decade(m, ctx):
    if m.group("c"):
        start = int(m.group("c")) * 100 + int(m.group("d")) * 10
    else:
        d = int(m.group("d2"))
        start = (2000 if d <= 1 else 1900) + d * 10
    return _mention(ctx, _span(m), "decade", start, note=_qual_note(m.group("q")))


_ORDINAL_Q = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "final": 4}


def _h_quarter(m, ctx):
    s, e = _span(m)
    qs = m.group("q")
    q = int(qs[-1]) if qs[-1].isdigit() and qs[0] in "Qq" else _ORDINAL_Q[qs.lower()]
    ys = m.re.groupindex.get("y") and m.group("y")
    if "mod" in m.re.groupindex:
        if ctx.anchor is None:
            return _unresolved(ctx, (s, e), "quarter")
        y = ctx.anchor.year + {"last": -1, "this": 0, "next": 1}[m.group("mod").lower()]
        return _mention(ctx, (s, e), "quarter", (y, q), relative=True)
    if ys:
        y = int(ys) if len(ys) == 4 else 2000 + int(ys)
        return _mention(ctx, (s, e), "quarter", (y, q))
    if ctx.anchor is None:
        return _unresolved(ctx, (s, e), "quarter")
    a = ctx.anchor
    cands = [(*_bounds("quarter", (yy, q)), yy) for yy in (a.year - 1, a.year, a.year + 1)]
    cue = ctx.tense(s, e)
    this_year = cands[1]
    if cue == "future" and 0 < (a - this_year[1]).days <= 100:
        cue = None  # "will report third-quarter results" in October: the quarter just ended is reported after it
    y = _pick(cands, a, cue)[2]
    return _mention(ctx, (s, e), "quarter", (y, q), relative=True,
                    note=f"year {y} taken from the publication date")


def _time_of(m) -> Optional[tuple[int, int]]:
    gd = m.groupdict()
    if gd.get("word"):
        return (12, 0) if m.group("word").lower() in ("noon", "midday") else (0, 0)
    h = int(m.group("h"))
    mi = int(m.group("mi") or 0)
    ap = (m.group("ap") or "").lower().replace(".", "").replace(" ", "")
    if ap:
        if not 1 <= h <= 12:
            return None
        if ap == "pm" and h != 12:
            h += 12
        elif ap == "am" and h == 12:
            h = 0
    if h > 23 or mi > 59:
        return None
    return h, mi


def _h_time(m, ctx):
    s, e = _span(m)
    hm = _time_of(m)
    if hm is None:
        return None
    if ctx.anchor is None:
        men = _unresolved(ctx, (s, e), "day", type_="time")
    else:
        men = _mention(ctx, (s, e), "day", ctx.anchor, relative=True, type_="time")
        men.value = f"{ctx.anchor.isoformat()}T{hm[0]:02d}:{hm[1]:02d}"
    ctx.times[id(men)] = f"{hm[0]:02d}:{hm[1]:02d}"
    return men


def _h_numeric_wrap(m, ctx):
    return _h_numeric(_NumView(m), ctx)


class _NumView:
    """Adapter so the two numeric alternatives (slashes, dots) share one handler."""

    def __init__(self, m):
        self._m = m
        self.re = m.re

    def group(self, name):
        if name == "b":
            return self._m.group("b") or self._m.group("b2")
        if name == "y":
            return self._m.group("y") or self._m.group("y2")
        return self._m.group(name)

    def span(self, *args):
        return self._m.span(*args)


def _h_dmy_wrap(m, ctx):
    if m.group("d1") is None:
        # a single day: reuse the same handler with d1 := the day
        return _day_month(ctx, _span(m), _int(m.group("y")), _mnum(m.group("mon")), int(m.group("d2")),
                          weekday=m.group("wd"))
    return _day_month(ctx, _span(m), _int(m.group("y")), _mnum(m.group("mon")), int(m.group("d1")),
                      int(m.group("d2")), weekday=m.group("wd"))


def _h_past_unit(m, ctx):
    s, e = _span(m)
    raw = m.group("unit")
    unit = _unit_key(raw)
    plural = raw.lower() != unit and raw.lower() != "century"
    return DateMention(text=ctx.text[s:e], start=s, end=e, value=_duration_value(None if plural else 1, unit),
                       granularity=None, type="duration")


def _h_set_every_checked(m, ctx):
    word = ctx.text[m.start("x"):m.end("x")].lower()
    if re.match(r"(?:(?:once|twice|thrice|\w+\s+times)\s+)?an?\s", word):
        # "a year" is a set only after a count: "15 a year", "twice a week", "$5bn a year"
        if not m.group("freq") and not _COUNT_BEFORE_SET.search(ctx.text[max(0, m.start() - 25):m.start()]):
            return None
        if m.group("num") or m.group("other"):
            return None
        if m.group("unit").lower().startswith("quarter") and not m.group("freq") and not re.search(
                r"(?:\d[\w.,%]*|\b(?:once|twice|thrice|times))\s*$", ctx.text[max(0, m.start() - 25):m.start()], re.I):
            return None  # "about a quarter of its dealers": a fraction
    return _h_set_every(m, ctx)



# --------------------------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------------------------
_PREP = (r"(?:[Ii]n|[Ss]ince|[Bb]y|[Uu]ntil|[Tt]ill|[Ff]rom|[Dd]uring|[Tt]hrough(?:out)?|[Bb]efore|[Aa]fter|of|"
         r"[Bb]etween|[Aa]round|[Ee]nd\s+of|[Ss]tart\s+of|[Bb]eginning\s+of|[Mm]iddle\s+of|as\s+of|[Ee]arly\s+as|"
         r"[Ll]ate\s+as)")
_YEAR_PREP = r"(?:" + _PREP[3:-1] + r"|[Ff]or|[Oo]ver|[Tt]o|[Aa]nd|[Oo]r|[Ee]nd|[Yy]ear)"
_QUAL = r"(?P<q>(?i:early|mid|late))(?:-|\s+|-\s*)"

_RULES: list[tuple[re.Pattern, Callable, str]] = []


def _rule(pattern: str, handler: Callable, need: str = "") -> None:
    _RULES.append((re.compile(pattern), handler, need))


# ISO 8601 dates and datetimes; yyyy/mm/dd
_rule(r"(?<![\d/.-])(?P<y>\d{4})(?P<sep>[-/])(?P<mo>\d{2})(?P=sep)(?P<d>\d{2})"
      r"(?:[T ](?P<h>[01]\d|2[0-3]):(?P<mi>[0-5]\d)(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\d/])",
      _h_iso, "digit")
# numeric d/m/y or m/d/y (only when unambiguous)
_rule(r"(?<![\d/.:-])(?P<a>\d{1,2})(?:/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})|"
      r"[.](?P<b2>\d{1,2})[.](?P<y2>\d{4}))(?![\d/]|\.\d)", _h_numeric_wrap, "digit")
# day month [year], with an optional weekday and day ranges: "Friday, 12 July 2024", "10-11 February 2025"
_rule(r"\b(?:(?P<wd>" + _WEEKDAY_ANY + r"),?\s+(?:the\s+)?)?(?:(?P<d1>" + _DAY + r")" + _ORD + _RANGE_SEP +
      r"(?:the\s+)?)?(?P<d2>" + _DAY + r")" + _ORD + r"\s+(?:of\s+)?(?P<mon>" + _MONTH + r")"
      r"(?:,?\s+(?P<y>" + _YEAR4 + r")(?!\d))?", _h_dmy_wrap, "month")
# cross-month day ranges: "30 January to 2 February 2025"
_rule(r"\b(?P<d1>" + _DAY + r")" + _ORD + r"\s+(?:of\s+)?(?P<mon1>" + _MONTH + r")" + _RANGE_SEP +
      r"(?P<d2>" + _DAY + r")" + _ORD + r"\s+(?:of\s+)?(?P<mon2>" + _MONTH + r")"
      r"(?:,?\s+(?P<y>" + _YEAR4 + r")(?!\d))?", _h_dmy_cross, "month")
# month day [year]: "May 14, 2024", "Jan. 1, 2025", "February 10-11, 2025", "Friday, July 12, 2024"
_rule(r"(?:\b(?P<wd>" + _WEEKDAY_ANY + r"),?\s+)?\b(?P<mon>" + _MONTH + r")\s+(?:the\s+)?(?P<d1>" + _DAY + r")"
      + _ORD + r"(?:" + _RANGE_SEP + r"(?P<d2>" + _DAY + r")" + _ORD + r")?(?!\d|:\d)"
      r"(?!\s*(?:%|percent|per\s+cent))(?:,?\s+(?P<y>" + _YEAR4 + r")(?!\d))?", _h_mdy, "month")
# cross-month: "January 30 - February 2, 2025"
_rule(r"\b(?P<mon1>" + _MONTH + r")\s+(?P<d1>" + _DAY + r")" + _ORD + _RANGE_SEP + r"(?P<mon2>" + _MONTH +
      r")\s+(?P<d2>" + _DAY + r")" + _ORD + r"(?!\d|:\d)(?:,?\s+(?P<y>" + _YEAR4 + r")(?!\d))?", _h_mdy_cross, "month")
# month year: "May 2024", "mid-May 2024", "May and June 2024"
_rule(r"\b(?:" + _QUAL + r")?(?P<mon>" + _MONTH + r")(?:" + _RANGE_SEP + r"(?P<mon2>" + _MONTH + r"))?"
      r",?\s+(?:of\s+)?(?P<y>" + _YEAR4 + r")(?![\d,.]\d)(?!\s*(?:%|percent))", _h_month_year, "month")
# bare month: needs a preposition or a modifier ("in June", "last November", "mid-May")
_rule(r"(?:\b(?P<prep>" + _PREP + r")\s+)?(?P<x>(?:\b(?P<mod>[Ll]ast|[Nn]ext|[Tt]his|[Cc]oming|[Pp]ast)\s+)?"
      r"(?:\b" + _QUAL + r")?\b(?P<mon>" + _FULL_MONTH + r"))\b(?![\'’]s)(?!\s+\d)(?!-)", _h_bare_month, "month")
# month of a relative year: "October of next year", "September last year"
_rule(r"\b(?P<x>(?:" + _QUAL + r")?(?P<mon>" + _MONTH + r"),?\s+(?:of\s+)?(?P<mod>(?i:last|this|next))\s+(?i:year))\b",
      _h_month_rel_year, "month")
# month ranges without day: "between May and June", "from March to May 2024"
_rule(r"\b(?:[Ff]rom|[Bb]etween)\s+(?P<x>(?P<mon>" + _FULL_MONTH + r")" + _RANGE_SEP + r"(?P<mon2>" + _FULL_MONTH
      + r")(?:,?\s+(?P<y>" + _YEAR4 + r")(?!\d))?)", _h_month_range, "month")
# weekdays: "Tuesday", "last Friday", "Tuesday night", "Tuesdays"
_rule(r"\b(?P<x>(?:(?P<mod>[Ll]ast|[Nn]ext|[Tt]his|[Cc]oming|[Pp]ast|[Pp]revious)\s+)?"
      r"(?P<wd>" + _FULL_WEEKDAY + r")(?P<plural>s)?(?:\s+(?:morning|afternoon|evening|night))?)\b",
      _h_weekday, "weekday")
# holidays: "Thanksgiving Day", "last Christmas", "on Election Day"
_rule(r"(?:\b(?P<prep>[Oo]n|[Ss]ince|[Bb]efore|[Aa]fter|[Uu]ntil|[Bb]y|[Oo]ver|[Tt]o|[Aa]t)\s+)?\b(?P<x>(?:(?P<mod>[Ll]ast|"
      r"[Nn]ext|[Tt]his|[Pp]ast|[Cc]oming)\s+)?(?P<h>Thanksgiving(?:\s+Day)?|Christmas(?:\s+(?:Day|Eve))?|"
      r"New\s+Year['’]s\s+(?:Day|Eve)|Election\s+Day|Independence\s+Day))\b(?![-'’])", _h_holiday, "holiday")
# yesterday/today/tomorrow
_rule(r"\b(?P<x>(?i:the\s+day\s+(?:before\s+yesterday|after\s+tomorrow)|(?:earlier|later)\s+today|yesterday|today|"
      r"tomorrow|tonight|this\s+(?:morning|afternoon|evening)|last\s+night))\b", _h_rel_day, "relday")
# last/next/this week|month|year|quarter|decade|weekend (not "the last year": a duration)
_rule(r"(?<!\bthe\s)(?<!\bThe\s)\b(?P<x>(?:(?P<pre>(?i:earlier|later|early|late))\s+)?"
      r"(?P<mod>(?i:last|next|this|past|previous|coming|current))\s+"
      r"(?P<unit>(?i:week|weekend|month|year|quarter|decade|century)))\b(?![-\w])", _h_rel_period, "period")
# "three days ago", "two weeks from now", "in two weeks' time"
_rule(r"\b(?P<x>(?P<num>" + _NUM + r")\s+(?P<unit>" + _UNIT + r")\s+(?P<dir>(?i:ago|from\s+now)))\b",
      _h_ago, "unit")
_rule(r"\b(?i:in)\s+(?P<x>(?P<num>" + _NUM + r")\s+(?P<unit>" + _UNIT + r")(?P<dir>['’]s?\s+time))",
      _h_ago, "unit")
# durations: "three years", "36 hours", "a 22-hour session", "the past three years"
_rule(r"\b(?P<x>(?:(?i:the)\s+(?i:past|last|next|coming|previous|following)\s+)?"
      r"(?P<num>" + _NUM + r")(?P<half>\s+and\s+a\s+half)?(?:\s+|-)(?P<adj>(?i:straight|consecutive|successive|"
      r"full|more|further|additional|extra|trading|working|business)\s+)?(?P<unit>" + _UNIT + r"|(?i:quarters))\b)"
      r"(?!['’]s?\s+time)", _h_duration, "unit")
_rule(r"\b(?P<x>(?:(?i:the)\s+(?i:past|last|coming)\s+)(?P<num>)(?P<unit>" + _UNIT +
      r"))\b", _h_past_unit, "unit")
# sets
_rule(r"\b(?P<x>(?i:annually|biannually|biennially|yearly|monthly|weekly|fortnightly|daily|nightly|hourly|"
      r"quarterly))\b", _h_set_word, "set")
_rule(r"\b(?P<x>(?:(?P<freq>(?i:once|twice|thrice|\d+\s+times|(?:one|two|three|four|five|six|seven|eight|nine|"
      r"ten)\s+times))\s+)?(?i:every|each|per|a)\s+(?:(?P<other>(?i:other))\s+|(?P<num>" + _NUM + r")\s+)?"
      r"(?P<unit>(?i:years?|months?|weeks?|days?|hours?|quarters?|decades?|nights?)|" + _FULL_WEEKDAY + r"))\b",
      _h_set_every_checked, "set")
# years: "in 2024", "2019-2020", "early 2024"; FY2024; decades; quarters
_rule(r"(?:\b(?P<prep>" + _YEAR_PREP + r")\s+)?(?P<x>(?<![\w$€£.,/:#-])(?:" + _QUAL + r")?(?P<y>"
      + _YEAR4 + r")(?:(?:\s*[-\u2013/]\s*|\s+(?:to|until|through)\s+)(?P<y2>" + _YEAR4 +
      r"|\d{2}))?)(?![\w:/]|[.,]\d|-\d)", _h_year, "digit")
_rule(r"\b(?P<x>(?:FY\s?|[Ff]iscal\s+(?:[Yy]ear\s+)?)(?P<y>\d{4}|\d{2}))\b", _h_fiscal_year, "digit")
_rule(r"\b(?P<x>(?:(?P<mon>" + _FULL_MONTH + r")\s+|(?i:the\s+year)\s+)?(?P<y>" + _SPELLED_YEAR + r"))\b(?![-'’])",
      _h_spelled_year, "spelled")
_rule(r"(?P<x>(?:\b(?i:the)\s+)?(?:\b" + _QUAL + r")?(?:\b(?P<c>1\d|20)(?P<d>\d)0s|['’](?P<d2>\d)0s))\b",
      _h_decade, "digit")
_rule(r"\b(?P<x>(?P<q>Q[1-4])(?:\s*(?:of\s+)?['’]?(?P<y>" + _YEAR4 + r"|\d{2}))?)\b(?![-/]\d)", _h_quarter,
      "quarter")
_rule(r"\b(?P<x>(?P<y>" + _YEAR4 + r")[\s-]?(?P<q>Q[1-4]))\b", _h_quarter, "quarter")
_rule(r"\b(?P<x>(?:(?i:the)\s+)?(?P<q>(?i:first|second|third|fourth|final|1st|2nd|3rd|4th))[\s-]+(?i:quarter)"
      r"\s+(?:of\s+)?(?P<mod>(?i:last|this|next))\s+(?i:year))\b", _h_quarter, "quarter")
# "the 1988 third quarter", "1988 second-quarter"
_rule(r"\b(?P<x>(?:(?i:the)\s+)?(?P<y>" + _YEAR4 + r")\s+(?P<q>(?i:first|second|third|fourth|final|1st|2nd|3rd|4th))"
      r"[\s-]+(?i:quarter))\b", _h_quarter, "quarter")
_rule(r"\b(?P<x>(?:(?i:the)\s+)?(?P<q>(?i:first|second|third|fourth|final|1st|2nd|3rd|4th))[\s-]+(?i:quarter)"
      r"(?:\s+(?:of\s+)?(?:(?i:fiscal)\s+)?(?P<y>" + _YEAR4 + r")(?!\d))?)\b", _h_quarter, "quarter")
# times: "08:21 PM", "3 pm", "3.30pm", "at noon"
_TZ = r"(?:\s*(?:GMT|UTC|BST|CET|CEST|EET|EEST|EST|EDT|CST|CDT|MST|MDT|PST|PDT|ET|PT|JST|IST|AEST|AEDT|HKT|SGT)\b" \
      r"(?:\s*[+-]\d{1,2}(?::?\d\d)?)?|\s+(?:local\s+time|Beijing\s+time|GMT))?"
_AMPM = r"(?P<ap>[AaPp]\.\s?[Mm]\.|[AaPp][Mm]\b|[AaPp]\.[Mm]\b)"
_rule(r"(?<![\d:.])(?P<x>(?P<h>[01]?\d|2[0-3]):(?P<mi>[0-5]\d)(?::[0-5]\d)?(?:\s*" + _AMPM + r")?" + _TZ +
      r")(?![\d:])", _h_time, "digit")
_rule(r"(?<![\d:.])(?P<x>(?P<h>1[0-2]|0?[1-9])(?:[.:](?P<mi>[0-5]\d))?\s*" + _AMPM + _TZ + r")", _h_time, "digit")
_rule(r"\b(?:[Aa]t|[Bb]y|[Uu]ntil|[Bb]efore|[Aa]fter|[Ff]rom|[Aa]round|[Aa]bout|[Aa]pproximately|[Tt]ill)\s+"
      r"(?P<x>(?P<word>noon|midday|midnight))\b", _h_time, "time")


# --------------------------------------------------------------------------------------------------------------
# TimeML conventions (extract_dates(..., timeml=True) only): vague references, seasons, definite periods
# resolved on the anchor. The service does not use them: "now" or "the quarter" carry no checkable date.
# --------------------------------------------------------------------------------------------------------------
_REFS = {"now": "PRESENT_REF", "right now": "PRESENT_REF", "currently": "PRESENT_REF", "current": "PRESENT_REF",
         "these days": "PRESENT_REF", "at present": "PRESENT_REF", "presently": "PRESENT_REF",
         "at the moment": "PRESENT_REF", "recently": "PAST_REF", "more recently": "PAST_REF", "recent": "PAST_REF",
         "the past": "PAST_REF",
         "the future": "FUTURE_REF", "the near future": "FUTURE_REF", "future": "FUTURE_REF", "soon": "FUTURE_REF",
         "the near term": "FUTURE_REF", "the short term": "FUTURE_REF", "the long term": "FUTURE_REF",
         "as soon as possible": "FUTURE_REF"}
PERIOD_REF_NOTE = "the period the text is about (TimeML: resolved on the document)"
YEAR_BEFORE_NOTE = "the same period a year earlier (TimeML: resolved on the document)"
CURRENT_PERIOD_NOTE = "the period under way (TimeML: resolved on the document)"
YEAR_PERIOD_NOTE = "the period of that year the text is about (TimeML: resolved on the document)"


def _h_ref(m, ctx):
    s, e = _span(m)
    word = re.sub(r"\s+", " ", m.group("x").lower())
    if word in ("recent", "current", "future"):
        after = ctx.text[e:e + 20]
        if not re.match(r"\s+[A-Za-z]", after):
            return None  # an adjective before a noun only ("a recent filing", "the current four flights")
        if word == "current" and re.match(r"\s+(?:account|affairs|events|flow)\b", after):
            return None
        unit = re.match(r"\s+(years|months|weeks|days|quarters)\b", after)
        if unit:
            e += unit.end()
            if word == "recent" and unit.group(1) != "years":
                # TimeML (TimeBank's majority use): "in recent months" is a duration of unknown length (PXM);
                # "recent years" mostly PAST_REF
                code = {"quarters": "M"}.get(unit.group(1), unit.group(1)[0].upper())
                return DateMention(text=ctx.text[s:e], start=s, end=e, value=f"PX{code}", granularity=None,
                                   type="duration")
    if word == "now" and re.match(r"-\w|\s+that\b", ctx.text[e:e + 6]):
        return None  # "now-defunct", "now that ..."
    return DateMention(text=ctx.text[s:e], start=s, end=e, value=_REFS[word], granularity=None, type="date")


_SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
_SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}


def _h_season(m, ctx):
    s, e = _span(m)
    code = _SEASONS[m.group("season").lower()]
    if m.group("y"):
        y = _year_number(m.group("y"))
    elif ctx.anchor is None:
        return DateMention(text=ctx.text[s:e], start=s, end=e, value=f"XXXX-{code}", granularity=None,
                           resolved=False, note=NO_YEAR_NOTE)
    else:
        a = ctx.anchor
        mod = re.sub(r"\s+", " ", (m.group("mod") or "this").lower())
        started = a.month >= _SEASON_START[code] or (code == "WI" and a.month <= 2)
        y = a.year - 1 if code == "WI" and a.month <= 2 else a.year
        if mod in ("last", "this past", "past") and (not started or code == "WI" and a.month <= 2):
            y -= 1
        elif mod == "next" and started:
            y += 1
    return DateMention(text=ctx.text[s:e], start=s, end=e, value=f"{y}-{code}", granularity=None, type="date",
                       relative=not m.group("y"))


def _h_season_checked(m, ctx):
    if not (m.group("mod") or m.group("y")):
        return None  # "the fall of the wall", "prices fall"
    if m.group("season").lower() == "fall" and not m.group("y") and re.match(r"\s+(?:of|in)\b", ctx.text[m.end():]):
        return None
    return _h_season(m, ctx)


def _h_definite(m, ctx):
    s, e = _span(m)
    if ctx.anchor is None:
        return None
    a = ctx.anchor
    adj = re.sub(r"\s+", " ", (m.group("adj") or "").lower())
    unit = m.group("unit").lower()
    if re.match(r"\s*(?:-|ended|ending|to\s+date|of\s+\d|before|after)\b", ctx.text[e:e + 12]) and \
            unit not in ("quarter", "period"):
        if unit == "year" and re.match(r"\s+(?:ended|ending)\b", ctx.text[e:e + 12]):
            # TimeML: "the (fiscal) year ended Sept. 30" is the twelve months before that date
            return DateMention(text=ctx.text[s:e], start=s, end=e, value="P1Y", granularity=None, type="duration")
        return None  # "the year ended Sept. 30": anchored on the date that follows, not on the document
    if "year-ago" in adj or "year-earlier" in adj or m.group("ago"):
        return DateMention(text=ctx.text[s:e], start=s, end=e, value=str(a.year - 1), granularity="year",
                           type="date", note=YEAR_BEFORE_NOTE)
    if unit in ("quarter", "period"):
        if adj in ("current",):
            kind, key = _rel_period(a, "quarter", 0)
            return _mention(ctx, (s, e), kind, key, relative=True, note=CURRENT_PERIOD_NOTE)
        else:
            kind, key = _rel_period(a, "quarter", -1)  # the last quarter reported
        mention = _mention(ctx, (s, e), kind, key, relative=True, note=PERIOD_REF_NOTE)
        return mention
    if unit == "weekend":
        sat = a - timedelta(days=(a.weekday() - 5) % 7)
        mention = _mention(ctx, (s, e), "week", sat, relative=True, note="weekend")
        mention.range_start, mention.range_end = sat.isoformat(), (sat + timedelta(days=1)).isoformat()
        return mention
    if unit == "day":
        return _mention(ctx, (s, e), "day", a, relative=True)
    kind, key = _rel_period(a, unit, 0)
    return _mention(ctx, (s, e), kind, key, relative=True)


def _h_year_adj(m, ctx):
    s, e = _span(m)
    if ctx.anchor is None:
        return None
    return DateMention(text=ctx.text[s:e], start=s, end=e, value=str(ctx.anchor.year - 1), granularity="year",
                       type="date", note=YEAR_BEFORE_NOTE)


def _h_half_year(m, ctx):
    """TimeML: "the last half of 1989" 1989-H2, "the first two quarters of 1990" 1990-H1."""
    s, e = _span(m)
    h = 1 if m.group("which").lower() == "first" else 2
    y = int(m.group("y"))
    first, last = (date(y, 1, 1), date(y, 6, 30)) if h == 1 else (date(y, 7, 1), date(y, 12, 31))
    return DateMention(text=ctx.text[s:e], start=s, end=e, value=f"{y}-H{h}", granularity=None, type="date",
                       range_start=first.isoformat(), range_end=last.isoformat())


def _h_quarter_year_before(m, ctx):
    """TimeML: "the year-ago third quarter" is the third quarter the text is about, a year earlier."""
    mention = _h_quarter(m, ctx)
    if mention is None or not mention.resolved:
        return mention
    y, q = mention.value.split("-Q")
    return _mention(ctx, (mention.start, mention.end), "quarter", (int(y) - 1, int(q)), relative=True)


def _h_year_period(m, ctx):
    """TimeML: "the 1988 period" in a quarterly report is that year's quarter (resolved on the text's quarter)."""
    return _mention(ctx, _span(m), "year", int(m.group("y")), note=YEAR_PERIOD_NOTE)


# not "previously", "soon", "future" (adjective): TimeBank leaves most of them out
_rule(r"\b(?P<x>(?i:right\s+now|now|currently|more\s+recently|recently|recent|current|these\s+days|at\s+present|"
      r"presently|at\s+the\s+moment|the\s+past|the\s+(?:near\s+)?future|the\s+(?:near|short|long)\s+term|"
      r"as\s+soon\s+as\s+possible))\b(?![-'’])", _h_ref, "timeml")
_rule(r"\b(?P<x>(?:(?P<mod>(?i:this\s+past|this|last|next|past|early|late))\s+)?(?P<season>(?i:spring|summer|"
      r"fall|autumn|winter))(?:\s+(?:of\s+)?(?P<y>" + _YEAR4 + r"|" + _SPELLED_YEAR + r"))?)\b(?![-'’])", _h_season_checked, "timeml")
_rule(r"\b(?P<x>(?i:the)\s+(?:(?P<adj>(?i:latest|current|same|comparable(?:\s+year-(?:ago|earlier))?|"
      r"year-(?:ago|earlier)|full|fiscal|current\s+fiscal|most\s+recent))\s+)?"
      r"(?P<unit>(?i:quarter|period|year|week|weekend|day|month))\b(?![-'’])"
      r"(?P<ago>\s+(?i:a\s+year\s+(?:ago|earlier)))?)", _h_definite, "timeml")
_rule(r"\b(?P<x>(?i:year-(?:ago|earlier)))\b", _h_year_adj, "timeml")
_rule(r"\b(?P<x>(?:(?i:the)\s+)?(?i:year-(?:ago|earlier))\s+(?P<q>(?i:first|second|third|fourth|final|1st|2nd|3rd|4th))"
      r"[\s-]+(?i:quarter))\b", _h_quarter_year_before, "timeml")
_rule(r"\b(?P<x>(?i:the)\s+(?P<y>" + _YEAR4 + r")\s+(?i:period|quarter))\b(?![-'’])", _h_year_period, "timeml")
_rule(r"\b(?P<x>(?:(?i:the)\s+)?(?P<which>(?i:first|second|last|latter))\s+(?i:half|two\s+quarters)\s+of\s+"
      r"(?P<y>" + _YEAR4 + r"))(?!\d)", _h_half_year, "timeml")


# cheap pre-checks: which families of rules can fire at all
_NEEDS = {
    "digit": re.compile(r"\d"),
    "month": re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"),
    "weekday": re.compile(r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)days?\b"),
    "relday": re.compile(r"(?i:yesterday|today|tomorrow|tonight|this\s+(?:morning|afternoon|evening)|last\s+night)"),
    "period": re.compile(r"(?i:\b(?:last|next|this|past|previous|coming|current)\s+(?:week|month|year|quarter|decade|"
                         r"century))"),
    "unit": re.compile(r"(?i:year|yr|month|week|fortnight|day|hour|hr|minute|min|second|sec|decade|centur)"),
    "set": re.compile(r"(?i:annual|yearly|monthly|weekly|fortnightly|daily|nightly|hourly|quarterly|every|each|per|"
                      r"\ban?\s+(?:year|month|week|day|hour|night|quarter|decade)\b)"),
    "quarter": re.compile(r"Q[1-4]|(?i:quarter)"),
    "time": re.compile(r"(?i:noon|midday|midnight)"),
    "spelled": re.compile(r"(?i:nineteen|two\s+thousand)"),
    "holiday": re.compile(r"Thanksgiving|Christmas|New\s+Year|Election\s+Day|Independence\s+Day"),
    "timeml": re.compile(r""),
}
_QUICK = re.compile(r"\d|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|day|week|month|year|quarter|decade|"
                    r"centur|hour|minute|second|tonight|tomorrow|noon|midnight|annual|fortnight|yr|hr|min|sec|every|each|"
                    r"per\b|ago|nineteen|thousand|thanksgiving|christmas)|Q[1-4]|['’]\d0s")

_TIME_JOIN_AFTER = re.compile(r"^\s*(?:,\s*)?(?:at\s+|[-\u2013@]\s*)?$")
_TIME_JOIN_BEFORE = re.compile(r"^\s*(?:,\s*)?(?:on\s+|of\s+)?$")


def _merge_times(ctx: _Ctx, mentions: list[DateMention]) -> list[DateMention]:
    """Join a day and a time next to each other ("at 3 pm on Tuesday", "May 14, 2024 08:21 PM") into one time."""
    out: list[DateMention] = []
    i = 0
    while i < len(mentions):
        cur = mentions[i]
        nxt = mentions[i + 1] if i + 1 < len(mentions) else None
        if nxt is not None:
            gap = ctx.text[cur.end:nxt.start]
            pair = None
            if cur.type == "date" and cur.granularity == "day" and nxt.type == "time" and _TIME_JOIN_AFTER.match(gap):
                pair = (cur, nxt)
            elif id(cur) in ctx.times and nxt.type == "date" and nxt.granularity == "day" and \
                    _TIME_JOIN_BEFORE.match(gap):
                pair = (nxt, cur)
            if pair and id(pair[1]) not in ctx.times:
                pair = None
            if pair:
                day, tm = pair
                hhmm = ctx.times[id(tm)]
                s, e = cur.start, nxt.end
                merged = DateMention(text=ctx.text[s:e], start=s, end=e,
                                     value=f"{day.value}T{hhmm}" if day.value else None, granularity="day",
                                     type="time", range_start=day.range_start, range_end=day.range_end,
                                     resolved=day.resolved, relative=day.relative, note=day.note)
                out.append(merged)
                i += 2
                continue
        out.append(cur)
        i += 1
    return out


def _as_date(anchor) -> Optional[date]:
    if anchor is None:
        return None
    if isinstance(anchor, datetime):
        return anchor.date()
    if isinstance(anchor, date):
        return anchor
    if isinstance(anchor, str):
        return date.fromisoformat(anchor[:10]) if anchor else None
    raise TypeError("anchor must be a date, a datetime or None")


def extract_dates(text: str, anchor: date | datetime | None = None, *, timeml: bool = False) -> list[DateMention]:
    """All temporal expressions in `text` (one sentence or a short text), offsets relative to `text`, in order.

    timeml=True adds what TimeML annotates but the checker cannot use: vague references ("now" PRESENT_REF,
    "recently" PAST_REF, "the future" FUTURE_REF), seasons ("last fall" 1997-FA), definite periods resolved on the
    anchor ("the quarter", "the weekend", "year-earlier") and offsets as dates ("a year earlier")."""
    if not text or not (timeml or _QUICK.search(text)):
        return []
    ctx = _Ctx(text, _as_date(anchor), timeml)
    need_ok = {"timeml": timeml}
    cands = []
    for pattern, handler, need in _RULES:
        if need:
            ok = need_ok.get(need)
            if ok is None:
                ok = need_ok[need] = bool(_NEEDS[need].search(text))
            if not ok:
                continue
        for m in pattern.finditer(text):
            s, e = _span(m)
            if e > s:
                cands.append((s, e, m, handler))
    if not cands:
        return []
    cands.sort(key=lambda c: (c[0] - c[1], c[0]))
    taken: list[tuple[int, int]] = []
    found: list[DateMention] = []
    for s, e, m, handler in cands:
        if any(s < te and ts < e for ts, te in taken):
            continue
        try:
            mention = handler(m, ctx)
        except (ValueError, KeyError, IndexError, OverflowError):  # a candidate we cannot read: skip, never crash
            mention = None
        if mention is None:
            continue
        taken.append((s, e))
        found.append(mention)
    found.sort(key=lambda d: d.start)
    return _merge_times(ctx, found)


# --------------------------------------------------------------------------------------------------------------
# Publication dates
# --------------------------------------------------------------------------------------------------------------
_PARSER = None


def _parser():
    global _PARSER
    if _PARSER is None:
        from dateparser.date import DateDataParser
        _PARSER = DateDataParser(languages=["en"], settings={
            "STRICT_PARSING": True, "RETURN_TIME_AS_PERIOD": True, "PREFER_DAY_OF_MONTH": "first"})
    return _PARSER


_RELATIVE_WORDS = re.compile(r"(?i)\b(?:ago|yesterday|today|tomorrow|tonight|now|last|next|this|in\s+\d+)\b")
_COMPONENTS = [
    re.compile(r"^\D*?(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>" + _MONTH + r"),?\s+(?P<y>\d{4})",
               re.I),
    re.compile(r"(?P<mon>" + _MONTH + r")\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})", re.I),
]


def parse_datetime(text: str) -> datetime | None:
    """Parse a publication date in any common format ("2024-05-14T20:21:00+08:00", "May 14, 2024 08:21 PM",
    "14/05/2024", "Tue, 14 May 2024 12:00:00 GMT"). Return None for empty input; raise ValueError with a plain
    reason for text that is not a date or is impossible ("31 February 2024").

    Date-only input gives midnight; an offset or a zone name gives an aware datetime. A missing day or year is
    never invented ("May 2024" is an error). Ambiguous numeric dates ("05/06/2024") read month first (en)."""
    if text is None:
        return None
    if isinstance(text, datetime):
        return text
    if isinstance(text, date):
        return datetime(text.year, text.month, text.day)
    raw = str(text).strip()
    if not raw:
        return None
    # 1. ISO 8601, the common case
    iso = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    # 2. impossible calendar dates, with a plain reason
    for comp in _COMPONENTS:
        m = comp.search(raw)
        if m:
            mo = int(m.group("mo")) if "mo" in comp.groupindex else _MONTH_NUM.get(
                m.group("mon").rstrip(".").lower())
            if mo is None or not 1 <= mo <= 12:
                raise ValueError(f"impossible date: there is no month {m.group('mo')} in {raw!r}")
            y, d = int(m.group("y")), int(m.group("d"))
            if _valid_day(y, mo, d) is None:
                raise ValueError(_impossible_note(y, mo, d) + f" ({raw!r})")
            break
    # 3. RFC 2822 (HTTP and RSS dates)
    if re.match(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}", raw):
        try:
            parsed = email.utils.parsedate_to_datetime(raw)
            if parsed is not None:
                return parsed
        except (TypeError, ValueError):
            pass
    if _RELATIVE_WORDS.search(raw):
        raise ValueError(f"not a publication date: {raw!r} is relative")
    numeric = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", raw)
    if numeric:
        a, b, y = (int(g) for g in numeric.groups())
        if a > 12 and b > 12 or (a > 12 and b == 0) or a == 0 or b == 0:
            raise ValueError(f"impossible date: {raw!r}")
        if a > 12 and _valid_day(y, b, a) is None or b > 12 and _valid_day(y, a, b) is None:
            raise ValueError(f"impossible date: {raw!r}")
    if not re.search(r"\d", raw):
        raise ValueError(f"not a date: {raw!r}")
    data = _parser().get_date_data(raw)
    if data is None or data.date_obj is None:
        if re.fullmatch(r"\d{4}", raw) or re.fullmatch(r"(?:" + _MONTH + r"|\d{1,2})[ ,/.-]+\d{4}", raw, re.I):
            raise ValueError(f"incomplete date: {raw!r} has no day")
        raise ValueError(f"not a date: {raw!r}")
    if data.period not in ("day", "time"):
        raise ValueError(f"incomplete date: {raw!r} has no day")
    return data.date_obj


def date_range(value: str, granularity: str) -> tuple[str, str]:
    """First and last ISO day covered by a value of that granularity ("2024-Q2","quarter") -> ("2024-04-01","2024-06-30").

    granularity may be None: it is then read from the shape of the value."""
    if not value or not isinstance(value, str):
        raise ValueError("no value")
    v = value.strip()
    g = granularity
    if g is None:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:T.*)?", v):
            g = "day"
        elif re.fullmatch(r"\d{4}-W\d{2}", v):
            g = "week"
        elif re.fullmatch(r"\d{4}-\d{2}", v):
            g = "month"
        elif re.fullmatch(r"\d{4}-Q[1-4]", v):
            g = "quarter"
        elif re.fullmatch(r"\d{4}", v):
            g = "year"
        elif re.fullmatch(r"\d{3}X", v):
            g = "decade"
        else:
            raise ValueError(f"cannot tell the granularity of {value!r}")
    try:
        if g == "day":
            d = date.fromisoformat(v[:10])
            first, last = d, d
        elif g == "week":
            m = re.fullmatch(r"(\d{4})-W(\d{2})", v)
            if not m:
                raise ValueError
            first = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            last = first + timedelta(days=6)
        elif g == "month":
            m = re.fullmatch(r"(\d{4})-(\d{2})", v)
            if not m:
                raise ValueError
            first, last = _bounds("month", (int(m.group(1)), int(m.group(2))))
        elif g == "quarter":
            m = re.fullmatch(r"(\d{4})-Q([1-4])", v)
            if not m:
                raise ValueError
            first, last = _bounds("quarter", (int(m.group(1)), int(m.group(2))))
        elif g == "year":
            if not re.fullmatch(r"\d{4}", v):
                raise ValueError
            first, last = _bounds("year", int(v))
        elif g == "decade":
            m = re.fullmatch(r"(\d{3})X", v)
            if not m:
                raise ValueError
            first, last = _bounds("decade", int(m.group(1)) * 10)
        else:
            raise ValueError(f"unknown granularity {granularity!r}")
    except ValueError as exc:
        if str(exc).startswith("unknown granularity"):
            raise
        raise ValueError(f"{value!r} is not a {g} value") from None
    return first.isoformat(), last.isoformat()
