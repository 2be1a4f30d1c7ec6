"""API: sources (ingest, read, list and search) and the timeline."""
from __future__ import annotations

from flask import g, url_for
from flask_smorest import Blueprint

from .. import schemas as s
from ..ingest import IngestError, save_source, validate_record
from ..store.base import StoreError, StoreUnavailable, source_position
from ..timeline import build_timeline
from .auth import requires
from .shared import (API_PREFIX, config, decode_cursor, json_response, page, problem, store, validation_problem,
                  value_error_problem)

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


def _ingest_one(raw) -> dict:
    """The item's outcome: {"id", "status", "version"?, "errors"?}; status "added", "updated" (different content
    under a stored id: stored as a new version, the old one kept), "unchanged" or "failed" with
    {field: [reason]}."""
    from ..extract import extract_passages

    try:
        source = validate_record(raw, config())
    except IngestError as exc:
        return {"id": None, "status": "failed", "errors": {exc.field or "_schema": [exc.reason]}}
    stored = store().source_head(source.id)
    if stored is not None and stored.same_content(source):
        return {"id": source.id, "status": "unchanged", "version": stored.version}
    try:
        passages = extract_passages(source.id, source.text, source.published_at)
    except StoreUnavailable:
        raise
    except Exception as exc:  # an extractor bug must not sink the batch; report it against the item
        return {"id": source.id, "status": "failed", "errors": {"text": [f"extraction failed: {type(exc).__name__}"]}}
    try:
        status = save_source(store(), source, passages, stored)
    except StoreUnavailable:
        raise
    except StoreError as exc:
        return {"id": source.id, "status": "failed", "errors": {"_schema": [str(exc)]}}
    return {"id": source.id, "status": status, "version": source.version}


_FIRST_SOURCE = {"source_id": "$response.body#/items/0/id"}


@bp.route("/sources", methods=["POST"])
@requires("ingest")
@bp.doc(requestBody=_SOURCE_BODY, responses={"201": {"links": {
    "GetSource": {"operationRef": "#/paths/~1api~1v1~1sources~1{source_id}/get", "parameters": _FIRST_SOURCE},
    "ListVersions": {"operationRef": "#/paths/~1api~1v1~1sources~1{source_id}~1versions/get",
                     "parameters": _FIRST_SOURCE}}}})
@bp.response(201, s.IngestResultSchema, description="Every item was stored (or was already there)")
@bp.alt_response(207, schema=s.IngestResultSchema,
                 description="Some items were stored and some failed: see each item's status and errors")
def create_sources():
    """Ingest one source or a list of up to 1,000: 201 all stored, 207 some failed, 422 none stored.

    Items are stored one by one: a failed item does not undo the others, and sending the same batch again is
    safe (stored items come back "unchanged"). Different content (text or any field) under an id that is
    stored becomes a new version of that source ("updated", its `version` one higher): its passages are
    replaced at once, the earlier version stays readable at /sources/<id>/versions, and saved checks keep the
    sentences they cited. When every item fails the answer is a 422 problem whose `errors` keys are
    "<index>.<field>" for a list (just "<field>" for a single object).
    """
    body = g.json_body  # parsed within limits by `requires`
    single = isinstance(body, dict)
    records = [body] if single else body
    if not isinstance(records, list) or not records:
        return validation_problem({"_schema": ["Send a source object or a non-empty list of them."]})
    if len(records) > s.MAX_SOURCES_PER_REQUEST:
        return validation_problem({"_schema": [f"{len(records):,} sources; the limit is "
                                               f"{s.MAX_SOURCES_PER_REQUEST:,} per request."]})
    items = [{"index": index, **_ingest_one(raw)} for index, raw in enumerate(records)]
    counts = {name: sum(1 for i in items if i["status"] == name)
              for name in ("added", "updated", "unchanged", "failed")}
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


def _versions(source_id: str) -> list[dict]:
    """Every version, newest first, each with when the next one replaced it (None for the current one)."""
    versions = store().source_versions(source_id)
    out, superseded_at = [], None
    for version in versions:
        out.append({**version.to_dict(), "superseded_at": superseded_at,
                    "href": url_for("sources.get_source_version", source_id=source_id, version=version.version)})
        superseded_at = version.ingested_at
    return out


@bp.route("/sources/<source_id>/versions", methods=["GET"])
@requires("read")
@bp.response(200, s.SourceVersionListSchema)
def list_source_versions(source_id: str):
    """Every version of a source, newest (current) first, without their text."""
    versions = _versions(source_id)
    if not versions:
        return problem(404, f"No source with id {source_id!r}.")
    for version in versions:
        version.pop("text", None)
    return json_response({"items": versions})


@bp.route("/sources/<source_id>/versions/<int:version>", methods=["GET"])
@requires("read")
@bp.response(200, s.SourceVersionSchema)
def get_source_version(source_id: str, version: int):
    """One version of a source with its text as it was stored (earlier versions keep no sentences)."""
    found = next((v for v in _versions(source_id) if v["version"] == version), None)
    if found is None:
        return problem(404, f"No version {version} of a source with id {source_id!r}.")
    return json_response(found)


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
    limit = args["limit"]
    found = store().list_sources(query=args.get("q"), publisher=args.get("publisher"),
                                 published_from=args.get("published_from"), published_to=args.get("published_to"),
                                 limit=limit + 1, after=decode_cursor(args.get("cursor")))
    body, headers = page(found, limit, _listed, source_position)
    return json_response(body, headers=headers)


@bp.route("/timeline", methods=["GET"])
@requires("read")
@bp.arguments(s.TimelineArgsSchema, location="query")
@bp.response(200, s.TimelineSchema)
def timeline(args):
    """Dated events about a topic (q) and/or an entity (every dated event with neither), in date order, with
    conflicting dates marked."""
    try:
        result = build_timeline(store(), query=args.get("q"), entity=args.get("entity"),
                                date_from=args.get("date_from"), date_to=args.get("date_to"),
                                as_of=args.get("as_of"), limit=args["limit"])
    except ValueError as exc:
        return value_error_problem(exc, known=("q", "entity", "from", "to", "as_of"))
    return json_response(result)
