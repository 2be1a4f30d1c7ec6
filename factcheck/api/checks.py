"""API: check claims (one or a batch) and read saved verdicts."""
from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import ValidationError
from werkzeug.routing import BaseConverter

from .. import schemas as s
from ..check import check_claim
from ..repeat import previous_of, save_check
from .auth import requires
from .shared import API_PREFIX, field_errors, json_response, problem, publish, store, value_error_problem

bp = Blueprint("api", __name__, url_prefix=API_PREFIX, description="Check claims and read saved verdicts.")


def _verdict_event(verdict) -> dict:
    return {"check_id": verdict.id, "claim": verdict.claim, "verdict": verdict.verdict,
            "confidence": verdict.confidence, "as_of": verdict.as_of,
            "url": url_for("api.get_check", check_id=verdict.id, _external=True)}


@bp.route("/checks", methods=["POST"])
@requires("check")
@bp.doc(responses={"201": {"links": {"GetCheck": {"operationRef": "#/paths/~1api~1v1~1checks~1{check_id}/get",
                                                  "parameters": {"check_id": "$response.body#/id"}}}}})
@bp.arguments(s.CheckRequestSchema)
@bp.response(201, s.VerdictSchema)
def create_check(data):
    """Check a claim against the stored sources and save the verdict."""
    try:
        verdict = check_claim(store(), data["claim"], claim_date=data["claim_date"], as_of=data["as_of"])
    except ValueError as exc:
        return value_error_problem(exc)
    check_id = save_check(store(), verdict)
    publish("check.completed", _verdict_event(verdict))
    return json_response({**verdict.to_dict(), "previous_checks": previous_of(store(), verdict, just_saved=True)},
                         201,
                         {"Location": url_for("api.get_check", check_id=check_id)})


@bp.route("/checks/<check:check_id>", methods=["GET"])
@requires("read")
@bp.response(200, s.VerdictSchema)
def get_check(check_id: str):
    """A saved verdict by id."""
    verdict = store().get_check(check_id)
    if verdict is None:
        return problem(404, f"No check with id {check_id!r}.")
    return json_response({**verdict.to_dict(), "previous_checks": previous_of(store(), verdict)})


@bp.route("/checks/batch", methods=["POST"])
@requires("check")
@bp.arguments(s.CheckBatchRequestSchema)
@bp.response(200, s.CheckBatchResultSchema)
def check_batch(data):
    """Check up to 100 claims; each result carries its index, your id and either the verdict or its errors.

    The response is 200 whenever the batch itself is well formed: look at each item's `status` (201 checked and
    saved, 422 invalid, with `errors` naming the fields).
    """
    results = []
    item_schema = s.BatchClaimSchema()
    for index, raw in enumerate(data["claims"]):
        given_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        try:
            item = item_schema.load(raw)
            verdict = check_claim(store(), item["claim"], claim_date=item["claim_date"], as_of=item["as_of"])
        except ValidationError as exc:
            results.append({"index": index, "id": given_id, "status": 422, "check": None,
                            "errors": field_errors(exc.messages)})
            continue
        except ValueError as exc:
            name, sep, reason = str(exc).partition(":")
            errors = {name.strip(): [reason.strip()]} if sep else {"_schema": [str(exc)]}
            results.append({"index": index, "id": given_id, "status": 422, "check": None, "errors": errors})
            continue
        save_check(store(), verdict)
        publish("check.completed", _verdict_event(verdict))
        results.append({"index": index, "id": given_id, "status": 201,
                        "check": {**verdict.to_dict(),
                                  "previous_checks": previous_of(store(), verdict, just_saved=True)}})
    failed = sum(1 for r in results if r["status"] != 201)
    return json_response({"checked": len(results) - failed, "failed": failed, "results": results})


class CheckIdConverter(BaseConverter):
    """A check id in a path: any segment but "batch", so that /checks/batch is POST only (its Allow header
    lists POST alone, as the OpenAPI document says), not also GET /checks/<id> with the id "batch"."""

    regex = r"(?!batch$)[^/]+"
