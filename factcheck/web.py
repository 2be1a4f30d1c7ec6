"""HTML pages: the check form and the verdict page. Templates autoescape; source text is never marked safe."""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError

from .check import check_claim
from .models import Verdict
from .schemas import MAX_CLAIM_CHARS, load_check_request

bp = Blueprint("web", __name__)

VERDICT_LABELS = {
    "SUPPORTED": ("Supported", "The sources we hold back this claim."),
    "REFUTED": ("Refuted", "The sources we hold contradict this claim."),
    "CONFLICTING": ("Conflicting", "Credible sources disagree about this claim."),
    "NOT_ENOUGH_EVIDENCE": ("Not enough evidence", "We found too little in our sources to judge this claim."),
}
FIELD_LABELS = {"claim": "Claim", "claim_date": "Claim date", "as_of": "As of", "_schema": "Form"}


def _store():
    return current_app.extensions["factcheck_store"]


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
    data = {name: value for name, value in values.items() if name == "claim" or value.strip()}
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
    return render_template("verdict.html", verdict=verdict, label=label, explanation=explanation,
                           groups=groups, segments=sentence_segments,
                           confidence_pct=round(100 * float(verdict.confidence or 0)))


def error_page(status: int, title: str, detail: str, headers: Optional[dict] = None):
    """A small HTML error page (title and detail are escaped by the template)."""
    response = current_app.make_response((render_template("error.html", status=status, title=title,
                                                          detail=detail), status))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
