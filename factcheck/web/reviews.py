"""Flagging checks and the editors' review queue: list, review page, changes with optimistic concurrency, publish."""
from __future__ import annotations

from typing import Optional

from flask import redirect, render_template, request, url_for

from .. import review as workflow
from ..models import REVIEW_STATUSES, VERDICTS, Review
from ..schemas import make_cursor
from ..store.base import MAX_OFFSET, NotFound, VersionConflict, review_position
from .auth import current_user, require
from .shared import VERDICT_LABELS, bp, claimreview_script, error_page, list_paging, sentence_segments, store

PAGE_SIZE = 25
FORM_FIELDS = ("status", "rating", "explanation", "claimant", "appearance", "note")
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


@bp.get("/reviews")
@require("review")
def reviews():
    """The review queue, oldest change first, filtered by status, machine verdict and assignee."""
    filters = {name: request.args.get(name, "").strip() for name in ("status", "verdict", "assignee")}
    if filters["status"] not in REVIEW_STATUSES:
        filters["status"] = ""
    if filters["verdict"] not in VERDICTS:
        filters["verdict"] = ""
    assignee = current_user().username if filters["assignee"] == "me" else filters["assignee"]
    page, offset, after = list_paging(PAGE_SIZE)
    items = store().list_reviews(status=filters["status"] or None, verdict=filters["verdict"] or None,
                                  assignee=assignee or None, limit=PAGE_SIZE + 1, offset=offset, after=after)
    next_cursor = make_cursor(review_position(items[PAGE_SIZE - 1])) if len(items) > PAGE_SIZE else None
    return render_template("reviews.html", items=items[:PAGE_SIZE], filters=filters, page=page,
                           next_cursor=next_cursor, statuses=STATUS_LABELS, labels=VERDICT_LABELS,
                           verdicts=VERDICTS, previous_by_number=page - 1 <= MAX_OFFSET // PAGE_SIZE)


def _load(review_id: str) -> Optional[Review]:
    return store().get_review(review_id)


def _review_page(review: Review, *, form: Optional[dict] = None, errors: Optional[dict] = None,
                 conflict: bool = False, status: int = 200, saved: bool = False):
    verdict = store().get_check(review.check_id)
    groups = {"supports": [], "conflicts": [], "related": []}
    for item in (verdict.evidence if verdict else []):
        groups.setdefault(item.stance, []).append(item)
    if form is None:
        form = {name: getattr(review, name) or "" for name in FORM_FIELDS if name != "note"}
        form["note"] = ""
    locked = review.status == "published"
    jsonld = claimreview_script(review, verdict) if locked and verdict is not None else None
    next_statuses = [review.status] + sorted(workflow.TRANSITIONS.get(review.status, ()) - {"published"},
                                             key=REVIEW_STATUSES.index)
    return render_template("review.html", review=review, verdict=verdict, groups=groups, form=form,
                           errors=errors or {}, conflict=conflict, locked=locked, jsonld=jsonld, saved=saved,
                           next_statuses=next_statuses, statuses=STATUS_LABELS, labels=VERDICT_LABELS,
                           verdicts=VERDICTS, segments=sentence_segments,
                           can_publish="published" in workflow.TRANSITIONS.get(review.status, ())), status


@bp.get("/reviews/<review_id>")
@require("review")
def review_page(review_id: str):
    """One review: the evidence, the machine verdict, the editor's form, notes and audit trail."""
    review = _load(review_id)
    if review is None:
        return error_page(404, "Not Found", "There is no review with that id.")
    return _review_page(review, saved=request.args.get("saved") == "1")


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
    if request.form.get("action") == "publish":
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
    return redirect(url_for("web.review_page", review_id=review_id, saved=1), 303)


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
