"""Plain data records shared by every layer (no Flask, no store, no NLP imports here).

Offsets: a passage's `start`/`end` are character offsets into its source's `text`; the offsets of the
dates, entities and numbers found in a passage (or in a claim) are relative to that passage's (claim's) text.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Optional

GRANULARITIES = ("day", "week", "month", "quarter", "year", "decade")
DATE_TYPES = ("date", "time", "duration", "set")
STANCES = ("supports", "conflicts", "related")
VERDICTS = ("SUPPORTED", "REFUTED", "CONFLICTING", "NOT_ENOUGH_EVIDENCE")


@dataclass
class DateMention:
    """A temporal expression: its span, its normalised value and what it covers.

    value: ISO-like value for its granularity: "2024-05-14" (day), "2024-W20" (week), "2024-05" (month),
    "2024-Q2" (quarter), "2024" (year), "202X" (decade); durations "P3Y"; None when unresolved.
    range_start/range_end: the first and last day covered (ISO dates, inclusive) for dates; None otherwise.
    resolved: False for a relative expression without an anchor ("on Tuesday" with no publication date);
    note says why in plain words.
    """

    text: str
    start: int
    end: int
    value: Optional[str]
    granularity: Optional[str]
    type: str = "date"
    range_start: Optional[str] = None
    range_end: Optional[str] = None
    resolved: bool = True
    relative: bool = False
    note: Optional[str] = None

    def public(self) -> dict:
        """The shape used in JSON verdicts."""
        return {"text": self.text, "value": self.value, "granularity": self.granularity,
                "start": self.start, "end": self.end}


@dataclass
class Entity:
    """A person, organisation or place; `key` is the normalised form used for matching ("united states")."""

    text: str
    start: int
    end: int
    label: str  # PERSON, ORG, PLACE, OTHER
    key: str


@dataclass
class Number:
    """A quantity: "€200bn" -> value 200e9, unit "EUR"; "27 countries" -> 27, unit "countries"."""

    text: str
    start: int
    end: int
    value: float
    unit: Optional[str] = None
    kind: str = "count"  # count, money, percent, ordinal, other


@dataclass
class Passage:
    """One sentence of a source, with what was extracted from it."""

    source_id: str
    index: int
    text: str
    start: int
    end: int
    dates: list[DateMention] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    numbers: list[Number] = field(default_factory=list)
    is_claim: bool = False
    claim_score: float = 0.0
    speaker: Optional[str] = None
    # The sentence's MiniLM vector (384 float32 values, unit length) when the encoder ran; the stores keep it
    # apart from the record (to_dict leaves it out), in a compact column or a dense_vector field.
    vector: Optional[Any] = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        return f"{self.source_id}:{self.index}"

    def to_dict(self) -> dict:
        """Like dataclasses.asdict without the vector, plus "id"; built directly (asdict deep-copies every
        value and was 46 % of a SQLite write)."""
        data = {name: getattr(self, name) for name in _PASSAGE_FIELDS}
        data["dates"] = [{name: getattr(d, name) for name in _DATE_FIELDS} for d in self.dates]
        data["entities"] = [{name: getattr(e, name) for name in _ENTITY_FIELDS} for e in self.entities]
        data["numbers"] = [{name: getattr(n, name) for name in _NUMBER_FIELDS} for n in self.numbers]
        data["id"] = self.id
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Passage":
        data = dict(data)
        data.pop("id", None)
        data.pop("vector", None)
        data["dates"] = [DateMention(**d) for d in data.get("dates") or []]
        data["entities"] = [Entity(**e) for e in data.get("entities") or []]
        data["numbers"] = [Number(**n) for n in data.get("numbers") or []]
        return cls(**data)


# What makes two versions of a source differ: the text (by its hash) and every field stored with it.
SOURCE_CONTENT_FIELDS = ("content_hash", "url", "publisher", "published_at", "title")


@dataclass
class Source:
    """An ingested document. `id` is the caller's id or, failing that, derived from the content hash.

    `version` starts at 1 and goes up by one each time different content is stored under the same id; the
    versions it replaced are kept (Store.source_versions), and `ingested_at` is when this version was stored.
    """

    id: str
    text: str
    content_hash: str
    url: Optional[str] = None
    publisher: Optional[str] = None
    published_at: Optional[str] = None  # ISO 8601 (date or datetime), None when unknown
    title: Optional[str] = None
    ingested_at: Optional[str] = None
    version: int = 1
    title_vector: Optional[Any] = field(default=None, repr=False, compare=False)  # like Passage.vector

    def to_dict(self) -> dict:
        """Like dataclasses.asdict without title_vector, built directly (all fields are plain values)."""
        return {name: getattr(self, name) for name in _SOURCE_FIELDS}

    def same_content(self, other: "Source") -> bool:
        """True when `other` has the same text and metadata (a re-ingest of it changes nothing)."""
        return all(getattr(self, name) == getattr(other, name) for name in SOURCE_CONTENT_FIELDS)

    @classmethod
    def from_dict(cls, data: dict) -> "Source":
        values = {k: data.get(k) for k in cls.__dataclass_fields__ if k != "title_vector"}
        values["version"] = int(values["version"] or 1)
        return cls(**values)


@dataclass
class Evidence:
    """A passage judged against a claim."""

    source_id: str
    url: Optional[str]
    publisher: Optional[str]
    published_at: Optional[str]
    sentence: str
    start: int
    end: int
    dates: list[dict]
    stance: str
    score: float
    reason: str
    passage_id: Optional[str] = None
    title: Optional[str] = None
    highlights: list[dict] = field(default_factory=list)  # {"start","end","kind","role"} within the sentence


@dataclass
class Verdict:
    claim: str
    verdict: str
    confidence: float
    as_of: Optional[str]
    dates: list[dict]
    evidence: list[Evidence]
    claim_date: Optional[str] = None
    id: Optional[str] = None
    created_at: Optional[str] = None
    # The claim's MiniLM vector when it was computed (factcheck.repeat): the stores keep it beside the saved
    # check to find earlier checks of the same claim; like Passage.vector it is not part of to_dict.
    claim_vector: Optional[Any] = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        data = asdict(replace(self, claim_vector=None))
        del data["claim_vector"]
        if data.get("id") is None:
            data.pop("id")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Verdict":
        data = dict(data)
        data["evidence"] = [Evidence(**e) for e in data.get("evidence") or []]
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k != "claim_vector"})


REVIEW_STATUSES = ("pending", "in_review", "approved", "overridden", "dismissed", "published")


@dataclass
class Review:
    """An editor's review of a check: status, assignee, the editor's rating and explanation, notes, audit trail.

    `version` increases by one on every change; updates name the version they were based on (optimistic
    concurrency: a stale version is refused). A published review is locked.
    """

    id: str  # the check's id: one review per check
    check_id: str
    claim: str
    machine_verdict: str
    status: str = "pending"
    assignee: Optional[str] = None
    rating: Optional[str] = None  # the editor's verdict label (SUPPORTED, REFUTED, ...)
    explanation: Optional[str] = None
    claimant: Optional[str] = None  # who made the claim, for the ClaimReview's itemReviewed.author
    appearance: Optional[str] = None  # a URL where the claim first appeared
    claim_date: Optional[str] = None  # the ISO day the claim was made (ClaimReview itemReviewed.datePublished)
    claimant_type: Optional[str] = None  # "Person" or "Organization": what the claimant is
    notes: list[dict] = field(default_factory=list)  # {"at", "by", "text"}
    audit: list[dict] = field(default_factory=list)  # {"at", "by", "action", "changes": {field: [old, new]}}
    # Evidence an editor left out of the published check: {"passage_id", "reason", "by", "at", "publisher", "sentence"}
    excluded: list[dict] = field(default_factory=list)
    # Sources an editor added by URL: {"source_id", "url", "publisher", "published_at", "title", "sentence",
    # "stance", "by", "at"}
    added: list[dict] = field(default_factory=list)
    version: int = 1
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    published_at: Optional[str] = None

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def flagged_by(self) -> Optional[str]:
        """Who put the check in the queue (the first audit entry)."""
        first = self.audit[0] if self.audit else {}
        return first.get("by") if first.get("action") == "flagged" else None

    @classmethod
    def from_dict(cls, data: dict) -> "Review":
        # Reviews stored before a list field existed read it as empty.
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data and data.get(k) is not None})


def _names(cls, *leave_out: str) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name not in leave_out)


_DATE_FIELDS = _names(DateMention)
_ENTITY_FIELDS = _names(Entity)
_NUMBER_FIELDS = _names(Number)
_PASSAGE_FIELDS = _names(Passage, "vector")
_SOURCE_FIELDS = _names(Source, "title_vector")
