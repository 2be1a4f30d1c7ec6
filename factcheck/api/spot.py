"""API: claim spotting (POST /spot) and earlier checks of a claim (GET /checks?similar_to=...)."""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import ValidationError

from .. import schemas as s
from ..ingest import VISIBLE
from ..repeat import find_previous
from .auth import requires
from .shared import API_PREFIX, field_errors, json_response, store, validation_problem

bp = Blueprint("spot", __name__, url_prefix=API_PREFIX,
               description="Find the sentences worth checking, and earlier checks of the same claim.")


_COMMON = {
    "published_at": {"type": "string", "format": "date", "nullable": True,
                     "description": "the document's day (YYYY-MM-DD): anchors its relative dates"},
    "previous_checks": {"type": "boolean", "description": "look up earlier checks of each check-worthy sentence "
                                                          "(default true)"},
}
_SENTENCE = {"type": "object", "required": ["text"], "additionalProperties": False, "properties": {
    "text": {"type": "string", "minLength": 1, "maxLength": s.MAX_SPOT_SENTENCE_CHARS},
    "speaker": {"type": "string", "nullable": True, "maxLength": 200},
    "id": {"type": "string", "nullable": True, "maxLength": 200}}}
# Either a document or sentences (marshmallow cannot say "one of" in the generated document: written out here).
_SPOT_BODY = {"required": True, "content": {"application/json": {"schema": {"oneOf": [
    {"type": "object", "required": ["text"], "additionalProperties": False, "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": s.MAX_SPOT_TEXT_CHARS, "pattern": VISIBLE,
                 "description": "a document; a transcript's lines may start with \"SPEAKER: \""}, **_COMMON}},
    {"type": "object", "required": ["sentences"], "additionalProperties": False, "properties": {
        "sentences": {"type": "array", "minItems": 1, "maxItems": s.MAX_SPOT_SENTENCES, "items": _SENTENCE},
        **_COMMON}},
]}}}}


@bp.route("/spot", methods=["POST"])
@requires("check")
@bp.doc(requestBody=_SPOT_BODY)
@bp.response(200, s.SpotResultSchema)
def spot():
    """Rank a document's sentences (or the sentences given) by check-worthiness, with earlier checks of each.

    `text` (up to 200,000 characters; transcript lines may start with "SPEAKER: ") or `sentences` (up to 1,000,
    each up to 2,000 characters). Every sentence comes back in reading order with `score` (0..1, higher is more
    check-worthy), `check_worthy`, `rank` (1 = most check-worthy), `speaker` and `features` (what makes it
    checkable); each check-worthy one also with `previous_checks`.
    """
    from ..spot import spot_sentences, spot_text

    body = g.json_body  # parsed within limits by `requires`
    if not isinstance(body, dict):
        return validation_problem({"_schema": ["The body must be a JSON object: {\"text\"} or {\"sentences\"}."]})
    try:
        data = s.SpotRequestSchema().load(body)
    except ValidationError as exc:
        return validation_problem(field_errors(exc.messages))
    if "text" in data:
        spotted = spot_text(data["text"], data["published_at"])
        ids = [None] * len(spotted)
    else:
        spotted = spot_sentences(data["sentences"], data["published_at"])
        ids = [item.get("id") for item in data["sentences"]]
    sentences = []
    for item, given_id in zip(spotted, ids):
        body = {**item.to_dict(), "id": given_id}
        if item.check_worthy and data["previous_checks"]:
            body["previous_checks"] = [p.to_dict() for p in find_previous(store(), item.text, vector=item.vector)]
        sentences.append(body)
    return json_response({"sentences": sentences, "check_worthy": sum(1 for x in spotted if x.check_worthy)})


@bp.route("/checks", methods=["GET"])
@requires("read")
@bp.arguments(s.SimilarChecksQuerySchema, location="query")
@bp.response(200, s.SimilarChecksSchema)
def similar_checks(query):
    """Earlier checks and published reviews of the same claim in other words, most similar first.

    Only matches at or above the matcher's calibrated threshold are listed: a claim on the same topic with another
    date, figure or person is another claim. `similarity` is the matcher's probability that it is the same claim.
    """
    found = find_previous(store(), query["similar_to"].strip(), limit=query["limit"])
    return json_response({"items": [p.to_dict() for p in found]})
