"""Sources, check batches and the timeline through the API (open mode: no key configured), and the docs."""
import json

import pytest

from .conftest import SEED_SOURCES
from .test_api import GENEVA_CLAIM, assert_problem


def test_post_one_source_is_201_with_location(client):
    response = client.post("/api/v1/sources", json=SEED_SOURCES[0])
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {"added": 1, "updated": 0, "unchanged": 0, "failed": 0,
                    "items": [{"index": 0, "id": "alpine-herald-geneva", "status": "added", "version": 1}]}
    assert response.headers["Location"].endswith("/api/v1/sources/alpine-herald-geneva")
    # the same source again is not an error
    again = client.post("/api/v1/sources", json=SEED_SOURCES[0]).get_json()
    assert again["unchanged"] == 1 and again["items"][0]["status"] == "unchanged"


def test_source_detail_has_sentences_dates_entities_numbers(client):
    client.post("/api/v1/sources", json=SEED_SOURCES)
    source = client.get("/api/v1/sources/alpine-herald-geneva").get_json()
    assert source["publisher"] == "Alpine Herald" and source["published_at"] == "2024-05-15"
    assert source["text"].startswith("Norway and Chile")
    sentences = source["sentences"]
    assert len(sentences) >= 2
    for sentence in sentences:
        assert source["text"][sentence["start"]:sentence["end"]] == sentence["text"]
        assert {"dates", "entities", "numbers"} <= set(sentence)
    assert any(d["value"] == "2024-05-14" for s in sentences for d in s["dates"])
    assert any(e["key"] == "geneva" for s in sentences for e in s["entities"])
    assert any(n["value"] == 4 for s in sentences for n in s["numbers"])
    assert_problem(client.get("/api/v1/sources/nope"), 404)


def test_batch_with_some_bad_items_is_207_with_index_and_field(client):
    records = [SEED_SOURCES[0], {"text": 42}, {"id": "has spaces", "text": "x"}, SEED_SOURCES[1]]
    response = client.post("/api/v1/sources", json=records)
    assert response.status_code == 207, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["added"], body["failed"]) == (2, 2)
    assert [item["status"] for item in body["items"]] == ["added", "failed", "failed", "added"]
    assert "text" in body["items"][1]["errors"]
    assert "id" in body["items"][2]["errors"]
    assert client.get("/api/v1/sources/lakeside-daily-geneva").status_code == 200


def test_batch_where_everything_fails_is_422_with_index_and_field(client):
    problem = assert_problem(client.post("/api/v1/sources", json=[{"text": ""}, {"title": "no text"}]), 422)
    assert set(problem["errors"]) == {"0.text", "1.text"}
    problem = assert_problem(client.post("/api/v1/sources", json={"text": "x", "published_at": "not a date"}), 422)
    assert "published_at" in problem["errors"]


@pytest.mark.parametrize("body", [[], "text", 5])
def test_body_must_be_a_source_or_a_list(client, body):
    assert_problem(client.post("/api/v1/sources", data=json.dumps(body), content_type="application/json"), 422)


def test_more_than_1000_sources_is_refused(client):
    problem = assert_problem(client.post("/api/v1/sources", json=[{"text": "x"}] * 1001), 422)
    assert "1,000" in problem["detail"]


def test_list_search_filters_and_cursor(client):
    client.post("/api/v1/sources", json=SEED_SOURCES)
    listed = client.get("/api/v1/sources").get_json()
    assert [s["id"] for s in listed["items"]] == ["lakeside-daily-geneva", "alpine-herald-geneva",
                                                  "harbour-news-bridge"]
    assert "text" not in listed["items"][0] and listed["next"] is None
    assert [s["id"] for s in client.get("/api/v1/sources?q=bridge").get_json()["items"]] == ["harbour-news-bridge"]
    by_publisher = client.get("/api/v1/sources?publisher=Alpine%20Herald").get_json()["items"]
    assert [s["id"] for s in by_publisher] == ["alpine-herald-geneva"]
    in_range = client.get("/api/v1/sources?published_from=2024-01-01&published_to=2024-05-15").get_json()["items"]
    assert [s["id"] for s in in_range] == ["alpine-herald-geneva"]
    first = client.get("/api/v1/sources?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next"]
    second = client.get(first["next"]).get_json()
    assert [s["id"] for s in second["items"]] == ["harbour-news-bridge"] and second["next"] is None
    problem = assert_problem(client.get("/api/v1/sources?published_from=May"), 422)
    assert "published_from" in problem["errors"] and "published_from" in problem["detail"]
    assert_problem(client.get("/api/v1/sources?limit=0"), 422)


def test_check_batch_reports_each_item(client, seed_store):
    seed_store()
    claims = [{"id": "a", "claim": GENEVA_CLAIM}, {"id": "b", "claim": ""},
              {"claim": GENEVA_CLAIM, "as_of": "2024-13-01"}, {"id": "d", "claim": "x", "extra": 1}]
    response = client.post("/api/v1/checks/batch", json={"claims": claims})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["checked"], body["failed"]) == (1, 3)
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r["id"] for r in results] == ["a", "b", None, "d"]
    assert results[0]["status"] == 201 and results[0]["check"]["id"].startswith("chk-")
    assert client.get(f"/api/v1/checks/{results[0]['check']['id']}").status_code == 200
    assert "claim" in results[1]["errors"]
    assert "as_of" in results[2]["errors"]
    assert "extra" in results[3]["errors"]


def test_check_batch_limits(client):
    assert_problem(client.post("/api/v1/checks/batch", json={"claims": []}), 422)
    problem = assert_problem(client.post("/api/v1/checks/batch", json={"claims": [{"claim": "x"}] * 101}), 422)
    assert "claims" in problem["errors"]


def test_timeline(client, seed_store):
    seed_store()
    body = client.get("/api/v1/timeline?q=fisheries&from=2024-05-01&to=2024-05-31").get_json()
    assert body["events"], body
    assert all("2024-05" <= e["range_start"][:7] <= "2024-05" for e in body["events"])
    assert body["conflicts"] == sum(1 for e in body["events"] if e["conflict"])
    assert client.get("/api/v1/timeline?entity=bergen").get_json()["events"]
    everything = client.get("/api/v1/timeline").get_json()["events"]  # neither q nor entity: every dated event
    assert {e["source_id"] for e in everything} == {s["id"] for s in SEED_SOURCES}
    problem = assert_problem(client.get("/api/v1/timeline?q=x&from=2024-02-30"), 422)
    assert "from" in problem["errors"]


def test_openapi_document_and_docs_are_served_locally(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/reviews/{review_id}" in spec["paths"]
    patch = spec["paths"]["/api/v1/reviews/{review_id}"]["patch"]
    assert {"412", "428", "409", "422", "401", "403"} <= set(patch["responses"])
    assert "application/problem+json" in spec["components"]["responses"]["Problem404"]["content"]
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # no CDN
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/docs/assets/swagger-ui.css").status_code == 200
    assert "/api/v1/openapi.json" in client.get("/api/docs/init.js").get_data(as_text=True)


@pytest.mark.parametrize("method, path", [("get", "/api/v1/nothing"), ("put", "/api/v1/sources"),
                                          ("delete", "/api/v1/checks/batch")])
def test_routing_errors_are_problems(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code in (404, 405)
    assert_problem(response, response.status_code)


def test_changed_content_under_a_stored_id_is_a_new_version_and_checks_keep_what_they_cited(client):
    """Never "unchanged" for changed content: a new version replaces the passages, the old one stays readable,
    and a check saved before keeps the sentence it cited."""
    first = dict(SEED_SOURCES[0])
    client.post("/api/v1/sources", json=first)
    check = client.post("/api/v1/checks", json={"claim": GENEVA_CLAIM}).get_json()
    cited = {e["sentence"] for e in check["evidence"] if e["source_id"] == first["id"]}
    assert any("Geneva on 14 May 2024" in sentence for sentence in cited)

    corrected = {**first, "text": first["text"].replace("Geneva on 14 May 2024", "Bern on 15 May 2024")}
    response = client.post("/api/v1/sources", json=corrected)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["updated"], body["unchanged"]) == (1, 0)
    assert body["items"] == [{"index": 0, "id": first["id"], "status": "updated", "version": 2}]
    source = client.get(f"/api/v1/sources/{first['id']}").get_json()
    assert source["version"] == 2 and "Bern on 15 May 2024" in source["text"]
    assert all("Geneva on 14 May" not in s["text"] for s in source["sentences"])

    versions = client.get(f"/api/v1/sources/{first['id']}/versions").get_json()["items"]
    assert [(v["version"], v["superseded_at"] is None) for v in versions] == [(2, True), (1, False)]
    assert all("text" not in v for v in versions)
    old = client.get(versions[1]["href"]).get_json()
    assert "Geneva on 14 May 2024" in old["text"] and old["version"] == 1
    assert_problem(client.get(f"/api/v1/sources/{first['id']}/versions/7"), 404)
    assert_problem(client.get("/api/v1/sources/nope/versions"), 404)

    saved = client.get(f"/api/v1/checks/{check['id']}").get_json()
    assert {e["sentence"] for e in saved["evidence"] if e["source_id"] == first["id"]} == cited
    # the same corrected content again is unchanged; a metadata change alone is a version too
    assert client.post("/api/v1/sources", json=corrected).get_json()["items"][0]["status"] == "unchanged"
    redated = client.post("/api/v1/sources", json={**corrected, "published_at": "2024-05-16"}).get_json()
    assert redated["items"][0] == {"index": 0, "id": first["id"], "status": "updated", "version": 3}
