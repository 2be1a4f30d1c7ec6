"""JSON API v1 through the Flask test client on a real SQLite store; every error is problem+json."""
import json

import pytest

from factcheck.api import checks as api_checks
from factcheck.models import STANCES, VERDICTS
from factcheck.store import StoreUnavailable

GENEVA_CLAIM = "The trade ministers of Norway and Chile met in Geneva on 14 May 2024"
VERDICT_KEYS = {"claim", "verdict", "confidence", "as_of", "dates", "evidence"}
EVIDENCE_KEYS = {"source_id", "url", "publisher", "published_at", "sentence", "start", "end", "dates", "stance",
                 "score", "reason"}
PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response, status: int) -> dict:
    """The response is RFC 9457 problem+json with `status`, and carries no traceback."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert PROBLEM_KEYS <= set(body), body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= PROBLEM_KEYS | {"errors"}
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def post_check(client, body):
    return client.post("/api/v1/checks", json=body)


def test_create_check_returns_201_with_the_verdict_shape(client, seed_store):
    seed_store()
    response = post_check(client, {"claim": GENEVA_CLAIM, "claim_date": "2024-05-20", "as_of": "2024-06-01"})
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert VERDICT_KEYS <= set(body)
    assert body["claim"] == GENEVA_CLAIM
    assert body["verdict"] in VERDICTS
    assert isinstance(body["confidence"], (int, float)) and 0 <= body["confidence"] <= 1
    assert body["as_of"] == "2024-06-01"
    assert body["id"].startswith("chk-")
    assert response.headers["Location"].endswith(f"/api/v1/checks/{body['id']}")
    assert any(d["value"] == "2024-05-14" for d in body["dates"]), body["dates"]
    assert body["evidence"], "the Geneva sources should be found"
    for item in body["evidence"]:
        assert EVIDENCE_KEYS <= set(item), item
        assert item["stance"] in STANCES
        assert isinstance(item["start"], int) and isinstance(item["end"], int) and item["start"] <= item["end"]
        assert isinstance(item["reason"], str) and item["reason"]
        assert isinstance(item["dates"], list)
    assert "alpine-herald-geneva" in {item["source_id"] for item in body["evidence"]}


def test_as_of_leaves_out_later_sources(client, seed_store):
    seed_store()
    body = post_check(client, {"claim": GENEVA_CLAIM, "as_of": "2024-05-01"}).get_json()
    published = [item["published_at"] for item in body["evidence"] if item["published_at"]]
    assert all(day[:10] <= "2024-05-01" for day in published), published


def test_get_check_by_id_returns_the_saved_verdict(client, seed_store):
    seed_store()
    created = post_check(client, {"claim": GENEVA_CLAIM}).get_json()
    response = client.get(f"/api/v1/checks/{created['id']}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    fetched = response.get_json()
    assert fetched["id"] == created["id"]
    assert fetched["verdict"] == created["verdict"]
    assert fetched["evidence"] == created["evidence"]


def test_unknown_check_id_is_404_problem(client):
    body = assert_problem(client.get("/api/v1/checks/chk-does-not-exist"), 404)
    assert "chk-does-not-exist" in body["detail"]


def test_unknown_api_path_is_404_problem(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404)


@pytest.mark.parametrize("raw", ['{"claim": "Geneva"', "not json", "", '{"claim": "a",}'])
def test_malformed_json_is_400_problem(client, raw):
    response = client.post("/api/v1/checks", data=raw, content_type="application/json")
    assert_problem(response, 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_non_json_content_type_is_415_problem(client, content_type):
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.post("/api/v1/checks", data='{"claim": "Geneva"}', **kwargs)
    assert_problem(response, 415)


@pytest.mark.parametrize("body, field, reason", [
    ({"claim": 42}, "claim", "must be a string"),
    ({"claim": ["a"]}, "claim", "must be a string"),
    ({"claim": None}, "claim", "Enter a claim"),
    ({}, "claim", "Enter a claim"),
    ({"claim": ""}, "claim", "empty"),
    ({"claim": "   "}, "claim", "empty"),
    ({"claim": "x" * 2001}, "claim", "too long"),
    ({"claim": "Geneva", "claim_date": 20240514}, "claim_date", "YYYY-MM-DD"),
    ({"claim": "Geneva", "claim_date": "2024-02-30"}, "claim_date", "not a real calendar day"),
    ({"claim": "Geneva", "as_of": "14/05/2024"}, "as_of", "YYYY-MM-DD"),
    ({"claim": "Geneva", "verdict": "SUPPORTED"}, "verdict", "Unknown field"),
])
def test_invalid_body_is_422_naming_the_field(client, body, field, reason):
    problem = assert_problem(post_check(client, body), 422)
    assert field in problem["errors"], problem
    assert any(reason in message for message in problem["errors"][field]), problem
    assert field in problem["detail"]


@pytest.mark.parametrize("body", [[{"claim": "Geneva"}], "Geneva", 3, None])
def test_body_that_is_not_an_object_is_rejected(client, body):
    response = client.post("/api/v1/checks", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("method, path", [
    ("patch", "/api/v1/checks"),  # GET lists earlier checks of a claim (similar_to)
    ("put", "/api/v1/checks"),
    ("delete", "/api/v1/checks/chk-1"),
    ("post", "/api/v1/checks/chk-1"),
])
def test_wrong_method_is_405_problem_with_allow(client, method, path):
    response = getattr(client, method)(path)
    assert_problem(response, 405)
    assert response.headers["Allow"]


def test_body_over_20_mb_is_413_problem(client):
    payload = json.dumps({"claim": "x" * (20 * 1024 * 1024)})
    response = client.post("/api/v1/checks", data=payload, content_type="application/json")
    assert_problem(response, 413)


def test_store_unavailable_is_503_problem_with_retry_after(client, store, monkeypatch):
    def down(*args, **kwargs):
        raise StoreUnavailable("node down", retry_after=12)

    monkeypatch.setattr(store, "search", down)
    response = post_check(client, {"claim": GENEVA_CLAIM})
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == "12"


def test_unexpected_error_is_500_problem_without_internals(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api_checks, "check_claim", broken)
    response = post_check(client, {"claim": GENEVA_CLAIM})
    body = assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert "RuntimeError" not in body["detail"]


def test_no_500_on_odd_but_valid_input(client, seed_store):
    seed_store()
    for claim in ['"Geneva" OR NEAR(a b) *', "AND", "日内瓦会谈 2024年5月14日", "\u0000 Geneva", "-- ; DROP TABLE checks"]:
        response = post_check(client, {"claim": claim, "as_of": "2024-05-20"})
        assert response.status_code in (201, 422), (claim, response.get_data(as_text=True))
