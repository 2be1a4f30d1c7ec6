"""What the HTML pages share: the blueprint, the store handle, error pages, list paging, template filters, the
verdict labels, highlighted sentences and the ClaimReview script. Imports run one way: the page modules import
this, this imports only the domain.

Templates autoescape; source text is never marked safe (highlights split the text into escaped segments)."""
from __future__ import annotations

import json
from typing import Optional
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, render_template, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import BadRequest

from .. import review as workflow
from ..models import Review, Verdict
from ..schemas import parse_cursor
from ..store.base import MAX_OFFSET, StoreUnavailable

bp = Blueprint("web", __name__)

VERDICT_LABELS = {
    "SUPPORTED": ("Supported", "The sources we hold back this claim."),
    "REFUTED": ("Refuted", "The sources we hold contradict this claim."),
    "CONFLICTING": ("Conflicting", "Credible sources disagree about this claim."),
    "NOT_ENOUGH_EVIDENCE": ("Not enough evidence", "We found too little in our sources to judge this claim."),
}
def store():
    """The app's store."""
    return current_app.extensions["factcheck_store"]


def list_paging(page_size: int) -> tuple[int, int, Optional[tuple]]:
    """(page number, offset, position) of a list page: `?page=N` within the first MAX_OFFSET items, or
    `?cursor=` (the Next links carry one) at any depth; BadRequest naming the parameter otherwise."""
    raw_page, raw_cursor = request.args.get("page", "1").strip(), request.args.get("cursor")
    last_by_number = MAX_OFFSET // page_size
    if not raw_page.isascii() or not raw_page.isdigit() or not raw_page.strip("0"):
        raise BadRequest(f"page must be a whole number from 1, not {raw_page[:20]!r}.")
    page = int(raw_page) if len(raw_page) <= 12 else 10 ** 12  # a page number, not a 4,300-digit integer
    if raw_cursor is not None:
        position = parse_cursor(raw_cursor)
        if position is None:
            raise BadRequest("cursor is not one of this site's: follow the Next link of the previous page.")
        return page, 0, position
    if page > last_by_number:
        raise BadRequest(f"page {raw_page[:20]} is past page {last_by_number:,}, the last that can be opened by "
                         "number: follow the Next links, or narrow the list with the filters.")
    return page, (page - 1) * page_size, None


@bp.app_template_filter("http_url")
def http_url(value: Optional[str]) -> Optional[str]:
    """The URL when it is http(s), else None: escaping alone does not stop a javascript: href."""
    if not value or not isinstance(value, str):
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None


@bp.app_template_filter("day")
def day(value: Optional[str]) -> str:
    """The date part of an ISO timestamp, or "date unknown"."""
    return value[:10] if value else "date unknown"


def sentence_segments(sentence: str, highlights: list[dict]) -> list[tuple[str, Optional[str], str]]:
    """Split a sentence into (text, role, kind) runs for <mark> (role None: plain); bad or overlapping spans
    are skipped."""
    segments: list[tuple[str, Optional[str], str]] = []
    cursor = 0
    spans = sorted((h for h in highlights or [] if isinstance(h, dict)),
                   key=lambda h: tuple(v if isinstance(v, int) else -1 for v in (h.get("start"), h.get("end"))))
    for span in spans:
        start, end = span.get("start"), span.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or start < cursor or end <= start \
                or end > len(sentence):
            continue
        if start > cursor:
            segments.append((sentence[cursor:start], None, ""))
        role = "conflict" if span.get("role") == "conflict" else "match"
        segments.append((sentence[start:end], role, str(span.get("kind") or "")))
        cursor = end
    if cursor < len(sentence):
        segments.append((sentence[cursor:], None, ""))
    return segments


def json_for_script(data) -> Markup:
    """JSON safe inside a <script> element: "<", ">" and "&" escaped as \\u003c, \\u003e, \\u0026."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def claimreview_script(review: Review, verdict: Verdict) -> Markup:
    """The published review's ClaimReview JSON-LD, ready for a <script type="application/ld+json">."""
    settings = current_app.extensions["factcheck_config"]
    data = workflow.claimreview(review, verdict, url=url_for("web.saved_check", check_id=verdict.id, _external=True),
                                publisher={"name": settings.publisher_name,
                                           "url": settings.publisher_url or url_for("web.index", _external=True),
                                           "logo": settings.publisher_logo})
    return json_for_script(data)


def error_page(status: int, title: str, detail: str, headers: Optional[dict] = None, login_link: bool = False):
    """A small HTML error page (title and detail are escaped by the template)."""
    try:
        page = render_template("error.html", status=status, title=title, detail=detail, login_link=login_link)
    except StoreUnavailable:
        # the header names the logged-in user, and the accounts live in the store that is down (Elasticsearch):
        # show the error page to no one in particular rather than fail while reporting the failure
        g.user = None
        page = render_template("error.html", status=status, title=title, detail=detail, login_link=login_link)
    response = current_app.make_response((page, status))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
