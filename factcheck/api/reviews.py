"""API: the editorial review queue (flag, list, read, change with optimistic concurrency) and ClaimReview.

Concurrency: GET /reviews/<id> sends `ETag: "<version>"`; PATCH must send it back in `If-Match` (428 without
it). When someone else changed the review in between, the PATCH is refused with 412 and nothing is
overwritten: GET it again, re-apply the change, PATCH with the new ETag.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Optional

from flask import request, url_for
from flask_smorest import Blueprint
from werkzeug.routing import BuildError

from .. import review as workflow
from .. import schemas as s
from ..store.base import NotFound, VersionConflict, review_position
from .auth import current_caller, requires
from ..ingest import IngestError, ingest_url_source
from .shared import (API_PREFIX, config, decode_cursor, json_response, page, problem, publish, publisher, store,
                     validation_problem)

bp = Blueprint("reviews", __name__, url_prefix=API_PREFIX,
               description="The editors' review queue and published ClaimReviews.")

_ETAG = re.compile(r'^\s*(?:W/)?"v?(\d{1,12})"\s*$')
_ETAG_HEADER = {"ETag": {"description": 'The review\'s version, e.g. "3"; send it back in If-Match to change it',
                         "schema": {"type": "string"}}}
_IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string", "minLength": 1},
             "description": "The ETag of the review as you last read it (412 when it is not the current one)"}
_REVIEW_LINKS = {
    "GetReview": {"operationRef": "#/paths/~1api~1v1~1reviews~1{review_id}/get",
                  "parameters": {"review_id": "$response.body#/id"}},
    "UpdateReview": {"operationRef": "#/paths/~1api~1v1~1reviews~1{review_id}/patch",
                     "parameters": {"review_id": "$response.body#/id", "header.If-Match": "$response.header.ETag"}},
}


def etag(review) -> str:
    return f'"{review.version}"'


def _with_etag(review, status: int = 200, extra: Optional[dict] = None):
    return json_response(review.to_dict(), status, {"ETag": etag(review), **(extra or {})})


@bp.route("/reviews", methods=["POST"])
@requires("ingest")
@bp.doc(responses={"201": {"links": _REVIEW_LINKS}, "200": {"links": _REVIEW_LINKS}})
@bp.arguments(s.ReviewFlagSchema)
@bp.response(201, s.ReviewSchema, headers=_ETAG_HEADER, description="The check was put in the queue")
@bp.alt_response(200, schema=s.ReviewSchema, description="The check was already in the queue: its review")
def flag_check(data):
    """Flag a saved check for the editors (fact-checkers and up)."""
    existing = store().get_review(data["check_id"])
    if existing is not None:
        return _with_etag(existing)
    try:
        review = workflow.flag(store(), data["check_id"], by=current_caller().label, note=data.get("note"))
    except NotFound:  # the check named in the body: a 404 naming the field
        return problem(404, f"No saved check with id {data['check_id']!r}.", title="Not Found",
                       errors={"check_id": [f"No saved check with id {data['check_id']!r}."]})
    except workflow.ReviewError as exc:
        return validation_problem({exc.field: [exc.reason]})
    return _with_etag(review, 201, {"Location": url_for("reviews.get_review", review_id=review.id)})


@bp.route("/reviews", methods=["GET"])
@requires("review")
@bp.arguments(s.ReviewListArgsSchema, location="query")
@bp.response(200, s.ReviewListSchema)
def list_reviews(args):
    """The review queue, oldest update first, filtered by status, machine verdict, assignee, flagger and age."""
    limit = args["limit"]
    created_before = None
    if args.get("waiting_days"):  # 0: any age
        created_before = (datetime.now(timezone.utc) - timedelta(days=args["waiting_days"])).isoformat(
            timespec="seconds")
    found = store().list_reviews(status=args.get("status"), verdict=args.get("verdict"),
                                 assignee=args.get("assignee"), limit=limit + 1,
                                 after=decode_cursor(args.get("cursor")), flagged_by=args.get("flagged_by"),
                                 created_before=created_before)
    body, headers = page(found, limit, lambda r: r.to_dict(), review_position)
    return json_response(body, headers=headers)


@bp.route("/reviews/<review_id>", methods=["GET"])
@requires("review")
@bp.response(200, s.ReviewSchema, headers=_ETAG_HEADER)
def get_review(review_id: str):
    """A review with its notes and audit trail; the ETag header is its version."""
    review = store().get_review(review_id)
    if review is None:
        return problem(404, f"No review with id {review_id!r}.")
    return _with_etag(review)


@bp.route("/reviews/<review_id>", methods=["PATCH"])
@requires("review")
@bp.doc(parameters=[_IF_MATCH], **{"x-problems": ["409", "412", "428"]},
        responses={"200": {"links": {"UpdateAgain": _REVIEW_LINKS["UpdateReview"]}}})
@bp.arguments(s.ReviewPatchSchema)
@bp.response(200, s.ReviewSchema, headers=_ETAG_HEADER)
def update_review(changes, review_id: str):
    """Change status, assignee, rating, explanation, claimant, appearance, notes or the evidence (If-Match required).

    Evidence: `exclude_evidence` leaves a passage out of the published check (with a reason, kept in the audit
    trail; `restore_evidence` puts it back); `add_source` fetches an article by URL and adds it as editor-added
    evidence (422 naming add_source.url when it cannot be fetched or is not public).

    412 when the review changed since you read it; 409 naming the field when the change does not fit the
    review's current state (a status it cannot move to from here, publishing without an explanation, changing a
    published review, which is locked); 422 naming the field when the request itself is invalid.
    """
    if_match = request.headers.get("If-Match")
    if not if_match:
        return problem(428, "Send If-Match with the review's ETag (GET it first), so that a change made by "
                            "someone else in between is not overwritten.", title="Precondition Required")
    current = store().get_review(review_id)
    if current is None:
        return problem(404, f"No review with id {review_id!r}.")
    if if_match.strip() == "*":
        expected = current.version
    else:
        match = _ETAG.match(if_match)
        expected = int(match.group(1)) if match else -1
    if expected != current.version:
        return _stale(current)
    add_source = changes.pop("add_source", None)
    if add_source is not None:
        if current.status == "published":
            return problem(409, "The review is published and locked: no source can be added.", title="Conflict",
                           headers={"ETag": etag(current)})
        try:  # fetched and stored as URL ingest does (public addresses only, unless the settings allow others)
            source = ingest_url_source(store(), add_source["url"], config())
        except IngestError as exc:
            return validation_problem({"add_source.url": [exc.reason]})
        changes["added_source"] = workflow.added_evidence(source, add_source["stance"], current_caller().label)
    try:
        updated = workflow.update(store(), review_id, changes, by=current_caller().label,
                                  expected_version=expected)
    except NotFound:
        return problem(404, f"No review with id {review_id!r}.")
    except VersionConflict:
        return _stale(store().get_review(review_id) or current)
    except workflow.Locked as exc:
        return problem(409, f"The review is published and locked: {exc.reason}.", title="Conflict",
                       headers={"ETag": etag(current)})
    except workflow.ReviewError as exc:  # valid input the review's current state does not allow
        return problem(409, f"{exc.field}: {exc.reason}.", title="Conflict", errors={exc.field: [exc.reason]},
                       headers={"ETag": etag(current)})
    if changes.get("status") == "published" and updated.status == "published":
        verdict = store().get_check(updated.check_id)
        if verdict is not None:
            publish("review.published", {"review_id": updated.id, "check_id": updated.check_id,
                                         "claimreview": workflow.claimreview(updated, verdict, publisher=publisher(),
                                                                             url=_public_url(updated.check_id))})
    return _with_etag(updated)


def _stale(current):
    return problem(412, f"The review changed since you read it (it is now at version {current.version}); GET it "
                        "again, re-apply your change and send the new ETag.", title="Precondition Failed",
                   headers={"ETag": etag(current)})


def _public_url(check_id: str) -> str:
    """Where readers find the check: the web page when the web UI is there, else the API resource."""
    try:
        return url_for("web.saved_check", check_id=check_id, _external=True)
    except BuildError:
        return url_for("api.get_check", check_id=check_id, _external=True)


@bp.route("/checks/<check:check_id>/claimreview", methods=["GET"])
@requires("read")
@bp.response(200, s.ClaimReviewSchema, content_type="application/ld+json",
             description="schema.org ClaimReview JSON-LD")
def get_claimreview(check_id: str):
    """The schema.org ClaimReview (JSON-LD) of a check's published review; 404 until it is published."""
    review = store().get_review(check_id)
    verdict = store().get_check(check_id)
    if verdict is None or review is None or review.status != "published":
        return problem(404, f"No published review for check {check_id!r}.")
    response = json_response(workflow.claimreview(review, verdict, url=_public_url(check_id), publisher=publisher()))
    response.mimetype = "application/ld+json"
    return response
