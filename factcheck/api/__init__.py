"""JSON API, version 1: flask-smorest blueprints documented at /api/v1/openapi.json and /api/docs.

Every error is application/problem+json (RFC 9457), translated once: `http_problem` for HTTP errors (the app's
error handler calls it for /api paths, flask-smorest's own handler is not installed), `problem` in the views.

Layout, imports running one way (endpoints -> shared -> domain): checks.py, sources.py, reviews.py and
webhooks.py hold the endpoints; auth.py the keys, roles and rate limit (a view decorator); docs.py the OpenAPI
document and the docs page; shared.py the problem responses, paging and the store handle. This module only
assembles them.
"""
from __future__ import annotations

import weakref

from .. import schemas as s
from ..webhooks import Dispatcher
from . import checks, reviews, sources, spot, webhooks
from .auth import RateLimiter, parse_rate
from .docs import FactcheckApi, docs
from .shared import API_PREFIX, http_problem, problem


def init_app(app) -> None:
    """Register the API: flask-smorest, its blueprints, the docs page, the rate limiter, the webhook worker."""
    app.url_map.converters["check"] = checks.CheckIdConverter

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
    api.register_converter(checks.CheckIdConverter,
                           lambda converter: {"type": "string", "minLength": 1, "not": {"enum": ["batch"]}})
    api.register_field(s.IsoDay, "string", "date")
    api.spec.components.schema("SourceIn", schema=s.SourceInSchema)
    for blueprint in (checks.bp, sources.bp, reviews.bp, webhooks.bp, spot.bp):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs)

    rate = parse_rate(settings.rate_limit)
    app.extensions["factcheck_rate_limiter"] = (RateLimiter(*rate, app.extensions["factcheck_counters"])
                                                if rate else None)
    dispatcher = Dispatcher(settings, app.extensions["factcheck_admin"])
    app.extensions["factcheck_webhooks"] = dispatcher
    weakref.finalize(app, dispatcher.stop, 1.0)


__all__ = ["init_app", "problem", "http_problem"]
