"""TimeML interop: tag the TEXT of TempEval-3 documents with TIMEX3 elements found by our date extractor.

A TempEval-3 input file (``.TE3input`` or ``.tml``) holds a DCT (a TIMEX3 with
functionInDocument="CREATION_TIME") and a TEXT element. Annotated (gold) files are accepted as input too: the
TIMEX3/EVENT/SIGNAL tags inside TEXT are stripped first, and the instance/link elements that pointed at them are
dropped. The characters of TEXT are kept exactly as written (entities such as ``&amp;`` included): the text is
read with a small tokenizer that remembers the raw form of every character, and tags are inserted between those
raw pieces, so nothing between the tags changes. The whole document is also parsed with ElementTree, which
rejects malformed XML and reads the DCT.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Optional
from xml.sax.saxutils import quoteattr

from .extract.dates import PERIOD_REF_NOTE, YEAR_BEFORE_NOTE, YEAR_PERIOD_NOTE, extract_dates
from .models import DateMention

__all__ = ["TimeMLDocument", "GoldTimex", "read_timeml", "tag_text", "timex_of", "annotate", "convert_dir",
           "SUFFIXES"]

SUFFIXES = (".tml", ".te3input")
_TYPE = {"date": "DATE", "time": "TIME", "duration": "DURATION", "set": "SET"}
_TOKEN = re.compile(r"<!--.*?-->|<!\[CDATA\[(?P<cdata>.*?)\]\]>|<(?P<close>/)?(?P<tag>[A-Za-z_][\w.:-]*)"
                    r"(?P<attrs>[^>]*?)(?P<empty>/)?>|&(?P<ent>#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z]+);", re.S)
_ATTR = re.compile(r"([\w.:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TEXT_OPEN = re.compile(r"<TEXT(?:\s[^>]*)?>")
_TEXT_CLOSE = "</TEXT>"
# elements after TEXT that refer to the TEXT annotations we strip
_LINKS = re.compile(r"[ \t]*<(?:MAKEINSTANCE|TLINK|SLINK|ALINK)\b[^>]*?/>[ \t]*\r?\n?|"
                    r"[ \t]*<(TLINK|SLINK|ALINK)\b[^>]*>.*?</\1>[ \t]*\r?\n?", re.S)
_XML_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


@dataclass
class GoldTimex:
    """A TIMEX3 found in the input TEXT (character offsets into the plain text)."""

    start: int
    end: int
    type: str
    value: Optional[str]
    tid: Optional[str] = None


@dataclass
class TimeMLDocument:
    """A TimeML document split into what comes before TEXT, TEXT (plain and raw) and what comes after."""

    head: str                 # everything up to and including <TEXT>
    tail: str                 # everything from </TEXT> on
    text: str                 # the plain text of TEXT (tags stripped, entities decoded)
    pieces: list[str]         # the raw form of each character of `text` (len(pieces) == len(text))
    dct: Optional[date]
    dct_value: Optional[str]
    dct_tid: Optional[str]
    gold: list[GoldTimex] = field(default_factory=list)
    stripped: bool = False    # True when TEXT carried annotations


def _decode_entity(name: str) -> str:
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    if name in _XML_ENTITIES:
        return _XML_ENTITIES[name]
    decoded = html.unescape(f"&{name};")
    if decoded == f"&{name};":
        raise ValueError(f"unknown entity &{name};")
    return decoded


def _read_text(raw: str) -> tuple[str, list[str], list[GoldTimex], bool]:
    """Plain text, raw pieces, the gold TIMEX3 spans and whether any tag was present, from TEXT's content."""
    chars: list[str] = []
    pieces: list[str] = []
    gold: list[GoldTimex] = []
    open_timex: list[tuple[int, dict]] = []
    tagged = False
    pos = 0
    for m in _TOKEN.finditer(raw):
        for ch in raw[pos:m.start()]:
            chars.append(ch)
            pieces.append(ch)
        pos = m.end()
        if m.group("ent"):
            chars.append(_decode_entity(m.group("ent")))
            pieces.append(m.group(0))
        elif m.group("cdata") is not None:
            for ch in m.group("cdata"):
                chars.append(ch)
                pieces.append(html.escape(ch, quote=False))
        elif m.group("tag"):
            tagged = True
            if m.group("tag") != "TIMEX3":
                continue
            if m.group("close"):
                if open_timex:
                    start, attrs = open_timex.pop()
                    gold.append(GoldTimex(start, len(chars), attrs.get("type", ""), attrs.get("value"),
                                          attrs.get("tid")))
            elif not m.group("empty"):
                attrs = {a.group(1): html.unescape(a.group(2) if a.group(2) is not None else a.group(3))
                         for a in _ATTR.finditer(m.group("attrs"))}
                open_timex.append((len(chars), attrs))
    for ch in raw[pos:]:
        chars.append(ch)
        pieces.append(ch)
    gold.sort(key=lambda g: (g.start, g.end))
    return "".join(chars), pieces, gold, tagged


def read_timeml(raw: str) -> TimeMLDocument:
    """Parse a TempEval-3 document; raise ValueError when it is not well-formed or has no TEXT."""
    try:
        root = ET.fromstring(raw.encode("utf-8") if raw.lstrip().startswith("<?xml") else raw)
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    dct = dct_value = dct_tid = None
    for timex in root.iter("TIMEX3"):
        if timex.get("functionInDocument") == "CREATION_TIME":
            dct_value, dct_tid = timex.get("value"), timex.get("tid")
            break
    if dct_value:
        try:
            dct = date.fromisoformat(dct_value[:10])
        except ValueError:
            dct = None
    opening = _TEXT_OPEN.search(raw)
    closing = raw.rfind(_TEXT_CLOSE)
    if not opening or closing < opening.end():
        raise ValueError("no TEXT element")
    text, pieces, gold, tagged = _read_text(raw[opening.end():closing])
    return TimeMLDocument(head=raw[:opening.end()], tail=raw[closing:], text=text, pieces=pieces, dct=dct,
                          dct_value=dct_value, dct_tid=dct_tid, gold=gold, stripped=tagged)


_PART_OF_DAY = re.compile(r"(?i)(?:\b|to)(night|evening|morning|afternoon)\s*$")
_PART_CODE = {"night": "TNI", "evening": "TEV", "morning": "TMO", "afternoon": "TAF"}


_FRACTION = re.compile(r"P(T?)(\d+)\.5([YDHM])")
_HALF = {("", "Y"): ("", "6M"), ("", "D"): ("T", "12H"), ("T", "H"): ("", "30M"), ("T", "M"): ("", "30S")}


def _whole_units(value: str) -> str:
    """TimeML writes "two and a half years" as P2Y6M, "5 1/2 hours" as PT5H30M (ISO 8601 without fractions)."""
    m = _FRACTION.fullmatch(value)
    if not m or (m.group(1), m.group(3)) not in _HALF:
        return value
    t, unit = _HALF[(m.group(1), m.group(3))]
    whole = f"{m.group(2)}{m.group(3)}" if m.group(2) != "0" else ""
    return f"P{m.group(1)}{whole}{t}{unit}"


def timex_of(mention: DateMention) -> tuple[str, str]:
    """(TIMEX3 type, TIMEX3 value) of a DateMention."""
    type_ = _TYPE.get(mention.type, "DATE")
    value = mention.value
    if not value:
        value = {"month": "XXXX-XX", "day": "XXXX-XX-XX"}.get(mention.granularity or "", "XXXX")
    elif mention.granularity == "week" and mention.note == "weekend" and re.fullmatch(r"\d{4}-W\d\d", value):
        value += "-WE"
    elif type_ in ("DURATION", "SET") and "." in value:
        value = _whole_units(value)
    elif type_ == "DATE" and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        part = _PART_OF_DAY.search(mention.text)
        if part:  # "Wednesday night" -> 2000-04-05TNI
            type_, value = "TIME", value + _PART_CODE[part.group(1).lower()]
    return type_, value


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“‘(`]*[A-Z])|\n\s*\n")
# a full stop after these is an abbreviation, not the end of a sentence ("Sept. 30", "Mr. Smith", "U.S. troops")
_ABBREVIATION = re.compile(r"(?:\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mon|Tue|Tues|Wed|Thu|Thur|"
                           r"Thurs|Fri|Sat|Sun|Mr|Mrs|Ms|Dr|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|Prof|St|Co|Corp|"
                           r"Inc|Ltd|Bros|No|Vol|vs|Jr|Sr|Ft|Mt)|\b[A-Z]|\.[A-Za-z])\.$")


_QUARTER_VALUE = re.compile(r"(\d{4})-Q([1-4])")
_ENDED = re.compile(r"\s+(?:ended|ending)\b")
_YEAR_BACK = re.compile(r"(?i)an?\s+year\s+(?:ago|earlier)|year-(?:ago|earlier)")


def _in_context(found: list[DateMention], anchor: Optional[date] = None,
                text: Optional[str] = None) -> list[DateMention]:
    """TimeML resolves "the quarter" on the quarter the text last named, and "a year earlier" on that quarter a
    year before (financial reports compare periods); without a named quarter the anchor-based value stays."""
    last_quarter = None
    tentative = False
    months = False  # "the first nine months ... the 1988 period": the period is not a quarter
    for mention in found:
        value = mention.value or ""
        named = _QUARTER_VALUE.fullmatch(value)
        if mention.type == "duration" and value in ("P6M", "P9M"):
            months = True
        if mention.note == PERIOD_REF_NOTE and last_quarter:
            mention.value = last_quarter
        elif (mention.note == YEAR_BEFORE_NOTE or _YEAR_BACK.fullmatch(mention.text.strip())) and last_quarter:
            y, q = last_quarter.split("-Q")
            mention.value, mention.granularity = f"{int(y) - 1}-Q{q}", "quarter"
        elif mention.note == YEAR_PERIOD_NOTE and last_quarter and not months:
            mention.value, mention.granularity = f"{value}-Q{last_quarter[-1]}", "quarter"
        elif named and mention.type == "date" and mention.range_end and \
                (anchor is None or mention.range_end < anchor.isoformat() or
                 text is not None and _ENDED.match(text, mention.end)):
            # the quarter a report is about has ended ("fourth quarter ended Sept. 30" is a fiscal one); the
            # latest one named is the report's own ("a fourth-quarter charge" in November and "after a flat
            # second quarter" do not change it)
            last_quarter = value if tentative else max(last_quarter or value, value)
            months = tentative = False
        elif named and mention.type == "date" and last_quarter is None:
            # a fiscal quarter reported before its calendar end ("reported a decline in fourth-quarter earnings"
            # in November): the report's own until an ended quarter is named
            last_quarter, tentative = value, True
    return found


def tag_text(text: str, anchor: Optional[date]) -> list[DateMention]:
    """Temporal expressions of a whole document, found sentence by sentence (as the service does at ingest) with
    the TimeML conventions on (vague references, seasons, periods resolved on the document)."""
    found: list[DateMention] = []
    start = 0
    bounds = [m.end() for m in _SENTENCE_END.finditer(text)
              if not _ABBREVIATION.search(text, max(0, m.start() - 6), m.start())] + [len(text)]
    for end in bounds:
        if end <= start:
            continue
        for mention in extract_dates(text[start:end], anchor, timeml=True):
            mention.start += start
            mention.end += start
            found.append(mention)
        start = end
    return _in_context(found, anchor, text)


def annotate(raw: str) -> str:
    """The document with its TEXT tagged by our TIMEX3s (input annotations inside TEXT removed)."""
    doc = read_timeml(raw)
    mentions = tag_text(doc.text, doc.dct)
    opening: dict[int, list[str]] = {}
    closing: dict[int, int] = {}
    number = 1
    for mention in mentions:
        # never split an entity, never emit an empty or whitespace-only element
        start, end = mention.start, mention.end
        while start < end and doc.text[start].isspace():
            start += 1
        while end > start and doc.text[end - 1].isspace():
            end -= 1
        if end <= start:
            continue
        tid = f"t{number}"
        while tid == doc.dct_tid:
            number += 1
            tid = f"t{number}"
        number += 1
        type_, value = timex_of(mention)
        tag = f"<TIMEX3 tid={quoteattr(tid)} type={quoteattr(type_)} value={quoteattr(value)}>"
        opening.setdefault(start, []).append(tag)
        closing[end] = closing.get(end, 0) + 1
    out: list[str] = []
    for index, piece in enumerate(doc.pieces):
        out.append("</TIMEX3>" * closing.get(index, 0))
        out.extend(opening.get(index, ()))
        out.append(piece)
    out.append("</TIMEX3>" * closing.get(len(doc.pieces), 0))
    tail = _LINKS.sub("", doc.tail) if doc.stripped else doc.tail
    return doc.head + "".join(out) + tail


def convert_dir(in_dir: str | Path, out_dir: str | Path) -> tuple[int, list[tuple[str, str]]]:
    """Annotate every TempEval-3 file under in_dir into out_dir (same relative names); (written, failures)."""
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    if not in_dir.is_dir():
        raise ValueError(f"{in_dir}: not a directory")
    written, failures = 0, []
    for path in sorted(p for p in in_dir.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES):
        target = out_dir / path.relative_to(in_dir)
        try:
            raw = path.read_text(encoding="utf-8")
            result = annotate(raw)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result, encoding="utf-8")
            written += 1
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            failures.append((str(path), str(exc)))
    return written, failures
