"""Sources: list and search, add (pasted text, an uploaded file, a URL), and one source with its extractions."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import current_app, render_template, request

from ..ingest import SUPPORTED_SUFFIXES, IngestError, IngestReport, ingest_items, ingest_records, is_url, iter_path, \
    iter_url
from ..models import Passage, Source
from ..schemas import make_cursor
from ..store.base import MAX_OFFSET, source_position
from .auth import require
from .shared import bp, error_page, list_paging, store

PAGE_SIZE = 20
ENTITY_LABELS = {"PERSON": "People", "PLACE": "Places", "ORG": "Organisations", "OTHER": "Other names"}


@bp.get("/sources")
def sources():
    """Stored sources, newest first; full-text search and a publisher filter; paged."""
    q = request.args.get("q", "").strip()[:500]
    publisher = request.args.get("publisher", "").strip()[:300]
    page, offset, after = list_paging(PAGE_SIZE)
    items = store().list_sources(query=q or None, publisher=publisher or None, limit=PAGE_SIZE + 1,
                                  offset=offset, after=after)
    next_cursor = make_cursor(source_position(items[PAGE_SIZE - 1])) if len(items) > PAGE_SIZE else None
    return render_template("sources.html", items=items[:PAGE_SIZE], q=q, publisher=publisher, page=page,
                           next_cursor=next_cursor, page_size=PAGE_SIZE,
                           previous_by_number=page - 1 <= MAX_OFFSET // PAGE_SIZE)


def _spans(passage: Passage) -> list[tuple[int, int, str, str]]:
    """(start, end, css class, tooltip) of the passage's dates, entities and numbers, relative to the passage."""
    spans = [(d.start, d.end, "hl-date", f"date: {d.value or 'unresolved'}" + (f" ({d.granularity})"
                                                                                 if d.granularity else ""))
             for d in passage.dates]
    spans += [(e.start, e.end, f"hl-entity hl-{e.label.lower()}", f"{e.label.lower()}: {e.key}")
              for e in passage.entities]
    spans += [(n.start, n.end, "hl-number", f"number: {n.value:g}" + (f" {n.unit}" if n.unit else ""))
              for n in passage.numbers]
    return sorted(spans, key=lambda s: (s[0], -s[1]))


def passage_segments(text: str, spans: list[tuple[int, int, str, str]]) -> list[tuple[str, str, str]]:
    """Split text into (text, css class, title) runs; overlapping or out-of-range spans are skipped."""
    out, cursor = [], 0
    for start, end, css, title in spans:
        if start < cursor or end <= start or end > len(text):
            continue
        if start > cursor:
            out.append((text[cursor:start], "", ""))
        out.append((text[start:end], css, title))
        cursor = end
    if cursor < len(text):
        out.append((text[cursor:], "", ""))
    return out


def source_blocks(source: Source, passages: list[Passage]) -> list[dict]:
    """The source text as gaps and passages, each passage split into highlighted segments (all escaped later)."""
    blocks, cursor, text = [], 0, source.text
    for passage in sorted(passages, key=lambda p: p.start):
        if passage.start < cursor or passage.end > len(text) or text[passage.start:passage.end] != passage.text:
            continue  # offsets that do not fit the text are not trusted
        if passage.start > cursor:
            blocks.append({"claim": False, "passage": None, "segments": [(text[cursor:passage.start], "", "")]})
        blocks.append({"claim": passage.is_claim, "passage": passage,
                       "segments": passage_segments(passage.text, _spans(passage))})
        cursor = passage.end
    if cursor < len(text):
        blocks.append({"claim": False, "passage": None, "segments": [(text[cursor:], "", "")]})
    return blocks


@bp.get("/sources/<source_id>")
def source_page(source_id: str):
    """One source: its text with dates, entities, numbers and claims highlighted, and what was extracted."""
    the_store = store()
    source = the_store.get_source(source_id)
    if source is None:
        return error_page(404, "Not Found", "There is no source with that id.")
    passages = the_store.get_passages(source_id)
    entities: dict[str, dict[str, str]] = {}
    for passage in passages:
        for entity in passage.entities:
            entities.setdefault(entity.label, {}).setdefault(entity.key, entity.text)
    dates = [(p, d) for p in passages for d in p.dates]
    claims = [p for p in passages if p.is_claim]
    return render_template("source.html", source=source, blocks=source_blocks(source, passages), dates=dates,
                           entities=entities, entity_labels=ENTITY_LABELS, claims=claims,
                           passage_count=len(passages))


@bp.get("/sources/<source_id>/versions/<int:version>")
def source_version_page(source_id: str, version: int):
    """An earlier version of a source, its text as it was stored."""
    versions = store().source_versions(source_id)
    for newer, older in zip(versions, versions[1:]):
        if older.version == version:
            return render_template("source_version.html", version=older, superseded_at=newer.ingested_at)
    return error_page(404, "Not Found", "There is no earlier version of that source with that number.")


# ---------------------------------------------------------------------------------------------------------------
# Adding sources


def _config():
    return current_app.extensions["factcheck_config"]


@bp.get("/sources/new")
@require("ingest")
def new_source():
    """The three ways to add a source."""
    return render_template("source_new.html", values={}, report=None, mode="text",
                           suffixes=SUPPORTED_SUFFIXES)


def _safe_filename(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    return re.sub(r"[^A-Za-z0-9._ -]", "_", base)[:120] or "upload"


def _ingest_upload(upload) -> IngestReport:
    name = _safe_filename(upload.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        report = IngestReport()
        report.add_error(name, f"unsupported file type {suffix or '(no suffix)'!r}; supported: "
                               + ", ".join(SUPPORTED_SUFFIXES))
        return report
    with tempfile.TemporaryDirectory(prefix="factcheck-upload-") as folder:
        path = Path(folder) / ("upload" + suffix)
        upload.save(path)
        return ingest_items(store(), iter_path(path, _config(), item=name), _config())


def _ingest_text(values: dict) -> IngestReport:
    record = {key: values[key] for key in ("text", "title", "publisher", "published_at", "url") if values.get(key)}
    if not record.get("text", "").strip():
        report = IngestReport()
        report.add_error("pasted text", "text is empty: paste the article's text")
        return report
    return ingest_records(store(), [record], _config())


def _ingest_url(url: str) -> IngestReport:
    if not is_url(url) or not url.lower().startswith(("http://", "https://")):
        report = IngestReport()
        report.add_error(url or "URL", "give an http:// or https:// address")
        return report
    return ingest_items(store(), iter_url(url, _config()), _config())


@bp.post("/sources/new")
@require("ingest")
def add_source():
    """Ingest pasted text, an uploaded file or a URL; show what was added and each item's error."""
    mode = request.form.get("mode", "text")
    values = {name: request.form.get(name, "") for name in ("text", "title", "publisher", "published_at", "url")}
    if mode == "file":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            report = IngestReport()
            report.add_error("file", "choose a file to upload")
        else:
            report = _ingest_upload(upload)
    elif mode == "url":
        report = _ingest_url(request.form.get("source_url", "").strip())
        values["source_url"] = request.form.get("source_url", "")
    else:
        mode = "text"
        try:
            report = _ingest_text(values)
        except IngestError as exc:  # pragma: no cover - ingest_records reports errors per item
            report = IngestReport()
            report.add_error("pasted text", exc.reason)
    if report.stopped:  # the store went away: a 503 like every page, with what was done before it did
        response = current_app.make_response((render_template(
            "source_new.html", values=values, report=report, mode=mode, added=[], suffixes=SUPPORTED_SUFFIXES), 503))
        response.headers["Retry-After"] = "5"
        return response
    added = [s for s in (store().get_source(i) for i in report.added_ids) if s is not None]
    status = 200 if (report.added or report.updated or report.unchanged) else 422
    return render_template("source_new.html", values=values if status != 200 else {}, report=report, mode=mode,
                           added=added, suffixes=SUPPORTED_SUFFIXES), status
