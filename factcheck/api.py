"""JSON API, version 1: every error is application/problem+json (RFC 9457), translated once in create_app."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, current_app, jsonify, request, url_for
from marshmallow import ValidationError

from .check import check_claim
from .schemas import load_check_request

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PROBLEM_JSON = "application/problem+json"


def problem(status: int, detail: str, *, title: Optional[str] = None, errors: Optional[dict] = None,
            headers: Optional[dict] = None):
    """A problem+json response: {"type", "title", "status", "detail", "errors"?}."""
    from werkzeug.http import HTTP_STATUS_CODES

    body = {"type": "about:blank", "title": title or HTTP_STATUS_CODES.get(status, "Error"),
            "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _validation_problem(messages) -> "object":
    errors = messages if isinstance(messages, dict) else {"_schema": list(messages)}
    parts = []
    for field_name, reasons in errors.items():
        reasons = reasons if isinstance(reasons, list) else [reasons]
        text = "; ".join(str(r) for r in reasons)
        parts.append(text if field_name == "_schema" else f"{field_name}: {text}")
    return problem(422, " ".join(parts) or "The request body is not valid.", title="Unprocessable Content",
                   errors=errors)


def _store():
    return current_app.extensions["factcheck_store"]


def _json_body():
    """The parsed JSON body, or a problem response (415 wrong media type, 400 malformed JSON)."""
    if not request.is_json:
        return None, problem(415, "Send the body as JSON with Content-Type: application/json.")
    body = request.get_json(silent=True)
    if body is None:
        return None, problem(400, "The body is not valid JSON.", title="Bad Request",
                             errors={"_body": ["Malformed JSON."]})
    return body, None


@bp.post("/checks")
def create_check():
    """Check a claim against the stored sources and save the verdict."""
    body, error = _json_body()
    if error is not None:
        return error
    try:
        data = load_check_request(body)
    except ValidationError as exc:
        return _validation_problem(exc.messages)
    store = _store()
    try:
        verdict = check_claim(store, data["claim"], claim_date=data["claim_date"], as_of=data["as_of"])
    except ValueError as exc:
        return _value_error_problem(exc)
    check_id = store.save_check(verdict)
    response = jsonify(verdict.to_dict())
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_check", check_id=check_id)
    return response


@bp.get("/checks/<check_id>")
def get_check(check_id: str):
    """A saved verdict by id."""
    verdict = _store().get_check(check_id)
    if verdict is None:
        return problem(404, f"No check with id {check_id!r}.")
    return jsonify(verdict.to_dict())


def _value_error_problem(exc: ValueError):
    """check_claim's ValueError reads "field: reason"; name the field when it does."""
    message = str(exc) or "The request is not valid."
    field_name, sep, reason = message.partition(":")
    if sep and field_name.strip() in ("claim", "claim_date", "as_of"):
        errors = {field_name.strip(): [reason.strip()]}
    else:
        errors = {"_schema": [message]}
    return problem(422, message, title="Unprocessable Content", errors=errors)
