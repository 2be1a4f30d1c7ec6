"""Review API: flagging, the queue, ETag / If-Match concurrency between two editors, publishing, ClaimReview."""
import pytest

from factcheck import keys

from .test_api import GENEVA_CLAIM, assert_problem


@pytest.fixture
def auth(app):
    """Bearer headers for a fact-checker and two editors."""
    db = app.extensions["factcheck_admin"]
    return {name: {"Authorization": f"Bearer {keys.create_key(db, name, role)[1]}"}
            for name, role in (("fiona", "factchecker"), ("eddie", "editor"), ("edna", "editor"))}


@pytest.fixture
def flagged(client, seed_store, auth):
    """A saved check flagged by the fact-checker; returns its id."""
    seed_store()
    check = client.post("/api/v1/checks", json={"claim": GENEVA_CLAIM}, headers=auth["fiona"]).get_json()
    response = client.post("/api/v1/reviews", json={"check_id": check["id"], "note": "date looks off"},
                           headers=auth["fiona"])
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"/api/v1/reviews/{check['id']}")
    return check["id"]


def patch(client, review_id, body, headers, etag):
    extra = {"If-Match": etag} if etag is not None else {}
    return client.patch(f"/api/v1/reviews/{review_id}", json=body, headers={**headers, **extra})


def test_flag_puts_the_check_in_the_queue(client, flagged, auth):
    review = client.get(f"/api/v1/reviews/{flagged}", headers=auth["eddie"]).get_json()
    assert review["status"] == "pending"
    assert review["notes"][0]["text"] == "date looks off" and review["notes"][0]["by"] == "key:fiona"
    assert review["audit"][0]["action"] == "flagged"
    queue = client.get("/api/v1/reviews?status=pending", headers=auth["eddie"]).get_json()
    assert [r["id"] for r in queue["items"]] == [flagged] and queue["next"] is None
    # flagging again returns the same review
    again = client.post("/api/v1/reviews", json={"check_id": flagged}, headers=auth["fiona"])
    assert again.status_code == 200 and again.get_json()["version"] == 1


def test_flag_unknown_check_is_404_naming_check_id(client, auth):
    problem = assert_problem(client.post("/api/v1/reviews", json={"check_id": "chk-nope"}, headers=auth["fiona"]),
                             404)
    assert "check_id" in problem["errors"]


def test_two_editors_same_etag_second_patch_is_412_and_nothing_is_lost(client, flagged, auth):
    first_read = client.get(f"/api/v1/reviews/{flagged}", headers=auth["eddie"])
    second_read = client.get(f"/api/v1/reviews/{flagged}", headers=auth["edna"])
    etag = first_read.headers["ETag"]
    assert etag == second_read.headers["ETag"]

    first = patch(client, flagged, {"status": "in_review", "assignee": "eddie"}, auth["eddie"], etag)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.headers["ETag"] != etag
    assert first.get_json()["version"] == 2

    second = patch(client, flagged, {"assignee": "edna", "note": "mine"}, auth["edna"], etag)
    assert_problem(second, 412)
    assert second.headers["ETag"] == first.headers["ETag"]

    now = client.get(f"/api/v1/reviews/{flagged}", headers=auth["edna"]).get_json()
    assert now["assignee"] == "eddie" and now["status"] == "in_review"
    assert all(note["text"] != "mine" for note in now["notes"])
    assert now["audit"][-1]["by"] == "key:eddie"
    assert now["audit"][-1]["changes"]["assignee"] == [None, "eddie"]


def test_patch_without_if_match_is_428(client, flagged, auth):
    assert_problem(patch(client, flagged, {"assignee": "eddie"}, auth["eddie"], None), 428)


@pytest.mark.parametrize("etag", ['W/"1"', '"1"', "*"])
def test_if_match_forms(client, flagged, auth, etag):
    assert patch(client, flagged, {"assignee": "eddie"}, auth["eddie"], etag).status_code == 200


def test_garbage_if_match_is_412(client, flagged, auth):
    assert_problem(patch(client, flagged, {"assignee": "eddie"}, auth["eddie"], "yesterday"), 412)


def test_a_change_the_review_state_does_not_allow_is_409_naming_the_field(client, flagged, auth):
    problem = assert_problem(patch(client, flagged, {"status": "published"}, auth["eddie"], '"1"'), 409)
    assert "cannot go from pending to published" in problem["errors"]["status"][0]  # pending cannot publish
    assert client.get(f"/api/v1/reviews/{flagged}", headers=auth["eddie"]).headers["ETag"] == '"1"'


@pytest.mark.parametrize("body, field", [
    ({"status": "flying"}, "status"),
    ({"appearance": "javascript:alert(1)"}, "appearance"),
    ({"rating": "MAYBE"}, "rating"),
    ({"colour": "red"}, "colour"),
    ({"assignee": 7}, "assignee"),
])
def test_invalid_change_is_422_naming_the_field(client, flagged, auth, body, field):
    problem = assert_problem(patch(client, flagged, body, auth["eddie"], '"1"'), 422)
    assert field in problem["errors"], problem
    # and the review did not move
    assert client.get(f"/api/v1/reviews/{flagged}", headers=auth["eddie"]).headers["ETag"] == '"1"'


def _publish(client, review_id, headers):
    etag = '"1"'
    for body in ({"status": "in_review"},
                 {"status": "overridden", "rating": "REFUTED", "claimant": "A. Minister",
                  "appearance": "https://example.org/speech"},
                 {"status": "published", "explanation": "Two sources date the meeting 14 May 2024."}):
        response = patch(client, review_id, body, headers, etag)
        assert response.status_code == 200, response.get_data(as_text=True)
        etag = response.headers["ETag"]
    return etag


def test_publish_without_explanation_is_409(client, flagged, auth):
    etag = patch(client, flagged, {"status": "in_review"}, auth["eddie"], '"1"').headers["ETag"]
    etag = patch(client, flagged, {"status": "approved"}, auth["eddie"], etag).headers["ETag"]
    problem = assert_problem(patch(client, flagged, {"status": "published"}, auth["eddie"], etag), 409)
    assert "explanation" in problem["errors"]


def test_published_review_is_locked_409(client, flagged, auth):
    assert_problem(client.get(f"/api/v1/checks/{flagged}/claimreview", headers=auth["fiona"]), 404)
    etag = _publish(client, flagged, auth["eddie"])
    response = patch(client, flagged, {"assignee": "edna"}, auth["edna"], etag)
    assert_problem(response, 409)
    review = client.get(f"/api/v1/reviews/{flagged}", headers=auth["edna"]).get_json()
    assert review["status"] == "published" and review["assignee"] is None
    assert review["audit"][-1]["action"] == "published"


def test_claimreview_fields(client, flagged, auth):
    _publish(client, flagged, auth["eddie"])
    response = client.get(f"/api/v1/checks/{flagged}/claimreview", headers=auth["fiona"])
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    data = response.get_json(force=True)
    assert data["@context"] == "https://schema.org" and data["@type"] == "ClaimReview"
    assert data["claimReviewed"] == GENEVA_CLAIM
    rating = data["reviewRating"]
    assert rating["@type"] == "Rating"
    assert (rating["ratingValue"], rating["bestRating"], rating["worstRating"]) == (1, 5, 1)
    assert rating["alternateName"] == "False"
    item = data["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {"@type": "Person", "name": "A. Minister"}
    # No claim date was given: the claim's own date is left out, not replaced by the day of the check.
    assert "datePublished" not in item
    assert item["appearance"] == [{"@type": "CreativeWork", "url": "https://example.org/speech"}]
    assert data["author"]["@type"] == "Organization" and data["author"]["name"]
    assert len(data["datePublished"]) == 10 and data["datePublished"][:2] == "20"
    assert data["url"].startswith("http") and flagged in data["url"]


def test_queue_filters_and_cursor_pagination(client, seed_store, auth):
    seed_store()
    ids = []
    for claim in ("Ministers met in Geneva", "A bridge opened in Bergen", "Chile signed a fisheries pact"):
        check = client.post("/api/v1/checks", json={"claim": claim}, headers=auth["fiona"]).get_json()
        client.post("/api/v1/reviews", json={"check_id": check["id"]}, headers=auth["fiona"])
        ids.append(check["id"])
    seen, url = [], "/api/v1/reviews?limit=2&status=pending"
    while url:
        response = client.get(url, headers=auth["eddie"])
        body = response.get_json()
        assert response.status_code == 200 and len(body["items"]) <= 2
        if body["next"]:
            assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
            assert "status=pending" in body["next"]
        seen += [r["id"] for r in body["items"]]
        url = body["next"]
    assert sorted(seen) == sorted(ids)
    assert client.get("/api/v1/reviews?status=published", headers=auth["eddie"]).get_json()["items"] == []
    problem = assert_problem(client.get("/api/v1/reviews?cursor=bogus", headers=auth["eddie"]), 422)
    assert "cursor" in problem["errors"]


def test_patch_excludes_evidence_and_adds_a_source_by_url(app, client, flagged, auth, store, article_server):
    from .conftest import ADDED_ARTICLE_TITLE

    verdict = store.get_check(flagged)
    passage_id = next(e.passage_id for e in verdict.evidence if e.passage_id)
    etag = client.get(f"/api/v1/reviews/{flagged}", headers=auth["eddie"]).headers["ETag"]
    problem = assert_problem(patch(client, flagged, {"exclude_evidence": {"passage_id": passage_id}},
                                   auth["eddie"], etag), 422)
    assert "reason" in str(problem["errors"])
    problem = assert_problem(patch(client, flagged, {"exclude_evidence": {"passage_id": "nope", "reason": "x"}},
                                   auth["eddie"], etag), 409)
    assert "exclude_evidence.passage_id" in problem["errors"]
    response = patch(client, flagged, {"exclude_evidence": {"passage_id": passage_id, "reason": "an opinion piece"}},
                     auth["eddie"], etag)
    assert response.status_code == 200, response.get_data(as_text=True)
    review = response.get_json()
    assert review["excluded"][0]["passage_id"] == passage_id and review["excluded"][0]["by"] == "key:eddie"
    assert review["audit"][-1]["reason"] == "an opinion piece"
    etag = response.headers["ETag"]

    # The URL ingest's address checks hold: 127.0.0.1 is refused unless the settings allow private addresses.
    problem = assert_problem(patch(client, flagged, {"add_source": {"url": f"{article_server}/article"}},
                                   auth["eddie"], etag), 422)
    assert "loopback" in problem["errors"]["add_source.url"][0]
    problem = assert_problem(patch(client, flagged, {"add_source": {"url": "javascript:alert(1)"}},
                                   auth["eddie"], etag), 422)
    assert "add_source.url" in problem["errors"]
    app.extensions["factcheck_config"].allow_private_urls = True
    response = patch(client, flagged, {"add_source": {"url": f"{article_server}/article", "stance": "related"}},
                     auth["eddie"], etag)
    assert response.status_code == 200, response.get_data(as_text=True)
    added = response.get_json()["added"]
    assert added[0]["title"] == ADDED_ARTICLE_TITLE and added[0]["stance"] == "related"
    assert added[0]["url"] == f"{article_server}/article"
    assert client.get(f"/api/v1/sources/{added[0]['source_id']}", headers=auth["eddie"]).status_code == 200
    # A fact-checker may not change the evidence.
    assert patch(client, flagged, {"restore_evidence": passage_id}, auth["fiona"],
                 response.headers["ETag"]).status_code == 403


def test_queue_filters_by_who_flagged_and_how_long_it_waited(client, flagged, auth, store):
    mine = client.get("/api/v1/reviews?flagged_by=key:fiona", headers=auth["eddie"]).get_json()
    assert [r["id"] for r in mine["items"]] == [flagged]
    assert client.get("/api/v1/reviews?flagged_by=key:edna", headers=auth["eddie"]).get_json()["items"] == []
    assert client.get("/api/v1/reviews?waiting_days=1", headers=auth["eddie"]).get_json()["items"] == []
    assert [r["id"] for r in client.get("/api/v1/reviews?waiting_days=0", headers=auth["eddie"]).get_json()[
        "items"]] == [flagged]
    problem = assert_problem(client.get("/api/v1/reviews?waiting_days=-1", headers=auth["eddie"]), 422)
    assert "waiting_days" in str(problem)
