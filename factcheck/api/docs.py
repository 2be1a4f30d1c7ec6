"""The OpenAPI side of the JSON API: flask-smorest's Api with problem+json error responses documented on every
operation, and Swagger UI at /api/docs served from the swagger-ui-bundle package (no CDN)."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint as FlaskBlueprint
from flask import current_app, send_from_directory, url_for
from flask_smorest import Api

from .. import schemas as s

PROBLEM_JSON = "application/problem+json"


class FactcheckApi(Api):
    """flask-smorest's Api with problem+json errors: its own error handler is not installed (create_app's
    handler answers for /api), and every operation documents the problem responses it can give."""

    ERROR_SCHEMA = s.ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass

    def _openapi_json(self):
        spec = self.spec.to_dict()
        _document_problems(spec)
        return current_app.response_class(json.dumps(spec, indent=2), mimetype="application/json")


_PROBLEMS = {
    "400": "Malformed JSON",
    "401": "No key, or an unknown or revoked key (WWW-Authenticate: Bearer)",
    "403": "The key's role lacks the permission",
    "404": "Not found",
    "409": "Conflict",
    "412": "Precondition Failed",
    "413": "Body over 20 MB",
    "415": "Body is not application/json",
    "422": "Invalid input; `errors` names each field",
    "428": "Precondition Required",
    "429": "Rate limit reached (Retry-After)",
    "500": "Internal error (logged)",
    "503": "The data store is unavailable (Retry-After)",
}


def _document_problems(spec: dict) -> None:
    """Give every operation its problem+json error responses (and a default one), replacing smorest's."""
    problem_schema = {"$ref": "#/components/schemas/Problem"}
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = {
        "type": "object", "required": ["type", "title", "status", "detail"],
        "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                       "detail": {"type": "string"},
                       "errors": {"type": "object", "description": 'field (or "<index>.<field>") -> reasons',
                                  "additionalProperties": {"type": "array", "items": {"type": "string"}}}},
    }
    responses = components.setdefault("responses", {})
    for code, description in _PROBLEMS.items():
        responses[f"Problem{code}"] = {"description": description,
                                       "content": {PROBLEM_JSON: {"schema": problem_schema}}}
    responses["ProblemDefault"] = {"description": "Any other error",
                                   "content": {PROBLEM_JSON: {"schema": problem_schema}}}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            codes = ["401", "403", "429", "500", "503"]
            if "{" in path:
                codes.append("404")
            if operation.get("parameters") or "requestBody" in operation:
                codes.append("422")
            if "requestBody" in operation:
                codes += ["400", "413", "415"]
            codes += operation.pop("x-problems", [])
            op_responses = operation.setdefault("responses", {})
            for code in codes:
                op_responses[code] = {"$ref": f"#/components/responses/Problem{code}"}
            op_responses["default"] = {"$ref": "#/components/responses/ProblemDefault"}
            operation.setdefault("security", [{"bearerAuth": []}])
    for name in list(responses):
        if name.isupper():  # smorest's per-status responses, no longer referenced
            del responses[name]


def _swagger_ui_dir() -> Path:
    import swagger_ui_bundle

    return Path(str(swagger_ui_bundle.swagger_ui_path))


docs = FlaskBlueprint("api_docs_ui", __name__, url_prefix="/api/docs")

_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>factcheck API</title>
<link rel="stylesheet" href="{assets}swagger-ui.css">
<link rel="icon" href="{favicon}" type="image/svg+xml"></head>
<body><div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js"></script><script src="{init}"></script></body></html>"""


@docs.get("")
@docs.get("/")
def docs_page():
    """Swagger UI for the OpenAPI document, served from this app (no CDN)."""
    html = _DOCS_HTML.format(assets=url_for("api_docs_ui.docs_asset", filename=""),
                             init=url_for("api_docs_ui.docs_init"),
                             favicon=url_for("static", filename="favicon.svg"))
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")
    return response


@docs.get("/init.js")
def docs_init():
    spec_url = json.dumps(url_for("api-docs.openapi_json"))
    script = (f"window.ui = SwaggerUIBundle({{url: {spec_url}, dom_id: '#swagger-ui', deepLinking: true, "
              "persistAuthorization: true});")
    return current_app.response_class(script, mimetype="text/javascript")


@docs.get("/assets/<path:filename>")
def docs_asset(filename: str):
    return send_from_directory(_swagger_ui_dir(), filename, max_age=3600)
