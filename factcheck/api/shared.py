"""What the JSON API's endpoints share: problem+json responses (RFC 9457), the store and configuration handles,
cursor paging and the webhook hand-off. Imports run one way: the endpoint modules import this, this imports
only the domain."""
from __future__ import annotations

from typing import Optional

from flask import current_app, jsonify, request, url_for
from flask_smorest import abort

from .. import schemas as s

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/v1"


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


def admin():
    """The admin state (accounts, keys, webhooks) the app opened."""
    return current_app.extensions["factcheck_admin"]


def publisher() -> dict:
    """The organisation publishing the reviews (ClaimReview author), from the configuration."""
    settings = config()
    return {"name": settings.publisher_name, "url": settings.publisher_url, "logo": settings.publisher_logo}


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
