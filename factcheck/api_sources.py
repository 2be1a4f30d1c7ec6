"""API: sources (ingest, read, list and search) and the timeline."""
from __future__ import annotations

from flask import request, url_for
from flask_smorest import Blueprint
from werkzeug.exceptions import BadRequest

from . import schemas as s
from .api import (API_PREFIX, config, decode_cursor, json_response, page, problem, store, validation_problem,
                  value_error_problem)
from .api_auth import requires
from .ingest import IngestError, validate_record
from .store.base import StoreUnavailable
from .timeline import build_timeline

bp = Blueprint("sources", __name__, url_prefix=API_PREFIX,
               description="Ingest sources, read them with what was extracted, list and search them; timelines.")

_SOURCE_BODY = {
    "required": True,
    "description": f"One source object, or a list of up to {s.MAX_SOURCES_PER_REQUEST:,} (20 MB per request).",
    "content": {"application/json": {"schema": {"oneOf": [
        {"$ref": "#/components/schemas/SourceIn"},
        {"type": "array", "items": {"$ref": "#/components/schemas/SourceIn"},
         "minItems": 1, "maxItems": s.MAX_SOURCES_PER_REQUEST},
    ]}}},
}


def _ingest_one(raw) -> tuple[str, str | None, dict | None]:
    """(status, id, errors) for one record: "added", "unchanged" or "failed" with {field: [reason]}."""
    from .extract import extract_passages

    try:
        source = validate_record(raw, config())
    except IngestError as exc:
        return "failed", None, {exc.field or "_schema": [exc.reason]}
    if store().has_source(source.id):
        return "unchanged", source.id, None
    try:
        passages = extract_passages(source.id, source.text, source.published_at)
    except StoreUnavailable:
        raise
    except Exception as exc:  # an extractor bug must not sink the batch; report it against the item
        return "failed", source.id, {"text": [f"extraction failed: {type(exc).__name__}"]}
    added = store().add_source(source, passages)
    return ("added" if added else "unchanged"), source.id, None


@bp.route("/sources", methods=["POST"])
@requires("ingest")
@bp.doc(requestBody=_SOURCE_BODY)
@bp.response(201, s.IngestResultSchema, description="Every item was stored (or was already there)")
@bp.alt_response(207, schema=s.IngestResultSchema,
                 description="Some items were stored and some failed: see each item's status and errors")
def create_sources():
    """Ingest one source or a list of up to 1,000: 201 all stored, 207 some failed, 422 none stored.

    Items are stored one by one: a failed item does not undo the others, and sending the same batch again is
    safe (stored items come back "unchanged"). When every item fails the answer is a 422 problem whose
    `errors` keys are "<index>.<field>" for a list (just "<field>" for a single object).
    """
    try:
        body = request.get_json()
    except BadRequest:
        return problem(400, "The body is not valid JSON.", errors={"_body": ["Malformed JSON."]})
    single = isinstance(body, dict)
    records = [body] if single else body
    if not isinstance(records, list) or not records:
        return validation_problem({"_schema": ["Send a source object or a non-empty list of them."]})
    if len(records) > s.MAX_SOURCES_PER_REQUEST:
        return validation_problem({"_schema": [f"{len(records):,} sources; the limit is "
                                               f"{s.MAX_SOURCES_PER_REQUEST:,} per request."]})
    items = []
    for index, raw in enumerate(records):
        status, source_id, errors = _ingest_one(raw)
        item = {"index": index, "id": source_id, "status": status}
        if errors:
            item["errors"] = errors
        items.append(item)
    counts = {name: sum(1 for i in items if i["status"] == name) for name in ("added", "unchanged", "failed")}
    if counts["failed"] == len(items):
        errors = {}
        for item in items:
            for field_name, reasons in item["errors"].items():
                errors[field_name if single else f"{item['index']}.{field_name}"] = reasons
        return validation_problem(errors)
    headers = {}
    if single:
        headers["Location"] = url_for("sources.get_source", source_id=items[0]["id"])
    return json_response({**counts, "items": items}, 207 if counts["failed"] else 201, headers)


@bp.route("/sources/<source_id>", methods=["GET"])
@requires("read")
@bp.response(200, s.SourceDetailSchema)
def get_source(source_id: str):
    """A source with its sentences and the dates, entities and numbers extracted from each."""
    source = store().get_source(source_id)
    if source is None:
        return problem(404, f"No source with id {source_id!r}.")
    return json_response({**source.to_dict(), "sentences": [p.to_dict() for p in store().get_passages(source_id)]})


def _listed(source) -> dict:
    data = source.to_dict()
    data.pop("text", None)
    data["href"] = url_for("sources.get_source", source_id=source.id)
    return data


@bp.route("/sources", methods=["GET"])
@requires("read")
@bp.arguments(s.SourceListArgsSchema, location="query")
@bp.response(200, s.SourceListSchema)
def list_sources(args):
    """Sources, newest publication first, filtered by text (q), publisher and publication days; paged by cursor."""
    offset = decode_cursor(args.get("cursor"))
    limit = args["limit"]
    found = store().list_sources(query=args.get("q"), publisher=args.get("publisher"),
                                 published_from=args.get("published_from"), published_to=args.get("published_to"),
                                 limit=limit + 1, offset=offset)
    body, headers = page(found, limit, offset, _listed)
    return json_response(body, headers=headers)


@bp.route("/timeline", methods=["GET"])
@requires("read")
@bp.arguments(s.TimelineArgsSchema, location="query")
@bp.response(200, s.TimelineSchema)
def timeline(args):
    """Dated events about a topic (q) and/or an entity, in date order, with conflicting dates marked."""
    if not (args.get("q") or args.get("entity")):
        return validation_problem({"q": ["Give q and/or entity."]})
    try:
        result = build_timeline(store(), query=args.get("q"), entity=args.get("entity"),
                                date_from=args.get("date_from"), date_to=args.get("date_to"),
                                as_of=args.get("as_of"), limit=args["limit"])
    except ValueError as exc:
        return value_error_problem(exc, known=("q", "entity", "from", "to", "as_of"))
    return json_response(result)
