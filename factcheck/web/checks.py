"""The check form and the verdict page."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional

from flask import redirect, render_template, request, url_for
from marshmallow import ValidationError

from .. import review as workflow
from ..check import check_claim
from ..evidence_view import claim_names, evidence_cards
from ..models import Verdict
from ..repeat import previous_of, save_check
from ..schemas import MAX_CLAIM_CHARS, load_check_request
from ..timeline import build_timeline
from .shared import VERDICT_LABELS, bp, claimreview_script, error_page, sentence_segments, store

# A day, month or year value ("2024-05-14", "2024-05", "2024"): what the timeline strip can centre on.
_CALENDAR_VALUE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
FIELD_LABELS = {"claim": "Claim", "claim_date": "Claim date", "as_of": "As of", "_schema": "Form"}


def _form_page(values: dict, errors: Optional[dict] = None, status: int = 200):
    messages = []
    for field_name, reasons in (errors or {}).items():
        reasons = reasons if isinstance(reasons, list) else [reasons]
        messages.append((field_name, FIELD_LABELS.get(field_name, field_name), "; ".join(map(str, reasons))))
    return render_template("index.html", values=values, errors=errors or {}, messages=messages,
                           stats=store().stats(), max_claim_chars=MAX_CLAIM_CHARS), status


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
    try:
        verdict = check_claim(store(), request_data["claim"], claim_date=request_data["claim_date"],
                              as_of=request_data["as_of"])
    except ValueError as exc:
        field_name, sep, reason = str(exc).partition(":")
        errors = {field_name.strip(): [reason.strip()]} if sep and field_name.strip() in FIELD_LABELS \
            else {"_schema": [str(exc)]}
        return _form_page(values, errors, 400)
    if request.method == "POST":
        # POST-redirect-GET: the address becomes the saved check's, and a reload does not save it again.
        check_id = save_check(store(), verdict)
        return redirect(url_for("web.saved_check", check_id=check_id), 303)
    return _verdict_page(verdict)


@bp.get("/checks/<check_id>")
def saved_check(check_id: str):
    """A saved verdict, by id."""
    verdict = store().get_check(check_id)
    if verdict is None:
        return error_page(404, "Not Found", "There is no saved check with that id.")
    return _verdict_page(verdict)


def _verdict_page(verdict: Verdict):
    label, explanation = VERDICT_LABELS.get(verdict.verdict, (verdict.verdict, ""))
    review = store().get_review(verdict.id) if verdict.id else None
    published = review is not None and review.status == "published"
    jsonld = claimreview_script(review, verdict) if published else None
    claim_marks, names = claim_names(verdict)
    # A published check shows the evidence as the editors left it: without what they excluded, with what they added.
    shown = replace(verdict, evidence=workflow.visible_evidence(verdict, review)) if published else verdict
    return render_template("verdict.html", verdict=verdict, label=label, explanation=explanation,
                           cards=evidence_cards(shown, names), claim_marks=claim_marks,
                           added=review.added if published else [],
                           segments=sentence_segments, review=review, jsonld=jsonld, published=published,
                           rating=workflow.RATINGS.get(review.rating, ("", "")) if published else None,
                           labels=VERDICT_LABELS, strip=timeline_strip(shown),
                           confidence_pct=round(100 * float(verdict.confidence or 0)),
                           previous=previous_of(store(), verdict))


def timeline_strip(verdict: Verdict, around: int = 3) -> dict:
    """The events of the claim's own event (those its evidence belongs to) and their neighbours in time, found
    with the claim's words; nothing when the claim has no date and no evidence places it in an event."""
    try:
        events = build_timeline(store(), query=verdict.claim, as_of=verdict.as_of, limit=50)["events"]
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
