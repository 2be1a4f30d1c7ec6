"""API: claim spotting (POST /spot) and earlier checks of a claim (GET /checks?similar_to=...)."""
from __future__ import annotations

from flask_smorest import Blueprint

from .. import schemas as s
from ..repeat import find_previous
from .auth import requires
from .shared import API_PREFIX, json_response, store

bp = Blueprint("spot", __name__, url_prefix=API_PREFIX,
               description="Find the sentences worth checking, and earlier checks of the same claim.")


@bp.route("/spot", methods=["POST"])
@requires("check")
@bp.arguments(s.SpotRequestSchema)
@bp.response(200, s.SpotResultSchema)
def spot(data):
    """Rank a document's sentences (or the sentences given) by check-worthiness, with earlier checks of each.

    `text` (up to 200,000 characters; transcript lines may start with "SPEAKER: ") or `sentences` (up to 1,000,
    each up to 2,000 characters). Every sentence comes back in reading order with `score` (0..1, higher is more
    check-worthy), `check_worthy`, `rank` (1 = most check-worthy), `speaker` and `features` (what makes it
    checkable); each check-worthy one also with `previous_checks`.
    """
    from ..spot import spot_sentences, spot_text

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
