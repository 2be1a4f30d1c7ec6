"""POST /api/v1/spot, GET /api/v1/checks?similar_to=, and previous_checks on verdicts (Flask test client, real
SQLite store)."""
from factcheck import review as workflow
from factcheck.models import Verdict
from factcheck.repeat import save_check

from .test_api import assert_problem

FIRST = "The trade ministers of Norway and Chile met in Geneva on 14 May 2024"
SAME = "On 14 May 2024, Norway's and Chile's trade ministers held a meeting in Geneva"
OTHER_DAY = "The trade ministers of Norway and Chile met in Geneva on 21 May 2024"


def publish(store, check_id):
    workflow.flag(store, check_id, "ann")
    for changes in ({"status": "in_review"}, {"status": "approved"},
                    {"status": "published", "explanation": "The sources date the meeting 14 May 2024."}):
        current = store.get_review(check_id)
        workflow.update(store, check_id, changes, "ann", current.version)


def test_a_check_shows_earlier_checks_of_the_same_claim_only(client, seed_store, store):
    seed_store()
    first = client.post("/api/v1/checks", json={"claim": FIRST}).get_json()
    assert first["previous_checks"] == []
    publish(store, first["id"])
    again = client.post("/api/v1/checks", json={"claim": SAME})
    assert again.status_code == 201
    previous = again.get_json()["previous_checks"]
    assert [p["check_id"] for p in previous] == [first["id"]]
    match = previous[0]
    assert match["claim"] == FIRST and match["verdict"] == first["verdict"] and 0 < match["similarity"] <= 1
    assert match["published"] is True and match["review_status"] == "published" and match["rating"]
    assert match["summary"].startswith("Already checked on ") and match["summary"].endswith(", published")
    # Another date is another claim: never shown as the same one.
    other = client.post("/api/v1/checks", json={"claim": OTHER_DAY}).get_json()
    assert other["previous_checks"] == []
    # A saved verdict read back lists the checks saved before it, not itself nor later ones.
    older = Verdict(SAME, "SUPPORTED", 0.9, None, [], [], id="chk-older", created_at="2024-01-01T00:00:00+00:00")
    save_check(store, older)
    assert [p["check_id"] for p in client.get(f"/api/v1/checks/{first['id']}").get_json()["previous_checks"]] == \
        ["chk-older"]
    assert client.get("/api/v1/checks/chk-older").get_json()["previous_checks"] == []


def test_batch_results_carry_previous_checks(client, seed_store):
    seed_store()
    first = client.post("/api/v1/checks", json={"claim": FIRST}).get_json()
    body = client.post("/api/v1/checks/batch", json={"claims": [{"claim": SAME, "id": "x"}]}).get_json()
    assert [p["check_id"] for p in body["results"][0]["check"]["previous_checks"]] == [first["id"]]


def test_similar_to_lists_earlier_checks(client, seed_store):
    seed_store()
    first = client.post("/api/v1/checks", json={"claim": FIRST}).get_json()
    response = client.get("/api/v1/checks", query_string={"similar_to": SAME})
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["check_id"] for i in items] == [first["id"]] and items[0]["published"] is False
    assert client.get("/api/v1/checks", query_string={"similar_to": "Bergen opened a bridge"}).get_json() == \
        {"items": []}


def test_similar_to_bad_input_names_the_field(client):
    assert "similar_to" in assert_problem(client.get("/api/v1/checks"), 422)["errors"]
    assert "similar_to" in assert_problem(client.get("/api/v1/checks?similar_to=%20"), 422)["errors"]
    assert "similar_to" in assert_problem(client.get("/api/v1/checks?similar_to=" + "a" * 2001), 422)["errors"]
    assert "limit" in assert_problem(client.get("/api/v1/checks?similar_to=x&limit=0"), 422)["errors"]


TRANSCRIPT = ("MODERATOR: Good evening and welcome.\n"
              "SMITH: Thank you. " + FIRST + ". Unemployment fell to 3.5 percent in 2019.\n")


def test_spot_text_ranks_sentences_with_speakers_and_previous_checks(client, seed_store):
    seed_store()
    first = client.post("/api/v1/checks", json={"claim": SAME}).get_json()
    response = client.post("/api/v1/spot", json={"text": TRANSCRIPT, "published_at": "2024-05-20"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    sentences = body["sentences"]
    assert [s["index"] for s in sentences] == list(range(len(sentences)))
    assert sentences[0]["speaker"] == "Moderator" and sentences[0]["check_worthy"] is False
    assert "previous_checks" not in sentences[0]
    geneva = [s for s in sentences if "Geneva" in s["text"]][0]
    assert geneva["check_worthy"] and geneva["speaker"] == "Smith" and "date" in geneva["features"]
    assert [p["check_id"] for p in geneva["previous_checks"]] == [first["id"]]
    jobs = [s for s in sentences if "Unemployment" in s["text"]][0]
    assert jobs["previous_checks"] == [] and 0 <= jobs["score"] <= 1
    assert body["check_worthy"] == sum(s["check_worthy"] for s in sentences)
    assert sorted(s["rank"] for s in sentences if s["check_worthy"]) == list(range(1, body["check_worthy"] + 1))


def test_spot_sentences_keeps_ids_and_speakers(client):
    body = client.post("/api/v1/spot", json={"sentences": [
        {"text": "Crime fell by 20% in 2023.", "speaker": "Ann", "id": "s1"}, {"text": "Hello everyone."}],
        "previous_checks": False}).get_json()
    assert [(s["id"], s["speaker"], s["check_worthy"]) for s in body["sentences"]] == \
        [("s1", "Ann", True), (None, None, False)]
    assert set(body["sentences"][0]) >= {"id", "score", "check_worthy", "speaker", "features", "rank"}


def test_spot_bad_input_names_the_field(client):
    assert "text" in assert_problem(client.post("/api/v1/spot", json={}), 422)["errors"]
    assert "text" in assert_problem(client.post("/api/v1/spot", json={"text": "x", "sentences": [{"text": "y"}]}),
                                    422)["errors"]
    assert "text" in assert_problem(client.post("/api/v1/spot", json={"text": " \n"}), 422)["errors"]
    assert "text" in assert_problem(client.post("/api/v1/spot", json={"text": "a" * 200_001}), 422)["errors"]
    too_many = {"sentences": [{"text": "a"}] * 1001}
    assert "sentences" in assert_problem(client.post("/api/v1/spot", json=too_many), 422)["errors"]
    errors = assert_problem(client.post("/api/v1/spot", json={"sentences": [{"text": "a"}, {"txt": "b"}]}),
                            422)["errors"]
    assert any(key.startswith("sentences.1") for key in errors), errors
    assert "colour" in assert_problem(client.post("/api/v1/spot", json={"text": "a", "colour": 1}), 422)["errors"]
    assert "published_at" in assert_problem(client.post("/api/v1/spot", json={"text": "a",
                                                                              "published_at": "May"}), 422)["errors"]
