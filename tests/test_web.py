"""HTML pages through the Flask test client on a real SQLite store."""
import re

import pytest

from factcheck import create_app
from factcheck.web import checks as web_checks
from factcheck.web.shared import sentence_segments
from factcheck.store import StoreUnavailable

from .conftest import post_form

LABELS = ("Supported", "Refuted", "Conflicting", "Not enough evidence")
GENEVA_CLAIM = "The trade ministers of Norway and Chile met in Geneva on 14 May 2024"

HOSTILE_SOURCE = {
    "id": "hostile-geneva",
    "url": "javascript:alert(1)",
    "publisher": "<b>Evil</b> Gazette",
    "published_at": "2024-05-15",
    "title": "<script>alert('title')</script> Geneva",
    "text": "The trade ministers of Norway and Chile met in Geneva on 14 May 2024 <script>alert(1)</script> "
            "and signed <img src=x onerror=alert(1)> a fisheries agreement.",
}


def html_of(response) -> str:
    return response.get_data(as_text=True)


def test_form_renders_labelled_fields_and_stats(client, seed_store):
    seed_store()
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = html_of(response)
    for field in ("claim", "claim_date", "as_of"):
        assert re.search(rf'<label for="{field}"', html), field
        assert f'id="{field}" name="{field}"' in html
    assert '<textarea id="claim"' in html
    assert '<button type="submit"' in html
    assert 'action="/check"' in html and 'method="post"' in html
    stats = re.search(r"<dt>Sources</dt><dd>(\d+)</dd>", html)
    assert stats and stats.group(1) == "3"
    assert 'href="/static/style.css"' in html
    assert "<script" not in html  # the pages work without JavaScript


def test_stylesheet_is_served(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert "@media" in response.get_data(as_text=True)


def test_check_renders_banner_evidence_and_dates(client, seed_store):
    seed_store()
    posted = post_form(client, "/check", {"claim": GENEVA_CLAIM, "claim_date": "2024-05-20", "as_of": ""})
    # POST-redirect-GET: the form's answer is the saved check's own address, so a reload saves nothing twice.
    assert posted.status_code == 303
    location = posted.headers["Location"]
    assert re.fullmatch(r"/checks/chk-[\w-]+", location), location
    response = client.get(location)
    assert response.status_code == 200
    html = html_of(response)
    banner = re.search(r'<section class="banner (\w+)".*?<p class="label">([^<]+)</p>\s*'
                       r'<p class="confidence">Confidence (\d+)%', html, re.S)
    assert banner, html
    assert banner.group(1) in ("supported", "refuted", "conflicting", "not_enough_evidence")
    assert banner.group(2) in LABELS
    assert 0 <= int(banner.group(3)) <= 100
    assert '<article class="evidence' in html
    assert "Alpine Herald" in html
    assert '<p class="reason">' in html
    assert "2024-05-14" in html  # the claim's normalised date
    assert "<dd>2024-05-20</dd>" in html  # the claim date as given
    assert f'href="{location}"' in html  # the permalink is the page's own address
    # Reloading the page (a GET) saves nothing more.
    client.get(location)
    assert client.application.extensions["factcheck_store"].stats()["checks"] == 1


def test_geneva_claim_is_supported_by_the_geneva_sources(client, seed_store):
    seed_store()
    html = html_of(client.get("/check", query_string={"claim": GENEVA_CLAIM}))
    assert '<section class="banner supported"' in html
    supporting = html.split('id="h-supports"', 1)[1].split('id="h-conflicts"', 1)[0]
    assert "Alpine Herald" in supporting


def test_get_check_without_claim_redirects_to_form(client):
    response = client.get("/check")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")


def test_source_markup_is_escaped_on_the_verdict_page(client, seed_store):
    seed_store([HOSTILE_SOURCE])
    response = post_form(client, "/check", {"claim": GENEVA_CLAIM}, follow_redirects=True)
    assert response.status_code == 200
    html = html_of(response)
    assert "Evil" in html, "the hostile source should be shown as evidence"
    assert "<script>" not in html
    assert "<img" not in html
    assert "<b>Evil</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;Evil&lt;/b&gt; Gazette" in html
    assert "javascript:" not in html  # a non-http URL is never made a link
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none' covers scripts
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_claim_text_is_escaped_when_echoed(client, seed_store):
    seed_store()
    claim = "Ministers met in Geneva <script>alert(2)</script> on 14 May 2024"
    for response in (post_form(client, "/check", {"claim": claim}, follow_redirects=True),
                     post_form(client, "/check", {"claim": claim, "as_of": "2024-02-30"})):
        html = html_of(response)
        assert "<script>alert(2)</script>" not in html
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


@pytest.mark.parametrize("form, field, message", [
    ({"claim": ""}, "claim", "Enter a claim to check"),
    ({"claim": "   \n  "}, "claim", "Enter a claim to check"),
    ({"claim": "x" * 2001}, "claim", "The claim is too long: 2,001 characters; the limit is 2,000."),
    ({"claim": "Talks in Geneva", "claim_date": "2024-02-30"}, "claim_date", "2024-02-30 is not a real calendar day."),
    ({"claim": "Talks in Geneva", "as_of": "2023-13-01"}, "as_of", "2023-13-01 is not a real calendar day."),
    ({"claim": "Talks in Geneva", "as_of": "last week"}, "as_of", "write it as YYYY-MM-DD"),
    ({}, "claim", "Enter a claim to check"),
])
def test_bad_input_shows_the_form_again_with_400(client, form, field, message):
    response = post_form(client, "/check", form)
    assert response.status_code == 400
    html = html_of(response)
    assert '<form class="check"' in html
    assert 'role="alert"' in html
    assert message in html
    assert f'id="{field}-error"' in html
    assert f'aria-invalid="true"' in html


def test_bad_input_keeps_what_was_typed(client):
    response = post_form(client, "/check", {"claim": "Talks in Geneva", "claim_date": "2024-02-30"})
    html = html_of(response)
    assert ">Talks in Geneva</textarea>" in html
    assert 'value="2024-02-30"' in html


def test_claim_of_exactly_2000_characters_is_accepted(client, seed_store):
    seed_store()
    claim = ("Norway and Chile met in Geneva. " * 100)[:2000]
    response = post_form(client, "/check", {"claim": claim}, follow_redirects=True)
    assert response.status_code == 200


def test_unknown_page_is_a_small_html_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404" in html_of(response)
    assert client.get("/checks/chk-unknown").status_code == 404


def test_wrong_method_is_405_html(client):
    response = client.delete("/check")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "POST" in response.headers["Allow"]


def test_store_unavailable_is_503_with_retry_after(client, store, monkeypatch):
    def down(*args, **kwargs):
        raise StoreUnavailable("node down", retry_after=7)

    monkeypatch.setattr(store, "search", down)
    response = post_form(client, "/check", {"claim": GENEVA_CLAIM})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.mimetype == "text/html"


def test_unexpected_error_is_a_plain_500_page(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals <script>")

    monkeypatch.setattr(web_checks, "check_claim", broken)
    response = post_form(client, "/check", {"claim": GENEVA_CLAIM})
    assert response.status_code == 500
    html = html_of(response)
    assert "secret internals" not in html and "Traceback" not in html


def test_request_over_20_mb_is_413(client):
    response = post_form(client, "/check", {"claim": "x" * (20 * 1024 * 1024 + 1)})
    assert response.status_code == 413


def test_store_is_opened_once_per_app_and_survives_requests(app, client, seed_store):
    store = app.extensions["factcheck_store"]
    seed_store()
    client.get("/")
    post_form(client, "/check", {"claim": GENEVA_CLAIM})
    assert app.extensions["factcheck_store"] is store
    assert store.stats()["checks"] == 1


def test_config_dict_overrides_and_rejects_unknown_fields(tmp_path):
    with pytest.raises(ValueError, match="no_such_setting"):
        create_app({"store_url": f"sqlite:///{tmp_path}/x.db", "no_such_setting": 1})
    app = create_app({"store_url": f"sqlite:///{tmp_path}/x.db", "elasticsearch_url": None, "load_demo": False,
                      "secret_key": "fixed"})
    try:
        assert app.config["SECRET_KEY"] == "fixed"
        assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
        assert app.extensions["factcheck_config"].load_demo is False
    finally:
        app.extensions["factcheck_store"].close()


def test_sentence_segments_marks_highlights_and_skips_bad_spans():
    segments = sentence_segments("Met in Geneva on Tuesday.", [
        {"start": 7, "end": 13, "kind": "place", "role": "match"},
        {"start": 10, "end": 20, "kind": "date", "role": "conflict"},  # overlaps: skipped
        {"start": 17, "end": 24, "kind": "date", "role": "conflict"},
        {"start": 30, "end": 40, "kind": "date", "role": "match"},  # out of range: skipped
    ])
    assert segments == [("Met in ", None, ""), ("Geneva", "match", "place"), (" on ", None, ""),
                        ("Tuesday", "conflict", "date"), (".", None, "")]
    assert "".join(text for text, _, _ in segments) == "Met in Geneva on Tuesday."
