"""The Store protocol: the contract every backend (SQLite, Elasticsearch) keeps.

The docstrings are the specification; `tests/test_store_contract.py` runs the same tests against each backend.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable, Optional, Protocol, runtime_checkable

from ..models import Passage, Review, Source, Verdict


class StoreError(Exception):
    """Base class of the store's errors."""


class StoreUnavailable(StoreError):
    """The backend cannot be reached or is overloaded; the caller may retry later (HTTP 503)."""

    def __init__(self, message: str, retry_after: int = 5):
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(StoreError):
    """No record with that id."""


class VersionConflict(StoreError):
    """An optimistic-concurrency update used a stale version (HTTP 412)."""


# -- positions for paging by key ("after this item"), which works at any depth on both stores ---------------------
#
# A position is (key, id): the item's sort key in epoch milliseconds (UTC) and its id. Sources are listed newest
# publication day first (sources without a day after all others, as if published on UNDATED_DAY), then by id;
# reviews oldest update first, then by id. Any (key, id) is a valid position, whether or not an item sits there.

UNDATED_DAY = "0001-01-01"
MAX_OFFSET = 10_000  # the deepest `offset` either store serves (Elasticsearch's result window)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MIN_MILLIS = int((datetime(1, 1, 1, tzinfo=timezone.utc) - _EPOCH).total_seconds() * 1000)
MAX_MILLIS = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc) - _EPOCH).total_seconds() * 1000)
Position = tuple[int, str]


def millis(moment: str) -> int:
    """Epoch milliseconds of an ISO day (its midnight UTC) or an ISO timestamp (naive ones read as UTC)."""
    if len(moment) == 10:
        moment = date.fromisoformat(moment).isoformat() + "T00:00:00+00:00"
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int((parsed - _EPOCH).total_seconds() * 1000)


def from_millis(value: int) -> datetime:
    """The UTC moment of epoch milliseconds, clamped to the years 1-9999."""
    from datetime import timedelta

    return _EPOCH + timedelta(milliseconds=min(max(value, MIN_MILLIS), MAX_MILLIS))


def source_position(source: Source) -> Position:
    """Where a source sits in list_sources' order."""
    day = (source.published_at or "")[:10] or UNDATED_DAY
    try:
        return millis(day), source.id
    except ValueError:  # not a day: sorts with the undated ones
        return millis(UNDATED_DAY), source.id


def review_position(review: Review) -> Position:
    """Where a review sits in list_reviews' order."""
    return millis(review.updated_at), review.id


def pack_vector(vector) -> Optional[bytes]:
    """A sentence vector as the stores keep it in a column: float16 bytes (768 for MiniLM's 384 values)."""
    if vector is None:
        return None
    import numpy as np

    return np.asarray(vector, dtype=np.float16).tobytes()


def unpack_vector(data: Optional[bytes]):
    """The float32 vector back from `pack_vector`'s bytes (None stays None)."""
    if not data:
        return None
    import numpy as np

    return np.frombuffer(data, dtype=np.float16).astype(np.float32)


TEXT_WINDOW = 3000  # characters of the source's text a hit carries on each side of its passage


@dataclass
class Hit:
    """A retrieved passage with its source and the backend's relevance score.

    The source's metadata and title are whole, but its `text` is a window of the stored text around the passage:
    from character `text_start` of the whole text, TEXT_WINDOW characters each side of the passage (less at the
    text's ends), so a check never loads a long source's whole text. Read it with `text_between`, by offsets
    of the whole text (the passage's start and end are such offsets)."""

    passage: Passage
    source: Source
    score: float
    text_start: int = 0

    def text_between(self, start: int, end: int) -> str:
        """The source's text from offset `start` to `end` of the whole text, as far as the window holds it."""
        text = self.source.text or ""
        low = min(max(0, start - self.text_start), len(text))
        return text[low:min(max(low, end - self.text_start), len(text))]


def window_bounds(start: int, end: int) -> tuple[int, int]:
    """The offsets of the text window a hit on a passage at [start, end) carries (the end may pass the text's)."""
    return max(0, start - TEXT_WINDOW), end + TEXT_WINDOW


@dataclass
class CheckHit:
    """A saved check found by its claim: the verdict, the claim's stored vector (None when saved without one) and
    the backend's score (the cosine for `nearest_checks`, a full-text relevance for `search_checks`)."""

    check: Verdict
    score: float
    vector: Optional[object] = None


@runtime_checkable
class Store(Protocol):
    """Where sources, their passages, checks and reviews live."""

    def add_source(self, source: Source, passages: list[Passage]) -> bool:
        """Store a source with all its passages atomically; return False (and change nothing) if its id exists."""

    def replace_source(self, source: Source, passages: list[Passage], expected_version: int) -> bool:
        """Store `source` (whose `version` is expected_version + 1) and its passages in place of the stored
        version `expected_version`, keeping the replaced version (see source_versions).

        Readers see the old source with its passages or the new one with its passages, never a mix, whenever
        they look and even if the writer dies half-way (a re-run then completes it). False, changing nothing
        visible, when the stored version is not `expected_version` (another writer came first); NotFound when no
        source has this id.
        """

    def source_head(self, source_id: str) -> Optional[Source]:
        """The stored source without its text (text is ""), to compare versions cheaply; None when absent."""

    def source_versions(self, source_id: str) -> list[Source]:
        """Every stored version of the source with its text, newest (the current one) first; [] when absent."""

    def has_source(self, source_id: str) -> bool:
        """True when a source with this id is stored."""

    def get_source(self, source_id: str) -> Optional[Source]:
        """The source, or None."""

    def get_passages(self, source_id: str) -> list[Passage]:
        """The source's passages in text order ([] for an unknown id)."""

    def list_sources(self, *, query: Optional[str] = None, publisher: Optional[str] = None,
                     published_from: Optional[str] = None, published_to: Optional[str] = None,
                     limit: int = 50, offset: int = 0, after: Optional[Position] = None) -> list[Source]:
        """Sources, newest publication day first (undated last), then by id, optionally filtered (full text on
        title and text). `after` (a position, see source_position) starts the list after that position and
        works at any depth; `offset` only up to 10,000 items (past that: [])."""

    def search(self, text: str, *, entities: Iterable[str] = (), date_from: Optional[str] = None,
               date_to: Optional[str] = None, as_of: Optional[str] = None, publisher: Optional[str] = None,
               limit: int = 50) -> list[Hit]:
        """Passages relevant to `text`, best first.

        `entities` (normalised keys) and the date range [date_from, date_to] (ISO days, a passage matches when
        one of its dates overlaps the range) boost, they do not filter; `as_of` filters out sources published
        after that day (sources without a publication date are kept); `publisher` filters.
        """

    def nearest(self, vector, *, as_of: Optional[str] = None, publisher: Optional[str] = None,
                limit: int = 20) -> list[Hit]:
        """The passages whose sentence vectors are closest to `vector` (cosine), best first, each Hit's score
        being that cosine; passages stored without a vector are not found this way. `as_of` and `publisher`
        filter as in `search`."""

    def candidates(self, text: str, vector, *, entities: Iterable[str] = (), date_from: Optional[str] = None,
                   date_to: Optional[str] = None, as_of: Optional[str] = None, limit: int = 50,
                   nearest_limit: int = 20) -> tuple[list[Hit], list[Hit]]:
        """What a check reads: `search(text, ...)` and `nearest(vector, limit=nearest_limit)` (none without a
        vector), answered together (a store may send both queries at once)."""

    def timeline(self, *, query: Optional[str] = None, entity: Optional[str] = None,
                 date_from: Optional[str] = None, date_to: Optional[str] = None,
                 as_of: Optional[str] = None, limit: int = 200) -> list[Hit]:
        """Passages carrying at least one resolved date (overlapping the range if given) that match the query
        and/or the entity key, ordered by their first date's range_start, then source id."""

    def save_check(self, verdict: Verdict) -> str:
        """Persist a verdict; assign `verdict.id` if it has none; return the id. The claim is indexed by its terms
        (textutil.index_terms) and, when `verdict.claim_vector` is set, by that vector, for the two methods below;
        saving under a stored id replaces that check and its index entries."""

    def nearest_checks(self, vector, *, limit: int = 20) -> list[CheckHit]:
        """Saved checks whose claim vectors are closest to `vector` (cosine), best first, each CheckHit's score
        being that cosine and its vector the stored one; checks saved without a vector are not found this way."""

    def search_checks(self, text: str, *, limit: int = 20) -> list[CheckHit]:
        """Saved checks whose claims share at least one indexed term with `text`, most relevant first (the score
        is the backend's full-text relevance: compare it within one answer only); [] when `text` has no term."""

    def get_check(self, check_id: str) -> Optional[Verdict]:
        """The stored verdict, or None."""

    def create_review(self, review: Review) -> Review:
        """Store a new review (version 1); VersionConflict if a review with its id exists."""

    def get_review(self, review_id: str) -> Optional[Review]:
        """The review, or None."""

    def update_review(self, review: Review, expected_version: int) -> Review:
        """Replace the stored review if its stored version is `expected_version`, storing it with version + 1;
        VersionConflict when another update came first (the stored version differs), NotFound if absent."""

    def list_reviews(self, *, status: Optional[str] = None, verdict: Optional[str] = None,
                     assignee: Optional[str] = None, limit: int = 50, offset: int = 0,
                     after: Optional[Position] = None, flagged_by: Optional[str] = None,
                     created_before: Optional[str] = None) -> list[Review]:
        """Reviews, oldest update first (the queue order), then by id, filtered by status, machine verdict,
        assignee, who flagged the check (Review.flagged_by) and `created_before` (an ISO UTC timestamp: only
        reviews flagged before it, i.e. that have waited at least so long). `after` (a position, see
        review_position) works at any depth; `offset` only up to 10,000."""

    def stats(self) -> dict:
        """Counts: {"sources": n, "passages": n, "checks": n}."""

    def close(self) -> None:
        """Release connections."""
