"""JSON API, version 1: flask-smorest blueprints documented at /api/v1/openapi.json and /api/docs.

Every error is application/problem+json (RFC 9457), translated once: `http_problem` for HTTP errors (the app's
error handler calls it for /api paths, flask-smorest's own handler is not installed), `problem` in the views.
This module holds the set-up, the shared helpers and the checks endpoints; the other endpoints live in
api_sources.py, api_reviews.py and api_webhooks.py, authentication and the rate limit in api_auth.py, the
OpenAPI document and the docs page in api_docs.py.
"""
from __future__ import annotations

import weakref
from typing import Optional

from flask import current_app, jsonify, request, url_for
from flask_smorest import Blueprint, abort
from marshmallow import ValidationError
from werkzeug.routing import BaseConverter

from . import schemas as s
from .api_auth import RateLimiter, current_caller, parse_rate, requires
from .check import check_claim

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=API_PREFIX, description="Check claims and read saved verdicts.")


# ---------------------------------------------------------------------------------------------------------------
# Problem responses


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


def field_errors(messages) -> dict:
    """marshmallow/webargs messages as {field: [reasons]}: locations ("json", "query") dropped, nested
    fields joined with dots ("claims.3" -> reasons)."""
    if not isinstance(messages, dict):
        return {"_schema": [str(m) for m in (messages if isinstance(messages, list) else [messages])]}
    locations = {"json", "query", "querystring", "headers", "form", "view_args", "files", "cookies"}
    if messages and set(messages) <= locations:
        merged: dict = {}
        for inner in messages.values():
            merged.update(field_errors(inner))
        return merged
    flat: dict = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and not all(isinstance(v, str) for v in value):
            for item in value:
                walk(prefix, item)
        else:
            flat.setdefault(prefix or "_schema", []).extend(value if isinstance(value, list) else [str(value)])

    walk("", messages)
    return flat


def validation_problem(errors: dict, status: int = 422):
    """422 problem naming every bad field in `detail` and `errors`."""
    parts = []
    for field_name, reasons in errors.items():
        text = "; ".join(str(r) for r in reasons)
        parts.append(text if field_name == "_schema" else f"{field_name}: {text}")
    return problem(status, " ".join(parts) or "The request is not valid.",
                   title="Bad Request" if status == 400 else "Unprocessable Content", errors=errors)


def http_problem(exc):
    """An HTTPException (routing, webargs validation, size limits) as problem+json."""
    code = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    data = getattr(exc, "data", None) or {}
    headers.update(data.get("headers") or {})
    messages = data.get("errors") or data.get("messages")
    if messages:
        return validation_problem(field_errors(messages), code)
    return problem(code, data.get("message") or exc.description or exc.name, title=exc.name, headers=headers)


def value_error_problem(exc: ValueError, known=("claim", "claim_date", "as_of")):
    """A domain ValueError reading "field: reason" as a 422 naming the field when it does."""
    message = str(exc) or "The request is not valid."
    field_name, sep, reason = message.partition(":")
    if sep and field_name.strip() in known:
        return validation_problem({field_name.strip(): [reason.strip()]})
    return validation_problem({"_schema": [message]})


# ---------------------------------------------------------------------------------------------------------------
# Shared helpers


def store():
    return current_app.extensions["factcheck_store"]


def config():
    return current_app.extensions["factcheck_config"]


def publish(event: str, data: dict) -> None:
    """Hand an event to the webhook dispatcher (delivered on its own thread)."""
    current_app.extensions["factcheck_webhooks"].publish(event, data)


def decode_cursor(cursor: Optional[str]):
    """The position (see store.base) a cursor stands for, None for the first page; 422 naming `cursor` when it
    does not have the cursor's form (the schemas check that form first, so this is a second line)."""
    if not cursor:
        return None
    position = s.parse_cursor(cursor)
    if position is None:
        abort(422, errors={"cursor": ["Not a cursor from this API: copy the `next` link of the previous page."]})
    return position


def page(items: list, limit: int, dump, position) -> tuple[dict, dict]:
    """({"items", "next"}, headers) from up to limit+1 fetched items; `next` starts after the last item shown
    (position(item) is its place in the list's order) and keeps the request's filters."""
    next_url = None
    headers = {}
    if len(items) > limit:
        args = request.args.to_dict()
        args["cursor"] = s.make_cursor(position(items[limit - 1]))
        next_url = url_for(request.endpoint, **(request.view_args or {}), **args)
        headers["Link"] = f'<{next_url}>; rel="next"'
    return {"items": [dump(item) for item in items[:limit]], "next": next_url}, headers


def json_response(body, status: int = 200, headers: Optional[dict] = None):
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# ---------------------------------------------------------------------------------------------------------------
# Checks


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
    check_id = store().save_check(verdict)
    publish("check.completed", _verdict_event(verdict))
    return json_response(verdict.to_dict(), 201,
                         {"Location": url_for("api.get_check", check_id=check_id)})


@bp.route("/checks/<check:check_id>", methods=["GET"])
@requires("read")
@bp.response(200, s.VerdictSchema)
def get_check(check_id: str):
    """A saved verdict by id."""
    verdict = store().get_check(check_id)
    if verdict is None:
        return problem(404, f"No check with id {check_id!r}.")
    return json_response(verdict.to_dict())


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
        store().save_check(verdict)
        publish("check.completed", _verdict_event(verdict))
        results.append({"index": index, "id": given_id, "status": 201, "check": verdict.to_dict()})
    failed = sum(1 for r in results if r["status"] != 201)
    return json_response({"checked": len(results) - failed, "failed": failed, "results": results})


# ---------------------------------------------------------------------------------------------------------------
# Set-up: flask-smorest, the OpenAPI document, the docs page, the rate limiter and the webhook dispatcher


class CheckIdConverter(BaseConverter):
    """A check id in a path: any segment but "batch", so that /checks/batch is POST only (its Allow header
    lists POST alone, as the OpenAPI document says), not also GET /checks/<id> with the id "batch"."""

    regex = r"(?!batch$)[^/]+"


def init_app(app) -> None:
    """Register the API: flask-smorest, its blueprints, the docs page, the rate limiter, the webhook worker."""
    from . import api_reviews, api_sources, api_webhooks
    from .api_docs import FactcheckApi, docs
    from .webhooks import Dispatcher

    app.url_map.converters["check"] = CheckIdConverter

    settings = app.extensions["factcheck_config"]
    app.config.setdefault("API_TITLE", "factcheck")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "Check claims against dated news sources. Authenticate with "
                                "`Authorization: Bearer <key>` (python -m factcheck keys create). Errors are "
                                "application/problem+json."},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
    })
    api = FactcheckApi(app)
    api.register_converter(CheckIdConverter,
                           lambda converter: {"type": "string", "minLength": 1, "not": {"enum": ["batch"]}})
    api.register_field(s.IsoDay, "string", "date")
    api.spec.components.schema("SourceIn", schema=s.SourceInSchema)
    for blueprint in (bp, api_sources.bp, api_reviews.bp, api_webhooks.bp):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs)

    rate = parse_rate(settings.rate_limit)
    app.extensions["factcheck_rate_limiter"] = RateLimiter(*rate) if rate else None
    dispatcher = Dispatcher(settings)
    app.extensions["factcheck_webhooks"] = dispatcher
    weakref.finalize(app, dispatcher.stop, 1.0)


__all__ = ["bp", "init_app", "problem", "http_problem", "current_caller"]
