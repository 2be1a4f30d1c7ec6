"""The "Find claims" page: paste text, upload a file or give a URL; the sentences in reading order, the
check-worthy ones marked and ranked, each with its speaker, what makes it checkable, earlier checks of it, and a
button that checks it (claim date: the document's date)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from flask import current_app, render_template, request

from ..ingest import IngestError, decode_bytes, html_to_record, is_url, iter_url
from ..repeat import find_previous
from ..schemas import MAX_SPOT_TEXT_CHARS
from .shared import bp, store as _store

UPLOAD_SUFFIXES = (".txt", ".html", ".htm")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SpotInputError(ValueError):
    """What the form was given cannot be read; `field` names the form field (text, file, url, document_date)."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field


def _document(form, files) -> tuple[str, Optional[str], Optional[str]]:
    """(text, document day or None, title or None) from whichever of text, file and URL was given."""
    config = current_app.extensions["factcheck_config"]
    upload = files.get("file")
    url = form.get("url", "").strip()
    text = form.get("text", "")
    given = [name for name, present in (("text", text.strip()), ("file", upload is not None and upload.filename),
                                        ("url", url)) if present]
    if not given:
        raise SpotInputError("text", "paste a text, choose a file or give a URL")
    if len(given) > 1:
        raise SpotInputError(given[1], f"give one of text, file or URL, not {' and '.join(given)}")
    record = {"text": text}
    if given[0] == "file":
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise SpotInputError("file", f"unsupported file type {suffix or '(no suffix)'!r}; supported: "
                                         + ", ".join(UPLOAD_SUFFIXES))
        data = upload.read(config.max_text_bytes + 1)
        if len(data) > config.max_text_bytes:
            raise SpotInputError("file", f"the file is larger than {config.max_text_bytes:,} bytes")
        try:
            content = decode_bytes(data)
            record = html_to_record(content) if suffix in (".html", ".htm") else {"text": content}
        except IngestError as exc:
            raise SpotInputError("file", exc.reason) from None
    elif given[0] == "url":
        if not is_url(url) or not url.lower().startswith(("http://", "https://")):
            raise SpotInputError("url", "give an http:// or https:// address")
        item = next(iter(iter_url(url, config)), None)
        if item is None or item.error or not isinstance(item.record, dict) \
                or not isinstance(item.record.get("text"), str):
            raise SpotInputError("url", item.error if item is not None and item.error else "no text found there")
        record = item.record
    text = record.get("text") or ""
    if not text.strip():
        raise SpotInputError(given[0], "no text to read")
    if len(text) > MAX_SPOT_TEXT_CHARS:
        raise SpotInputError(given[0], f"{len(text):,} characters; the limit is {MAX_SPOT_TEXT_CHARS:,}")
    published = record.get("published_at") if isinstance(record.get("published_at"), str) else None
    title = record.get("title") if isinstance(record.get("title"), str) else None
    return text, (published[:10] if published and _DAY.match(published[:10]) else None), title


@bp.route("/spot", methods=["GET", "POST"])
def spot_page():
    """Find the claims worth checking in a text, a file or a web page."""
    from ..spot import spot_text

    if request.method == "GET":
        return render_template("spot.html", values={}, error=None, sentences=None)
    values = {name: request.form.get(name, "") for name in ("text", "url", "document_date")}
    day = values["document_date"].strip()
    try:
        if day and not _DAY.match(day):
            raise SpotInputError("document_date", "write the date as YYYY-MM-DD")
        text, found_day, title = _document(request.form, request.files)
    except SpotInputError as exc:
        return render_template("spot.html", values=values, error=exc, sentences=None), 400
    day = day or found_day
    sentences = spot_text(text, day)
    store = _store()
    previous = {s.index: find_previous(store, s.text, vector=s.vector) for s in sentences if s.check_worthy}
    ranked = sorted((s for s in sentences if s.check_worthy), key=lambda s: s.rank)
    return render_template("spot.html", values=values, error=None, sentences=sentences, ranked=ranked,
                           previous=previous, document_date=day, title=title)
