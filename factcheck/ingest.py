"""Read files and URLs into sources, extract their passages and store them.

Flow: readers (`iter_path`, `iter_url`) yield `RawItem`s (a raw record or the reason it could not be read, with
its origin "file.jsonl:12"); `validate_record` turns a raw record into a `Source`; `ingest_records` /
`ingest_paths` extract passages and store them (`save_source`: a new source, or a new version of one whose
content changed). Everything streams: a JSONL file is read a line at a time, so memory stays bounded by the
largest single record. URLs are fetched by factcheck.fetch. With `workers` > 1 (`ingest --workers N`) the
extraction runs in worker processes (factcheck.ingest_pool); everything else stays in this process.

Encoding policy: files must be UTF-8 (a UTF-8 or UTF-16 byte-order mark is honoured). There is no silent
cp1252/Latin-1 fallback, because it would store mojibake without anyone noticing; a file that is not valid
UTF-8 is rejected with the byte offset, and a file with NUL bytes in its first KB is rejected as binary. HTML may
declare another charset (<meta charset>), which is then used.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import os
import queue
import threading
import re
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from . import jsonsafe
from .config import Config
from .models import Source
from .store.base import StoreError, StoreUnavailable

SUPPORTED_SUFFIXES = (".json", ".jsonl", ".txt", ".html", ".htm")
MAX_ERRORS = 200
ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,200}")
RECORD_FIELDS = ("id", "text", "url", "publisher", "published_at", "title")
# Something to read: a character that is not a space, a control character or an invisible format mark. An explicit
# class (no \s or \S), so that the OpenAPI document's pattern means the same in every regex engine.
VISIBLE = r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]"
_VISIBLE = re.compile(VISIBLE)


def has_visible_text(value: str) -> bool:
    """True when `value` holds something to read (the pattern VISIBLE matches somewhere in it)."""
    return bool(_VISIBLE.search(value))
# C0/C1 controls except \t and \n, lone surrogates and stray byte-order marks; \r is handled before this runs.
_UNWANTED_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff]")
_TIME_IN_TEXT = re.compile(r"\d:\d\d|T\d\d|\b(?:am|pm|noon|midnight)\b", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class IngestError(Exception):
    """A record or an input that cannot be ingested; `reason` is a complete sentence naming the field."""

    def __init__(self, field: Optional[str], reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class RawItem:
    """One raw record with where it came from, or the reason it could not be read."""

    item: str
    record: Optional[dict] = None
    error: Optional[str] = None


@dataclass
class IngestReport:
    """What a batch did: counts, the first MAX_ERRORS errors, and where it stopped if the store went away."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)
    added_ids: list[str] = field(default_factory=list)  # added or updated (a new version), in order
    stopped: Optional[str] = None
    not_attempted: list[str] = field(default_factory=list)

    def add_error(self, item: str, reason: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"item": item, "reason": reason})

    @property
    def errors_dropped(self) -> int:
        return self.failed - len(self.errors)

    def summary(self) -> str:
        return f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, failed {self.failed}"

    def to_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged, "failed": self.failed,
                "errors": list(self.errors), "errors_dropped": self.errors_dropped,
                "stopped": self.stopped, "not_attempted": list(self.not_attempted)}


# ---------------------------------------------------------------------------------------------------------------
# Validation and normalisation


def normalise_text(text: str) -> str:
    """NFC, \\n line ends, no control characters (tabs and newlines kept), no surrounding whitespace."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNWANTED_CHARS.sub("", text)
    return unicodedata.normalize("NFC", text).strip()


def content_hash(text: str) -> str:
    """sha256 hex of the (normalised) text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _optional_str(raw: dict, name: str, max_chars: int) -> Optional[str]:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise IngestError(name, f"{name} must be a string, not {_type_name(value)}")
    if len(value) > max_chars:  # as sent, as the OpenAPI document counts it
        raise IngestError(name, f"{name} is {len(value):,} characters; the limit is {max_chars:,}")
    return " ".join(normalise_text(value).split()) or None


def _type_name(value) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)


def normalise_published_at(value) -> Optional[str]:
    """An ISO string: a date "2024-05-14" for a date-only input, else a datetime keeping any given offset."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise IngestError("published_at", f"published_at must be a string, not {_type_name(value)}")
    value = value.strip()
    if not value:
        return None
    from .extract.dates import parse_datetime

    try:
        parsed = parse_datetime(value)
    except ValueError as exc:
        reason = str(exc) or "not a date"
        if value not in reason:
            reason = f"{reason} ({value!r})"
        raise IngestError("published_at", f"published_at: {reason}") from None
    if parsed is None:
        return None
    # the parser may hand back midnight (even with a default zone) for "2024-05-14": keep it a plain date
    date_only = ((parsed.hour, parsed.minute, parsed.second, parsed.microsecond) == (0, 0, 0, 0)
                 and not _TIME_IN_TEXT.search(value))
    return parsed.date().isoformat() if date_only else parsed.isoformat()


def _unknown_field(raw: dict) -> None:
    """IngestError naming the first field a source does not have (a misspelt field is never silently dropped)."""
    import difflib

    unknown = sorted(str(name) for name in raw if name not in RECORD_FIELDS)
    if not unknown:
        return
    name = unknown[0]
    guess = difflib.get_close_matches(name, RECORD_FIELDS, n=1, cutoff=0.75)
    hint = f"did you mean {guess[0]}?" if guess else "a source has " + ", ".join(RECORD_FIELDS)
    more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
    raise IngestError(name[:100], f"unknown field {name[:100]!r}{more}: {hint}")


def validate_record(raw: dict, config: Config) -> Source:
    """Check and normalise one raw record into a Source; raise IngestError(field, reason) when it is unusable."""
    if not isinstance(raw, dict):
        raise IngestError(None, f"a record must be a JSON object, not {_type_name(raw)}")
    _unknown_field(raw)
    if "text" not in raw or raw["text"] is None:
        raise IngestError("text", "text is missing")
    text = raw["text"]
    if not isinstance(text, str):
        raise IngestError("text", "text must be a string")
    # chars <= bytes, so only texts near the limit need the (costly) exact count
    if len(text) * 4 > config.max_text_bytes:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > config.max_text_bytes:
            raise IngestError("text", f"text is {size:,} bytes; the limit is {config.max_text_bytes:,}")
    text = normalise_text(text)
    if not has_visible_text(text):
        raise IngestError("text", "text is empty")
    digest = content_hash(text)

    source_id = raw.get("id")
    if source_id is None:
        source_id = "src-" + digest[:16]
    elif not isinstance(source_id, str) or not ID_PATTERN.fullmatch(source_id):
        shown = source_id if isinstance(source_id, str) else _type_name(source_id)
        raise IngestError("id", f"id {shown!r:.60} is not valid: use 1-200 characters of letters, digits, "
                                "'.', '_', ':' or '-'")
    return Source(
        id=source_id,
        text=text,
        content_hash=digest,
        url=_optional_str(raw, "url", 2048),
        publisher=_optional_str(raw, "publisher", 300),
        published_at=normalise_published_at(raw.get("published_at")),
        title=_optional_str(raw, "title", 1000),
        ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


# ---------------------------------------------------------------------------------------------------------------
# Decoding


def decode_bytes(data: bytes, *, declared: Optional[str] = None) -> str:
    """Decode file content as UTF-8 (BOMs honoured; `declared` charset used when given); IngestError if not text."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = "\x00"
        if "\x00" in text[:512]:  # random bytes that merely start like a UTF-16 byte-order mark
            raise IngestError(None, "not a text file (binary content)")
        return text
    if b"\x00" in data[:1024]:
        raise IngestError(None, "not a text file (binary content)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if declared:
        try:
            if codecs.lookup(declared).name != "utf-8":
                return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    raise IngestError(None, f"not valid UTF-8 (byte 0x{data[utf8_error.start]:02X} at offset "
                            f"{utf8_error.start:,}); save the file as UTF-8")


def _html_charset(data: bytes) -> Optional[str]:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def html_to_record(html: str, url: Optional[str] = None) -> dict:
    """Main text and metadata (title, date, site name, canonical url) of an HTML page, via trafilatura."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params={"extensive_search": False, "original_date": True})
    if document is None:
        raise IngestError("text", "no main text found in the HTML")
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    if not (data.get("text") or "").strip():
        raise IngestError("text", "no main text found in the HTML")
    return {"text": data["text"], "title": data.get("title"), "published_at": data.get("date"),
            "publisher": data.get("sitename") or data.get("hostname"), "url": data.get("url") or url}


def _title_from_text(text: str) -> Optional[str]:
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) > 1 and lines[0] and len(lines[0]) <= 150:
        return lines[0]
    return None


# ---------------------------------------------------------------------------------------------------------------
# File readers


def _records_from_json_value(value, item: str) -> Iterator[RawItem]:
    if isinstance(value, list):
        for index, record in enumerate(value):
            yield RawItem(f"{item}[{index}]", record=record)
    else:
        yield RawItem(item, record=value)


def _check_size(path: Path, limit: int, what: str) -> None:
    size = path.stat().st_size
    if size > limit:
        raise IngestError("text", f"{what} is {size:,} bytes; the limit is {limit:,}")


def iter_jsonl(stream, item: str, config: Config) -> Iterator[RawItem]:
    """One RawItem per non-blank line of a binary stream; an over-long line is skipped without being held."""
    line_limit = 2 * config.max_text_bytes + 65_536  # JSON escapes may double a text
    number = 0
    while True:
        line = stream.readline(line_limit)
        if not line:
            return
        number += 1
        label = f"{item}:{number}"
        if not line.endswith(b"\n") and len(line) >= line_limit:
            while True:  # skip the rest of the line in bounded chunks
                rest = stream.readline(1_048_576)
                if not rest or rest.endswith(b"\n"):
                    break
            yield RawItem(label, error=f"line is longer than {line_limit:,} bytes "
                                       f"(the text limit is {config.max_text_bytes:,} bytes)")
            continue
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8):]
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield RawItem(label, error=f"not valid UTF-8 (byte 0x{line[exc.start]:02X} at column {exc.start + 1})")
            continue
        try:
            record = jsonsafe.loads(text)
        except json.JSONDecodeError as exc:
            yield RawItem(label, error=f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        except ValueError as exc:  # beyond the parser's limits: too deep, an over-long number
            yield RawItem(label, error=f"invalid JSON: {exc}")
            continue
        yield RawItem(label, record=record)


def iter_path(path: Path, config: Config, item: Optional[str] = None) -> Iterator[RawItem]:
    """Raw records of one supported file."""
    item = item or str(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            with path.open("rb") as stream:
                yield from iter_jsonl(stream, item, config)
            return
        if suffix == ".json":
            _check_size(path, 4 * config.max_text_bytes + 1_048_576, "the JSON file")
            text = decode_bytes(path.read_bytes())
            try:
                value = jsonsafe.loads(text)
            except ValueError as exc:
                raise IngestError(None, f"invalid JSON: {jsonsafe.describe(exc)}") from None
            yield from _records_from_json_value(value, item)
        elif suffix == ".txt":
            _check_size(path, config.max_text_bytes, "text")
            text = decode_bytes(path.read_bytes())
            yield RawItem(item, record={"text": text, "title": _title_from_text(text)})
        elif suffix in (".html", ".htm"):
            _check_size(path, config.url_max_bytes, "the HTML file")
            data = path.read_bytes()
            yield RawItem(item, record=html_to_record(decode_bytes(data, declared=_html_charset(data))))
        else:
            raise IngestError(None, f"unsupported file type {suffix or '(no suffix)'!r}; supported: "
                                    + ", ".join(SUPPORTED_SUFFIXES))
    except IngestError as exc:
        yield RawItem(item, error=exc.reason)
    except OSError as exc:
        yield RawItem(item, error=f"cannot read the file: {exc.strerror or exc}")


def _supported_files(directory: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / name for name in files
                     if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES)
    return sorted(found)


def is_url(value: str) -> bool:
    """True for anything that looks like scheme://..., which is then fetched (or refused) rather than opened."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value) is not None


def iter_input(value: str, config: Config) -> Iterator[RawItem]:
    """Raw records of a path (file or directory) or URL given on the command line."""
    if is_url(value):
        yield from iter_url(value, config)
        return
    path = Path(value)
    if path.is_dir():
        files = _supported_files(path)
        if not files:
            yield RawItem(value, error="no supported files (" + ", ".join(SUPPORTED_SUFFIXES) + ") in the directory")
        for file in files:
            yield from iter_path(file, config)
    elif path.exists():
        yield from iter_path(path, config, item=value)
    else:
        yield RawItem(value, error="no such file or directory")


def iter_url(url: str, config: Config) -> Iterator[RawItem]:
    """Raw records of a URL (fetched by factcheck.fetch): HTML through trafilatura, text/plain as text, JSON/JSONL
    as records."""
    from .fetch import fetch_url

    try:
        page = fetch_url(url, config)
        body, kind = page.body, page.content_type
        if not kind:  # sniff when the server does not say
            start = body.lstrip()[:1]
            kind = "text/html" if start == b"<" else "application/json" if start in (b"{", b"[") else "text/plain"
        if kind in ("text/html", "application/xhtml+xml"):
            text = decode_bytes(body, declared=page.charset or _html_charset(body))
            record = html_to_record(text, url=page.url)
            record["url"] = record.get("url") or page.url
            yield RawItem(url, record=record)
        elif kind == "text/plain":
            text = decode_bytes(body, declared=page.charset)
            yield RawItem(url, record={"text": text, "url": page.url, "title": _title_from_text(text)})
        elif kind in ("application/json",) or kind.endswith("+json"):
            try:
                value = jsonsafe.loads(decode_bytes(body, declared=page.charset))
            except ValueError as exc:
                raise IngestError(None, f"invalid JSON: {jsonsafe.describe(exc)}") from None
            for raw in _records_from_json_value(value, url):
                if isinstance(raw.record, dict):
                    raw.record.setdefault("url", page.url)
                yield raw
        elif kind in ("application/x-ndjson", "application/jsonl", "application/x-jsonlines"):
            import io

            yield from iter_jsonl(io.BytesIO(body), url, config)
        else:
            raise IngestError(None, f"unsupported content type {kind}")
    except IngestError as exc:
        yield RawItem(url, error=exc.reason)


# ---------------------------------------------------------------------------------------------------------------
# Batches

Progress = Callable[[str, str], None]  # (item, outcome: "added" | "updated" | "unchanged" | "failed")


def save_source(store, source: Source, passages: list, stored: Optional[Source]) -> str:
    """Store a source whose content differs from `stored` (what the store held when it was read; None for a new
    id): "added", "updated" (a new version; the one it replaces is kept), or "unchanged" when another writer
    stored the same content meanwhile. A concurrent writer of different content makes this one retry on top of
    it, so each write ends up as a version of its own and none is lost."""
    for _attempt in range(5):
        if stored is None:
            if store.add_source(source, passages):
                return "added"
        elif store.replace_source(source, passages, stored.version):
            return "updated"
        stored = store.source_head(source.id)
        if stored is not None and stored.same_content(source):
            return "unchanged"
    raise StoreError(f"{source.id} kept being changed by other writers while this version was stored; "
                     "send it again")


WRITE_AHEAD = 4     # extracted batches waiting for the store: bounds memory, lets writing overlap extraction
INGEST_BATCH = 16   # documents looked up, extracted (one encoder call) and written (Elasticsearch: bulk) together
END_OF_INPUT = None  # what `ingest_paths` yields between inputs: the batch so far is stored before going on


def source_heads(store, source_ids: list[str]) -> dict[str, Optional[Source]]:
    """The stored heads of several sources (None for absent ones): one round trip where the store offers
    `source_heads` (Elasticsearch: mget), else one `source_head` each."""
    batched = getattr(store, "source_heads", None)
    if batched is not None:
        return batched(source_ids)
    return {source_id: store.source_head(source_id) for source_id in dict.fromkeys(source_ids)}


def add_sources(store, batch: list[tuple[Source, list]]) -> list:
    """store.add_source for each (source, passages): True, False (the id exists) or the StoreError it raised.
    Where the store offers `add_sources` (Elasticsearch: passages and sources in bulk requests, one refresh),
    that is used. After a StoreUnavailable the rest are not attempted and get the same error."""
    batched = getattr(store, "add_sources", None)
    if batched is not None:
        return batched(batch)
    results: list = []
    for source, passages in batch:
        try:
            results.append(store.add_source(source, passages))
        except StoreUnavailable as exc:
            results.extend([exc] * (len(batch) - len(results)))
            break
        except Exception as exc:  # noqa: BLE001 - a store error fails this item only
            results.append(exc)
    return results


class _Writer:
    """Stores extracted batches on a thread of its own, so that a store's round trips (Elasticsearch) overlap
    the next batch's extraction (CPU). Every item's outcome passes through it, so they come back in order."""

    def __init__(self, store):
        self.store = store
        self.todo: "queue.Queue" = queue.Queue(maxsize=WRITE_AHEAD)
        self.done: "queue.Queue" = queue.Queue()
        self.unavailable = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = self.todo.get()
            try:
                if batch is None:
                    return
                self._store_batch(batch)
            finally:
                self.todo.task_done()

    def _store_batch(self, batch: list[tuple]) -> None:
        """Each job is (item, source, passages, stored, outcome). New sources are added together
        (`add_sources`); a source whose id turned out to exist, and new versions, go through `save_source`."""
        new = [job for job in batch if job[1] is not None and job[3] is None]
        added: dict[int, object] = {}
        if new and not self.unavailable.is_set():
            try:
                results = add_sources(self.store, [(job[1], job[2]) for job in new])
            except Exception as exc:  # noqa: BLE001 - the whole request failed: every source in it
                results = [exc] * len(new)
            added = {id(job): result for job, result in zip(new, results)}
        for job in batch:
            item, source, passages, stored, outcome = job
            if source is None:  # decided by the reader (unchanged, failed): passed on in order
                self.done.put((item, None, *outcome))
            elif self.unavailable.is_set():
                self.done.put((item, source.id, "failed", "not stored: the store became unavailable"))
            elif id(job) in added and added[id(job)] is True:
                self.done.put((item, source.id, "added", None))
            elif id(job) in added and isinstance(added[id(job)], BaseException):
                self.done.put((item, source.id, *self._failure(added[id(job)])))
            else:  # a new version, or a new id another writer (or an earlier item) stored meanwhile
                self.done.put((item, source.id, *self._store(source, passages, stored)))

    def _failure(self, exc: BaseException) -> tuple[str, str]:
        if isinstance(exc, StoreUnavailable):
            self.unavailable.set()
            return "unavailable", f"store unavailable: {exc}"
        return "failed", f"store error: {exc}"

    def _store(self, source: Source, passages: list, stored: Optional[Source]) -> tuple[str, Optional[str]]:
        try:
            return save_source(self.store, source, passages, stored), None
        except Exception as exc:  # a store error fails this item only
            return self._failure(exc)

    def put(self, batch: list[tuple]) -> None:
        """Queue a batch of jobs (item, source to store or None, passages, the version it replaces, outcome
        already decided); waits while WRITE_AHEAD batches are pending."""
        while True:
            try:
                self.todo.put(batch, timeout=0.2)
                return
            except queue.Full:
                continue

    def wait(self) -> None:
        """Until every batch queued so far is stored."""
        self.todo.join()

    def finish(self) -> None:
        self.todo.put(None)
        self.thread.join()


def _lookup_batch(store, raws: list[RawItem], config: Config, writer: _Writer) -> tuple[list, list]:
    """Validate a batch of raw items and look their ids up in one go: the writer's jobs decided so far (None
    where a source is to be extracted) and what is to be extracted, [(position, source, stored head)]."""
    jobs: list = [None] * len(raws)
    valid: list[tuple[int, Source]] = []
    for position, raw in enumerate(raws):
        try:
            if raw.error is not None:
                raise IngestError(None, raw.error)
            valid.append((position, validate_record(raw.record, config)))
        except IngestError as exc:
            jobs[position] = (raw.item, None, None, None, ("failed", exc.reason))
    try:
        heads = source_heads(store, [source.id for _, source in valid]) if valid else {}
    except StoreUnavailable as exc:
        writer.unavailable.set()
        for number, (position, _source) in enumerate(valid):
            jobs[position] = (raws[position].item, None, None, None,
                              ("unavailable", f"store unavailable: {exc}") if number == 0 else
                              ("failed", "not stored: the store became unavailable"))
        return jobs, []
    except StoreError as exc:
        for position, _source in valid:
            jobs[position] = (raws[position].item, None, None, None, ("failed", f"store error: {exc}"))
        return jobs, []
    todo: list[tuple[int, Source, Optional[Source]]] = []
    for position, source in valid:
        stored = heads.get(source.id)
        if stored is not None and stored.same_content(source):
            jobs[position] = (raws[position].item, None, None, None, ("unchanged", None))
        else:  # new, or different content under a stored id: a new version
            todo.append((position, source, stored))
    return jobs, todo


def _finish_batch(raws: list[RawItem], jobs: list, todo: list, extracted: Optional[list],
                  failure: Optional[str] = None) -> list[tuple]:
    """The writer's jobs, in order, once the batch's sources are extracted (`extracted`, one per `todo` entry),
    or with every source to be extracted failed for `failure` (its extraction was lost)."""
    for number, (position, source, stored) in enumerate(todo):
        result = extracted[number] if extracted is not None else None
        if result is None or result.error is not None:  # an extractor bug must not sink the batch
            reason = failure if result is None else f"extraction failed: {result.error}"
            jobs[position] = (raws[position].item, None, None, None, ("failed", reason))
            continue
        source.title_vector = result.title_vector
        jobs[position] = (raws[position].item, source, result.passages, stored, ())
    return jobs


def _prepare_batch(store, raws: list[RawItem], config: Config, writer: _Writer) -> list[tuple]:
    """Validate a batch of raw items, look their ids up in one go, extract the new and changed ones together
    (one encoder call) in this process and return the writer's jobs, in order."""
    from . import extract

    jobs, todo = _lookup_batch(store, raws, config, writer)
    extracted = extract.extract_sources([source for _, source, _ in todo]) if todo else []
    return _finish_batch(raws, jobs, todo, extracted)


def ingest_items(store, items: Iterable[Optional[RawItem]], config: Config, progress: Optional[Progress] = None,
                 remaining: Optional[Callable[[], list[str]]] = None, workers: int = 1) -> IngestReport:
    """Validate, extract and store each item; stop at the first StoreUnavailable (re-running fills the gap).

    Items are taken INGEST_BATCH at a time (and at each END_OF_INPUT): their ids are looked up together, they are
    extracted together (one encoder call) and stored together, while a writer thread stores the previous batch
    (at most WRITE_AHEAD batches waiting). With `workers` > 1 the extraction runs in that many worker processes
    (factcheck.ingest_pool), at most workers + 1 batches at a time; lookups, writes, outcomes and progress stay
    in this process and in input order, so the report is the same as with one."""
    report = IngestReport()
    writer = _Writer(store)
    pool = None
    if workers > 1:
        from .ingest_pool import ExtractionPool

        pool = ExtractionPool(workers)
    pending: "deque[tuple]" = deque()  # (raws, jobs, todo, future) of batches in the pool, in input order
    halted: dict[str, str] = {}  # why the pool cannot go on

    def collect() -> None:
        while True:
            try:
                item, source_id, outcome, reason = writer.done.get_nowait()
            except queue.Empty:
                return
            if outcome in ("added", "updated"):
                setattr(report, outcome, getattr(report, outcome) + 1)
                report.added_ids.append(source_id)
            elif outcome == "unchanged":
                report.unchanged += 1
            else:
                report.add_error(item, reason)
                if outcome == "unavailable":
                    report.stopped = reason
            if progress:
                progress(item, outcome if outcome in ("added", "updated", "unchanged") else "failed")

    def stopping() -> bool:
        return writer.unavailable.is_set() or bool(halted)

    def drain(limit: int) -> None:
        """Pass the pool's finished batches to the writer in order; wait while more than `limit` are out."""
        while pending and (len(pending) > limit or pending[0][3] is None or pending[0][3].done()):
            raws, jobs, todo, future = pending.popleft()
            if future is None:  # nothing to extract, or the pool could not take it
                extracted, failure = ([], None) if not todo else (None, halted["reason"])
            elif stopping():
                future.cancel()
                extracted, failure = None, halted.get("reason", "not stored: the store became unavailable")
            else:
                extracted, failure = pool.result(future)
            writer.put(_finish_batch(raws, jobs, todo, extracted, failure))
            collect()

    last = None
    batch: list[RawItem] = []

    def flush() -> None:
        if batch:
            if stopping():  # read already, so reported, but not looked up or extracted
                reason = halted.get("reason", "not stored: the store became unavailable")
                writer.put([(raw.item, None, None, None, ("failed", reason)) for raw in batch])
            elif pool is None:
                writer.put(_prepare_batch(store, batch, config, writer))
            else:
                raws = list(batch)
                jobs, todo = _lookup_batch(store, raws, config, writer)
                future = None
                if todo:
                    try:
                        future = pool.submit([source for _, source, _ in todo])
                    except pool.failed as exc:  # the workers keep dying: stop, as when the store goes away
                        halted["reason"] = f"not stored: {exc}"
                        report.stopped = str(exc)
                pending.append((raws, jobs, todo, future))
                drain(pool.in_flight)
            batch.clear()
        collect()

    finished = False
    try:
        for raw in items:
            if raw is END_OF_INPUT:  # store what this input gave before reading the next one
                flush()
                drain(0)
                writer.wait()
                collect()
                if stopping():
                    break
                continue
            if stopping():
                break
            last = raw.item
            batch.append(raw)
            if len(batch) >= INGEST_BATCH:
                flush()
        flush()
        drain(0)
        finished = True
    finally:
        if pool is not None:  # Ctrl-C or an error: stop the workers now, keep what is extracted and queued
            pool.close(kill=not finished)
        writer.finish()
        collect()
    if stopping():
        # Sources already extracted when the store went away are reported as failed ("not stored"); what
        # comes after the last item read was never looked at.
        report.not_attempted = ([f"everything after {last}"] if last else []) + (remaining() if remaining else [])
    return report


def ingest_records(store, records: Iterable[dict], config: Config,
                   progress: Optional[Progress] = None, workers: int = 1) -> IngestReport:
    """Ingest raw record dicts (an iterable, consumed lazily); items are named by their id or position.
    `workers` > 1 extracts in that many processes (see ingest_items)."""
    def items() -> Iterator[RawItem]:
        for number, record in enumerate(records, start=1):
            given_id = record.get("id") if isinstance(record, dict) else None
            label = given_id if isinstance(given_id, str) and given_id else f"record {number}"
            yield RawItem(label, record=record)

    return ingest_items(store, items(), config, progress, workers=workers)


def ingest_paths(store, paths_or_urls: Iterable[str], config: Config,
                 progress: Optional[Progress] = None, workers: int = 1) -> IngestReport:
    """Ingest files, directories (their supported files, sorted) and http(s) URLs; `workers` > 1 extracts in
    that many processes (see ingest_items)."""
    pending = [str(value) for value in paths_or_urls]
    position = {"next": 0}

    def items() -> Iterator[RawItem]:
        while position["next"] < len(pending):
            value = pending[position["next"]]
            position["next"] += 1
            yield from iter_input(value, config)
            yield END_OF_INPUT

    return ingest_items(store, items(), config, progress, remaining=lambda: pending[position["next"]:],
                        workers=workers)


def ingest_url_source(store, url: str, config: Config) -> Source:
    """Fetch one http(s) URL (factcheck.fetch: public addresses only, unless allowed), store it as a source and
    return the stored source; IngestError naming `url` when it cannot be fetched or holds no single article.

    Used where an editor adds a source to a review: one address, one article (a JSON list is refused)."""
    if not is_url(url) or not url.lower().startswith(("http://", "https://")):
        raise IngestError("url", "give an http:// or https:// address")
    items = list(iter_url(url, config))
    if len(items) != 1:
        raise IngestError("url", f"the address holds {len(items)} records; give the address of one article")
    raw = items[0]
    if raw.error is not None:
        raise IngestError("url", raw.error)
    try:
        source = validate_record(raw.record, config)
    except IngestError as exc:
        raise IngestError("url", f"the page cannot be used as a source: {exc.reason}") from None
    report = ingest_items(store, [raw], config)
    if report.stopped:
        raise StoreUnavailable(report.stopped)
    if report.failed:
        raise IngestError("url", report.errors[0]["reason"] if report.errors else "the page could not be stored")
    return store.get_source(source.id) or source
