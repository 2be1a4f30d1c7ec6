"""The published ClaimReview read as a search engine or an aggregator reads it: the page's JSON-LD extracted with
extruct (a structured-data extractor), checked against the fields schema.org's ClaimReview and the ClaimReview
guidelines name. The review is made through the editor's form on a real SQLite store."""
import re

import extruct
import pytest

from factcheck import create_app, users
from factcheck.ingest import ingest_records

from .conftest import SEED_SOURCES, csrf_token_of, post_form

CLAIM = "The trade ministers of Norway and Chile met in Geneva on 14 May 2024"


@pytest.fixture
def newsroom(tmp_path):
    app = create_app({"store_url": f"sqlite:///{tmp_path}/fc.db", "elasticsearch_url": None, "load_demo": False,
                      "admin_db": f"{tmp_path}/admin.db", "TESTING": True,
                      "publisher_name": "Example News", "publisher_url": "https://news.example/",
                      "publisher_logo": "https://news.example/logo.png"})
    ingest_records(app.extensions["factcheck_store"], SEED_SOURCES, app.extensions["factcheck_config"])
    users.create_user(f"{tmp_path}/admin.db", "eddie", "eddie-password-1", "editor")
    yield app
    app.extensions["factcheck_store"].close()


def publish_through_the_form(client, fields: dict, claim_date: str = "2024-05-20") -> str:
    posted = post_form(client, "/check", {"claim": CLAIM, "claim_date": claim_date})
    check_id = posted.headers["Location"].rsplit("/", 1)[1]
    post_form(client, "/login", {"username": "eddie", "password": "eddie-password-1"})
    post_form(client, f"/checks/{check_id}/flag", {"note": ""})
    form_page = client.get(f"/reviews/{check_id}").get_data(as_text=True)
    # The claim's date is prefilled from the check's.
    assert f'id="claim_date" name="claim_date" value="{claim_date}"' in form_page
    store = client.application.extensions["factcheck_store"]
    machine = store.get_review(check_id).machine_verdict
    rating = "REFUTED" if machine != "REFUTED" else "SUPPORTED"
    for step in ({"status": "in_review"}, {"status": "overridden", "rating": rating,
                                          "explanation": "The ministers met in Geneva a day earlier.", **fields},
                 {"action": "publish", "confirm": "1"}):
        version = store.get_review(check_id).version
        response = post_form(client, f"/reviews/{check_id}", {"version": str(version), **step})
        assert response.status_code == 303, response.get_data(as_text=True)
    assert store.get_review(check_id).status == "published"
    return check_id


def claimreviews(html: str, url: str) -> list[dict]:
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld"], uniform=True)
    return [item for item in data["json-ld"] if item.get("@type") == "ClaimReview"]


def test_published_claimreview_as_an_aggregator_reads_it(newsroom):
    client = newsroom.test_client()
    check_id = publish_through_the_form(client, {
        "claimant": "Ministry of Trade", "claimant_type": "Organization", "claim_date": "2024-05-16",
        "appearance": "https://social.example/ministry/post/1"})
    url = f"http://localhost/checks/{check_id}"
    html = client.get(f"/checks/{check_id}").get_data(as_text=True)
    (review,) = claimreviews(html, url)
    assert review["@context"].rstrip("/") in ("https://schema.org", "http://schema.org")
    assert review["url"] == url
    assert review["claimReviewed"] == CLAIM
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", review["datePublished"])
    assert review["author"] == {"@type": "Organization", "name": "Example News", "url": "https://news.example/",
                                "logo": {"@type": "ImageObject", "url": "https://news.example/logo.png"}}
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating" and rating["bestRating"] == 5 and rating["worstRating"] == 1
    assert 1 <= rating["ratingValue"] <= 5 and rating["alternateName"] in ("False", "True")
    assert rating["ratingExplanation"] == "The ministers met in Geneva a day earlier."
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    # The day the claim was made, as the editor gave it: not the day of the check, nor the check's claim date.
    assert item["datePublished"] == "2024-05-16"
    assert item["author"] == {"@type": "Organization", "name": "Ministry of Trade"}
    assert item["firstAppearance"] == {"@type": "CreativeWork", "url": "https://social.example/ministry/post/1"}
    assert item["appearance"] == [{"@type": "CreativeWork", "url": "https://social.example/ministry/post/1"}]


def test_an_unknown_claimant_and_claim_date_are_left_out(newsroom):
    client = newsroom.test_client()
    check_id = publish_through_the_form(client, {"claimant": "", "claim_date": ""}, claim_date="")
    html = client.get(f"/checks/{check_id}").get_data(as_text=True)
    (review,) = claimreviews(html, f"http://localhost/checks/{check_id}")
    item = review["itemReviewed"]
    assert "author" not in item and "unknown" not in str(review).lower()
    assert "datePublished" not in item  # not the day of the check


def test_a_person_claimant_with_the_checks_claim_date(newsroom):
    client = newsroom.test_client()
    check_id = publish_through_the_form(client, {"claimant": "A. Minister", "claimant_type": "Person"})
    html = client.get(f"/checks/{check_id}").get_data(as_text=True)
    (review,) = claimreviews(html, f"http://localhost/checks/{check_id}")
    assert review["itemReviewed"]["author"] == {"@type": "Person", "name": "A. Minister"}
    assert review["itemReviewed"]["datePublished"] == "2024-05-20"
