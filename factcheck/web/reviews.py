"""Flagging checks and the editors' review queue: list, review page, changes with optimistic concurrency, publish."""
from __future__ import annotations

from typing import Optional

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from flask import current_app, redirect, render_template, request, url_for

from .. import review as workflow
from ..models import REVIEW_STATUSES, VERDICTS, Review
from ..evidence_view import evidence_cards
from ..ingest import IngestError, ingest_url_source
from ..repeat import previous_of
from ..schemas import make_cursor
from ..store.base import MAX_OFFSET, NotFound, StoreError, VersionConflict, review_position
from .auth import current_user, require
from .shared import VERDICT_LABELS, bp, claimreview_script, error_page, list_paging, sentence_segments, store

PAGE_SIZE = 25
FORM_FIELDS = ("status", "assignee", "rating", "explanation", "claimant", "claimant_type", "claim_date", "appearance",
               "note")
FIELD_LABELS = {"status": "Status", "rating": "Editor's rating", "explanation": "Explanation", "assignee": "Assignee",
                "claimant": "Claimant", "claimant_type": "Claimant is", "claim_date": "Claim made on",
                "appearance": "First appeared at", "evidence": "Evidence", "added_source": "Added source",
                "add_source.url": "Source address", "stance": "Stance",
                "exclude_evidence.reason": "Reason for excluding", "exclude_evidence.passage_id": "Passage",
                "restore_evidence": "Passage"}
STATUS_LABELS = {"pending": "Pending", "in_review": "In review", "approved": "Approved",
                 "overridden": "Overridden", "dismissed": "Dismissed", "published": "Published"}


@bp.post("/checks/<check_id>/flag")
@require("ingest")
def flag_check(check_id: str):
    """Put a saved check in the editors' queue."""
    note = request.form.get("note", "")
    try:
        workflow.flag(store(), check_id, by=current_user().username, note=note or None)
    except NotFound:
        return error_page(404, "Not Found", "There is no saved check with that id.")
    except workflow.ReviewError as exc:
        return error_page(422, "Unprocessable Content", exc.reason)
    return redirect(url_for("web.saved_check", check_id=check_id) + "#h-review", 303)


# The queue's age filter: reviews flagged at least this many days ago.
WAITING = {"1": "more than a day", "3": "more than 3 days", "7": "more than a week", "30": "more than 30 days"}
OPEN_STATUSES = ("pending", "in_review", "approved", "overridden")


def waited(review: Review, now: Optional[datetime] = None) -> str:
    """How long the review has waited since it was flagged (until it was published): "3 days", "5 hours"."""
    try:
        start = datetime.fromisoformat(review.created_at)
        end = datetime.fromisoformat(review.published_at) if review.published_at else (now or _utcnow())
    except (TypeError, ValueError):
        return "unknown"
    seconds = max(0, int((end - start).total_seconds()))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@bp.app_context_processor
def _queue_globals() -> dict:
    return {"assigned_open_count": assigned_open_count}


def assigned_open_count() -> int:
    """How many open reviews (not published or dismissed) are assigned to the logged-in editor: the header's
    notification count (read when a page shows it; at most 100 are counted)."""
    user = current_user()
    if user is None or not user.can("review"):
        return 0
    try:
        return sum(1 for r in store().list_reviews(assignee=user.username, limit=100) if r.status in OPEN_STATUSES)
    except StoreError:  # the page (perhaps the 503 page saying so) is shown without the count
        return 0


@bp.get("/reviews")
def reviews():
    """The review queue, oldest change first, filtered by status, machine verdict, assignee and age; a
    fact-checker sees the checks they flagged, read-only."""
    user = current_user()
    if user is not None and not user.can("review") and user.can("ingest"):
        return _my_flagged(user.username)
    return _queue()


@require("review")
def _queue():
    filters = {name: request.args.get(name, "").strip() for name in ("status", "verdict", "assignee", "waiting")}
    if filters["status"] not in REVIEW_STATUSES:
        filters["status"] = ""
    if filters["verdict"] not in VERDICTS:
        filters["verdict"] = ""
    if filters["waiting"] not in WAITING:
        filters["waiting"] = ""
    assignee = current_user().username if filters["assignee"] == "me" else filters["assignee"]
    created_before = (_utcnow() - timedelta(days=int(filters["waiting"]))).isoformat(timespec="seconds") \
        if filters["waiting"] else None
    page, offset, after = list_paging(PAGE_SIZE)
    items = store().list_reviews(status=filters["status"] or None, verdict=filters["verdict"] or None,
                                  assignee=assignee or None, limit=PAGE_SIZE + 1, offset=offset, after=after,
                                  created_before=created_before)
    next_cursor = make_cursor(review_position(items[PAGE_SIZE - 1])) if len(items) > PAGE_SIZE else None
    return render_template("reviews.html", items=items[:PAGE_SIZE], filters=filters, page=page, mine=False,
                           next_cursor=next_cursor, statuses=STATUS_LABELS, labels=VERDICT_LABELS,
                           verdicts=VERDICTS, previous_by_number=page - 1 <= MAX_OFFSET // PAGE_SIZE,
                           waiting=WAITING, waited=waited)


def _my_flagged(username: str):
    """A fact-checker's own flagged checks and where each stands (read-only)."""
    filters = {"status": request.args.get("status", "").strip()}
    if filters["status"] not in REVIEW_STATUSES:
        filters["status"] = ""
    page, offset, after = list_paging(PAGE_SIZE)
    items = store().list_reviews(status=filters["status"] or None, flagged_by=username, limit=PAGE_SIZE + 1,
                                 offset=offset, after=after)
    next_cursor = make_cursor(review_position(items[PAGE_SIZE - 1])) if len(items) > PAGE_SIZE else None
    return render_template("reviews.html", items=items[:PAGE_SIZE], filters=filters, page=page, mine=True,
                           next_cursor=next_cursor, statuses=STATUS_LABELS, labels=VERDICT_LABELS,
                           verdicts=VERDICTS, previous_by_number=page - 1 <= MAX_OFFSET // PAGE_SIZE,
                           waiting=WAITING, waited=waited)


def audit_value(field_name: str, value) -> str:
    """A value of the audit trail as the pages show it: labels ("Refuted", "In review"), not stored values."""
    if value is None or value == "":
        return "—"
    if field_name == "status":
        return STATUS_LABELS.get(value, value)
    if field_name == "rating":
        return VERDICT_LABELS.get(value, (value,))[0]
    if field_name == "claimant_type":
        return {"Person": "a person", "Organization": "an organisation"}.get(value, value)
    return str(value)


def _load(review_id: str) -> Optional[Review]:
    return store().get_review(review_id)


def _review_page(review: Review, *, form: Optional[dict] = None, errors: Optional[dict] = None,
                 conflict: bool = False, status: int = 200, saved: str = "", confirm_publish: bool = False,
                 source_form: Optional[dict] = None):
    verdict = store().get_check(review.check_id)
    # The cards show what the published check will show; the excluded passages are listed apart.
    cards = evidence_cards(replace(verdict, evidence=workflow.visible_evidence(verdict, review))) \
        if verdict is not None else {}
    if form is None:
        form = {name: getattr(review, name) or "" for name in FORM_FIELDS if name != "note"}
        form["note"] = ""
        # The claim's date is prefilled from the check's (the editor confirms or corrects it).
        form["claim_date"] = form["claim_date"] or (verdict.claim_date if verdict is not None else "") or ""
    locked = review.status == "published"
    jsonld = claimreview_script(review, verdict) if locked and verdict is not None else None
    next_statuses = [review.status] + sorted(workflow.TRANSITIONS.get(review.status, ()) - {"published"},
                                             key=REVIEW_STATUSES.index)
    return render_template("review.html", review=review, verdict=verdict, cards=cards, form=form,
                           errors=errors or {}, conflict=conflict, locked=locked, jsonld=jsonld, saved=saved,
                           next_statuses=next_statuses, statuses=STATUS_LABELS, labels=VERDICT_LABELS,
                           verdicts=VERDICTS, segments=sentence_segments, confirm_publish=confirm_publish,
                           field_labels=FIELD_LABELS, audit_value=audit_value, form_fields=FORM_FIELDS,
                           source_form=source_form or {"url": "", "stance": "supports"},
                           previous=previous_of(store(), verdict) if verdict is not None else [],
                           can_publish="published" in workflow.TRANSITIONS.get(review.status, ())), status


@bp.get("/reviews/<review_id>")
@require("review")
def review_page(review_id: str):
    """One review: the evidence, the machine verdict, the editor's form, notes and audit trail."""
    review = _load(review_id)
    if review is None:
        return error_page(404, "Not Found", "There is no review with that id.")
    saved = {"1": "Saved.", "published": "Published.", "excluded": "Excluded: the published check leaves it out.",
             "restored": "Put back: the published check shows it again.",
             "added": "Source added."}.get(request.args.get("saved", ""), "")
    return _review_page(review, saved=saved)


def _form_version() -> Optional[int]:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


@bp.post("/reviews/<review_id>")
@require("review")
def update_review(review_id: str):
    """Save the editor's changes (or publish) against the version the form was loaded at."""
    review = _load(review_id)
    if review is None:
        return error_page(404, "Not Found", "There is no review with that id.")
    form = {name: request.form.get(name, "") for name in FORM_FIELDS}
    version = _form_version()
    if version is None:
        return error_page(400, "Bad Request", "The form did not say which version of the review it was based on.")
    changes = {name: form[name] for name in FORM_FIELDS if name in request.form}
    if not form["claimant"].strip() and not review.claimant_type:
        changes.pop("claimant_type", None)  # the select's default says nothing when nobody is named
    if request.form.get("action") == "publish":
        if request.form.get("confirm") != "1":
            # Publishing cannot be undone: ask first, keeping what was typed.
            return _review_page(review, form=form, confirm_publish=True)
        changes["status"] = "published"
    try:
        workflow.update(store(), review_id, changes, by=current_user().username, expected_version=version)
    except VersionConflict:
        # Keep everything typed; show the review as it is now, and base a new save on its current version.
        return _review_page(_load(review_id), form=form, conflict=True, status=409)
    except workflow.Locked:
        return _review_page(review, errors={"_form": "This review is published and locked; it cannot change."},
                            status=409)
    except workflow.ReviewError as exc:
        return _review_page(review, form=form, errors={exc.field: exc.reason}, status=422)
    done = "published" if changes.get("status") == "published" else "1"
    return redirect(url_for("web.review_page", review_id=review_id, saved=done), 303)


@bp.post("/reviews/<review_id>/assign")
@require("review")
def assign_review(review_id: str):
    """Assign the review to the logged-in editor (and start it when it is pending)."""
    review = _load(review_id)
    if review is None:
        return error_page(404, "Not Found", "There is no review with that id.")
    version = _form_version()
    changes = {"assignee": current_user().username}
    if review.status == "pending":
        changes["status"] = "in_review"
    try:
        workflow.update(store(), review_id, changes, by=current_user().username,
                        expected_version=version if version is not None else -1)
    except VersionConflict:
        return error_page(409, "Conflict", "Someone else changed this review since you loaded the page; reload "
                                           "it and try again.")
    except workflow.ReviewError as exc:
        return error_page(409 if isinstance(exc, workflow.Locked) else 422, "Cannot assign", exc.reason)
    target = request.form.get("next", "")
    if target == "queue":
        return redirect(url_for("web.reviews", **{k: v for k, v in request.args.items()}), 303)
    return redirect(url_for("web.review_page", review_id=review_id), 303)


def _evidence_change(review_id: str, changes: dict, done: str, source_form: Optional[dict] = None):
    """Apply one evidence change from a review page form; errors re-render the page (422, 409 when stale)."""
    review = _load(review_id)
    if review is None:
        return error_page(404, "Not Found", "There is no review with that id.")
    version = _form_version()
    if version is None:
        return error_page(400, "Bad Request", "The form did not say which version of the review it was based on.")
    try:
        if source_form is not None:
            if review.status == "published":
                raise workflow.Locked("status", "the review is published and locked")
            stance = source_form["stance"]
            if stance not in workflow.ADDED_STANCES:
                raise workflow.ReviewError("stance", "must be one of " + ", ".join(workflow.ADDED_STANCES))
            try:
                source = ingest_url_source(store(), source_form["url"], current_app.extensions["factcheck_config"])
            except IngestError as exc:
                raise workflow.ReviewError("add_source.url", exc.reason) from None
            changes = {"added_source": workflow.added_evidence(source, stance, current_user().username)}
        workflow.update(store(), review_id, changes, by=current_user().username, expected_version=version)
    except VersionConflict:
        return _review_page(_load(review_id), conflict=True, status=409, source_form=source_form)
    except workflow.Locked:
        return _review_page(review, errors={"_form": "This review is published and locked; it cannot change."},
                            status=409)
    except workflow.ReviewError as exc:
        return _review_page(review, errors={exc.field: exc.reason}, status=422, source_form=source_form)
    return redirect(url_for("web.review_page", review_id=review_id, saved=done) + "#h-evidence", 303)


@bp.post("/reviews/<review_id>/exclude")
@require("review")
def exclude_evidence(review_id: str):
    """Leave a passage out of the published check, with a reason kept in the audit trail."""
    return _evidence_change(review_id, {"exclude_evidence": {"passage_id": request.form.get("passage_id", ""),
                                                             "reason": request.form.get("reason", "")}}, "excluded")


@bp.post("/reviews/<review_id>/restore")
@require("review")
def restore_evidence(review_id: str):
    """Put an excluded passage back."""
    return _evidence_change(review_id, {"restore_evidence": request.form.get("passage_id", "")}, "restored")


@bp.post("/reviews/<review_id>/sources")
@require("review")
def add_review_source(review_id: str):
    """Fetch a source by URL (the URL ingest, with its address checks), store it and add it to the review."""
    source_form = {"url": request.form.get("url", "").strip(), "stance": request.form.get("stance", "supports")}
    return _evidence_change(review_id, {}, "added", source_form=source_form)
