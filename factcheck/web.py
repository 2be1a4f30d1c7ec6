"""HTML pages: the check form and the verdict page; the other pages live in web_*.py on the same blueprint.

Templates autoescape; source text is never marked safe (highlights split the text into escaped segments)."""
from __future__ import annotations

import json
import re
from typing import Optional
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from markupsafe import Markup
from marshmallow import ValidationError

from . import review as workflow
from .check import check_claim
from .models import Review, Verdict
from .schemas import MAX_CLAIM_CHARS, load_check_request
from .timeline import build_timeline

bp = Blueprint("web", __name__)

VERDICT_LABELS = {
    "SUPPORTED": ("Supported", "The sources we hold back this claim."),
    "REFUTED": ("Refuted", "The sources we hold contradict this claim."),
    "CONFLICTING": ("Conflicting", "Credible sources disagree about this claim."),
    "NOT_ENOUGH_EVIDENCE": ("Not enough evidence", "We found too little in our sources to judge this claim."),
}
# A day, month or year value ("2024-05-14", "2024-05", "2024"): what the timeline strip can centre on.
_CALENDAR_VALUE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
FIELD_LABELS = {"claim": "Claim", "claim_date": "Claim date", "as_of": "As of", "_schema": "Form"}


def _store():
    return current_app.extensions["factcheck_store"]


def list_paging(page_size: int) -> tuple[int, int, Optional[tuple]]:
    """(page number, offset, position) of a list page: `?page=N` within the first MAX_OFFSET items, or
    `?cursor=` (the Next links carry one) at any depth; BadRequest naming the parameter otherwise."""
    from werkzeug.exceptions import BadRequest

    from .schemas import parse_cursor
    from .store.base import MAX_OFFSET

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


def _form_page(values: dict, errors: Optional[dict] = None, status: int = 200):
    messages = []
    for field_name, reasons in (errors or {}).items():
        reasons = reasons if isinstance(reasons, list) else [reasons]
        messages.append((field_name, FIELD_LABELS.get(field_name, field_name), "; ".join(map(str, reasons))))
    return render_template("index.html", values=values, errors=errors or {}, messages=messages,
                           stats=_store().stats(), max_claim_chars=MAX_CLAIM_CHARS), status


@bp.get("/")
def index():
    """The check form and what the store holds."""
    return _form_page({"claim": "", "claim_date": "", "as_of": ""})


@bp.route("/check", methods=["GET", "POST"])
def check():
    """Check a claim from the form (POST) or a link (GET ?claim=...) and show the verdict."""
    source = request.form if request.method == "POST" else request.args
    if request.method == "GET" and "claim" not in source:
        return redirect(url_for("web.index"))
    values = {name: source.get(name, "") for name in ("claim", "claim_date", "as_of")}
    # Empty optional fields mean "not given"; other form keys (a submit button's name) are ignored.
    data = {name: value if name == "claim" else value.strip() for name, value in values.items()
            if name == "claim" or value.strip()}
    try:
        request_data = load_check_request(data)
    except ValidationError as exc:
        return _form_page(values, exc.messages, 400)
    store = _store()
    try:
        verdict = check_claim(store, request_data["claim"], claim_date=request_data["claim_date"],
                              as_of=request_data["as_of"])
    except ValueError as exc:
        field_name, sep, reason = str(exc).partition(":")
        errors = {field_name.strip(): [reason.strip()]} if sep and field_name.strip() in FIELD_LABELS \
            else {"_schema": [str(exc)]}
        return _form_page(values, errors, 400)
    if request.method == "POST":
        store.save_check(verdict)
    return _verdict_page(verdict)


@bp.get("/checks/<check_id>")
def saved_check(check_id: str):
    """A saved verdict, by id."""
    verdict = _store().get_check(check_id)
    if verdict is None:
        return error_page(404, "Not Found", "There is no saved check with that id.")
    return _verdict_page(verdict)


def _verdict_page(verdict: Verdict):
    groups = {"supports": [], "conflicts": [], "related": []}
    for item in verdict.evidence:
        groups.setdefault(item.stance, []).append(item)
    label, explanation = VERDICT_LABELS.get(verdict.verdict, (verdict.verdict, ""))
    review = _store().get_review(verdict.id) if verdict.id else None
    jsonld = None
    if review is not None and review.status == "published":
        jsonld = claimreview_script(review, verdict)
    return render_template("verdict.html", verdict=verdict, label=label, explanation=explanation,
                           groups=groups, segments=sentence_segments, review=review, jsonld=jsonld,
                           labels=VERDICT_LABELS, strip=timeline_strip(verdict),
                           confidence_pct=round(100 * float(verdict.confidence or 0)))


def timeline_strip(verdict: Verdict, around: int = 3) -> dict:
    """The events of the claim's own event (those its evidence belongs to) and their neighbours in time, found
    with the claim's words; nothing when the claim has no date and no evidence places it in an event."""
    try:
        events = build_timeline(_store(), query=verdict.claim, as_of=verdict.as_of, limit=50)["events"]
    except ValueError:
        return {"events": [], "pivot": None}
    pivot = next((d["value"] for d in verdict.dates or [] if isinstance(d.get("value"), str)
                  and _CALENDAR_VALUE.match(d["value"])), None)
    evidence_passages = {e.passage_id for e in verdict.evidence if e.stance != "related"}
    own = {e["event"] for e in events if e["passage_id"] in evidence_passages}
    if not pivot and not own:
        return {"events": [], "pivot": None}
    if own:
        # The claim's event in full, and the nearest other events either side of it in time.
        inside = [i for i, e in enumerate(events) if e["event"] in own]
        before = [e for e in events[:inside[0]] if e["event"] not in own][-around:]
        after = [e for e in events[inside[-1] + 1:] if e["event"] not in own][:around]
        shown = before + [events[i] for i in inside] + after
    else:
        index = next((i for i, e in enumerate(events) if e["range_end"] >= pivot[:10]), len(events))
        shown = events[max(0, index - around):index + around]
    for event in shown:
        event["at_claim"] = bool(pivot) and event["range_start"][:len(pivot)] <= pivot <= event["range_end"]
        event["is_evidence"] = event["passage_id"] in evidence_passages
        event["in_claim_event"] = event["event"] in own
    return {"events": shown, "pivot": pivot}


def json_for_script(data) -> Markup:
    """JSON safe inside a <script> element: "<", ">" and "&" escaped as \\u003c, \\u003e, \\u0026."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def claimreview_script(review: Review, verdict: Verdict) -> Markup:
    """The published review's ClaimReview JSON-LD, ready for a <script type="application/ld+json">."""
    data = workflow.claimreview(review, verdict, url=url_for("web.saved_check", check_id=verdict.id,
                                                               _external=True))
    return json_for_script(data)


def error_page(status: int, title: str, detail: str, headers: Optional[dict] = None, login_link: bool = False):
    """A small HTML error page (title and detail are escaped by the template)."""
    response = current_app.make_response((render_template("error.html", status=status, title=title,
                                                          detail=detail, login_link=login_link), status))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# The other pages register their views on this blueprint when imported.
from . import web_auth, web_reviews, web_sources, web_timeline  # noqa: E402,F401
