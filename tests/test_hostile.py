"""Hostile inputs, one table per way in: the JSON API, the web pages and the command line.

Each row is an input an outside probe sent (issue 11) that crashed (a 500 or a traceback), silently lost data or
let someone in. Each must now get a clear 4xx, or a per-item error in a batch, that names what is wrong, with
nothing half-written and the rest of the batch stored.
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from .conftest import post_form
from .test_api import assert_problem
from .test_elastic_store import es_session_prefix  # noqa: F401 - a fixture of the Elasticsearch cases

REPO = Path(__file__).resolve().parents[1]
DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"text": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}"
BIG_NUMBER = "1" * 5000
GOOD_TEXT = "The harbour master said the ferry left Bergen on 14 May 2024."

# -- the JSON API ---------------------------------------------------------------------------------------------------

JSON_ENDPOINTS = [("post", "/api/v1/checks"), ("post", "/api/v1/checks/batch"), ("post", "/api/v1/sources"),
                  ("post", "/api/v1/reviews"), ("patch", "/api/v1/reviews/chk-x"), ("post", "/api/v1/webhooks")]

# (case, method, path, raw body, status, words the problem's detail must contain)
API_CASES = [
    *[(f"nesting 1,000 deep on {m.upper()} {p}", m, p, DEEP_ARRAY, 400, "nested too deeply")
      for m, p in JSON_ENDPOINTS],
    *[(f"a 5,000-digit number on {m.upper()} {p}", m, p, '{"claim": %s, "text": "x"}' % BIG_NUMBER, 400,
       "number of 5,000 characters") for m, p in JSON_ENDPOINTS],
    ("a nested object 1,000 deep as a field", "post", "/api/v1/sources", DEEP_OBJECT, 400, "nested too deeply"),
    ("NaN is not JSON", "post", "/api/v1/checks", '{"claim": NaN}', 400, "NaN is not a JSON value"),
    ("a misspelt field is not dropped", "post", "/api/v1/sources",
     json.dumps({"id": "x", "text": GOOD_TEXT, "publishd_at": "2024-05-09"}), 422, "did you mean published_at"),
    ("an unknown field in a list names its index", "post", "/api/v1/sources",
     json.dumps([{"id": "y", "text": GOOD_TEXT, "author": "Ann"}]), 422, "0.author: unknown field"),
]


@pytest.mark.parametrize("case, method, path, body, status, words", API_CASES, ids=[c[0] for c in API_CASES])
def test_api_refuses_hostile_input_clearly(client, store, case, method, path, body, status, words):
    response = getattr(client, method)(path, data=body, content_type="application/json", headers={"If-Match": '"1"'})
    problem = assert_problem(response, status)
    assert words in problem["detail"], problem
    assert store.stats()["sources"] == 0


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags, entities decoded."""
    return unescape(re.sub(r"<[^>]+>", "", html))


# -- on both stores: lists, ranges and ids the Elasticsearch node used to refuse with an HTTP 400 (a 500 here) ------

LONG_ID = "x" * 5000
# (case, path, status, words in the answer, log in as an editor first)
BOTH_STORES_CASES = [
    ("timeline range ending before it starts", "/api/v1/timeline?q=talks&from=2024-05-10&to=2024-05-01", 422,
     "to: The range ends (2024-05-01) before it starts (2024-05-10).", False),
    ("publication range ending before it starts",
     "/api/v1/sources?published_from=2024-05-10&published_to=2024-05-01", 422, "published_to: The range ends", False),
    ("a 5,000-character source id", f"/api/v1/sources/{LONG_ID}", 404, "No source with id", False),
    ("a 5,000-character check id", f"/api/v1/checks/{LONG_ID}", 404, "No check with id", False),
    ("a 5,000-character claimreview id", f"/api/v1/checks/{LONG_ID}/claimreview", 404, "No published review", False),
    ("a 5,000-character review id", f"/api/v1/reviews/{LONG_ID}", 404, "No review with id", False),
    ("a cursor that is not one", "/api/v1/sources?cursor=bogus", 422, "cursor: Not a cursor from this API", False),
    ("a cursor past the year 9999", "/api/v1/reviews?cursor=9999999999999999~z", 200, "", False),
    ("a cursor before the year 1", "/api/v1/sources?cursor=-9999999999999999~z", 200, "", False),
    ("page 461168601842738792 of the sources", "/sources?page=461168601842738792", 400, "past page 500", False),
    ("page 461168601842738792 of the queue", "/reviews?page=461168601842738792", 400, "past page 400", True),
    ("a page that is not a number", "/sources?page=-1", 400, "page must be a whole number", False),
    ("a web cursor that is not one", "/reviews?cursor=%3Cscript%3E", 400, "cursor is not one", True),
    ("timeline page with a range ending before it starts", "/timeline?q=talks&from=2024-05-10&to=2024-05-01", 400,
     "The end of the range is before its start.", False),
    ("TimelineJS export with a range ending before it starts",
     "/timeline.json?q=talks&from=2024-05-10&to=2024-05-01", 400, "to: The end of the range", False),
    ("a 5,000-character source page", f"/sources/{LONG_ID}", 404, "no source with that id", False),
    ("a 5,000-character check page", f"/checks/{LONG_ID}", 404, "no saved check with that id", False),
]


@pytest.fixture(params=["sqlite", "elasticsearch"])
def any_app(request, tmp_path):
    """The app on a new SQLite file, or on new Elasticsearch indexes of the test node."""
    from factcheck import create_app

    settings = {"store_url": f"sqlite:///{tmp_path}/fc.db", "elasticsearch_url": None, "load_demo": False,
                "admin_db": f"{tmp_path}/admin.db", "TESTING": True}
    if request.param == "elasticsearch":
        from .test_elastic_store import ES_URL, _delete_indexes

        prefix = f"{request.getfixturevalue('es_session_prefix')}-hostile-{os.urandom(3).hex()}"
        settings.update(elasticsearch_url=ES_URL, index_prefix=prefix)
    application = create_app(settings)
    yield application
    store = application.extensions["factcheck_store"]
    if request.param == "elasticsearch":
        _delete_indexes(store, settings["index_prefix"])
    store.close()


@pytest.mark.parametrize("case, path, status, words, editor", BOTH_STORES_CASES,
                         ids=[c[0] for c in BOTH_STORES_CASES])
def test_lists_ranges_and_ids_on_both_stores(any_app, case, path, status, words, editor):
    from factcheck import users

    client = any_app.test_client()
    if editor:
        users.create_user(any_app.extensions["factcheck_admin"], "eddie", "eddie-password-1", "editor")
        post_form(client, "/login", {"username": "eddie", "password": "eddie-password-1"})
    response = client.get(path)
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:2000]
    assert "Traceback" not in text
    if path.startswith(("/api/", "/timeline.json")):
        body = response.get_json()
        if status >= 400:
            assert_problem(response, status)
            assert words in body["detail"], body
    else:
        assert words in text_of(text), text_of(text)[:2000]


# -- what an editor publishes ---------------------------------------------------------------------------------------

BAD_APPEARANCES = ["javascript:alert(document.cookie)", "JAVASCRIPT:alert(1)", " javascript:alert(1)",
                   "data:text/html,<script>alert(1)</script>", "//evil.example/x", "/relative/path",
                   "https://", "http://exa mple.org/", "https://example.org/\x00"]


@pytest.mark.parametrize("appearance", BAD_APPEARANCES)
def test_review_appearance_must_be_a_web_address_in_the_api_and_the_form(app, client, login, store, appearance):
    from factcheck import review as workflow
    from factcheck.models import Verdict

    check_id = store.save_check(Verdict("The ferry left Bergen on 14 May 2024", "SUPPORTED", 0.9, None, [], []))
    workflow.flag(store, check_id, by="test")
    response = client.patch(f"/api/v1/reviews/{check_id}", json={"appearance": appearance},
                            headers={"If-Match": '"1"'})
    problem = assert_problem(response, 422)
    assert "appearance" in problem["errors"] and "http:// or https://" in problem["detail"]
    login("eddie")
    page = post_form(client, f"/reviews/{check_id}", {"version": "1", "appearance": appearance})
    assert page.status_code == 422 and "http:// or https://" in page.get_data(as_text=True)
    assert store.get_review(check_id).appearance is None and store.get_review(check_id).version == 1


def test_claimreview_leaves_out_an_appearance_stored_before_it_was_checked(store):
    from factcheck import review as workflow
    from factcheck.models import Evidence, Review, Verdict

    evidence = Evidence("s", "javascript:alert(1)", "P", None, "Sentence.", 0, 9, [], "supports", 0.9, "why")
    verdict = Verdict("Claim", "SUPPORTED", 0.9, None, [], [evidence], id="chk-old")
    old = Review(id="chk-old", check_id="chk-old", claim="Claim", machine_verdict="SUPPORTED", status="published",
                 rating="SUPPORTED", explanation="Because.", appearance="javascript:alert(1)",
                 published_at="2024-05-14T00:00:00+00:00")
    data = workflow.claimreview(old, verdict, url="https://factcheck.example/checks/chk-old")
    assert data["itemReviewed"]["appearance"] == []
    assert "javascript" not in json.dumps(data)


# -- the web pages --------------------------------------------------------------------------------------------------

# (case, uploaded file name, its content, status, what the result page must say)
UPLOAD_CASES = [
    ("a JSON file nested 1,000 deep", "deep.json", DEEP_ARRAY, 422, "deep.json: invalid JSON: nested too deeply"),
    ("a JSONL line with a 5,000-digit number, then a good line", "batch.jsonl",
     '{"id": "n", "text": %s}\n%s\n' % (BIG_NUMBER, json.dumps({"id": "good", "text": GOOD_TEXT})), 200,
     "batch.jsonl:1: invalid JSON: a number of 5,000 characters"),
    ("a misspelt field", "typo.jsonl", json.dumps({"id": "t", "text": GOOD_TEXT, "publishd_at": "2024-05-09"}), 422,
     "typo.jsonl:1: unknown field 'publishd_at': did you mean published_at?"),
]


@pytest.mark.parametrize("case, name, content, status, words", UPLOAD_CASES, ids=[c[0] for c in UPLOAD_CASES])
def test_upload_form_reports_hostile_files_per_item(client, login, store, case, name, content, status, words):
    login("fiona")
    response = post_form(client, "/sources/new", {"mode": "file", "file": (io.BytesIO(content.encode()), name)},
                         content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert words in text_of(html), html[html.find("Result"):][:800]
    assert "Traceback" not in html
    assert {s.id for s in store.list_sources()} == ({"good"} if status == 200 else set())


SIX_TO_FOUR_LOOPBACK = "http://[2002:7f00:1::]/"


@pytest.mark.parametrize("url", [SIX_TO_FOUR_LOOPBACK, "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
                                 "http://[::ffff:10.0.0.1]/", "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/"])
def test_urls_wrapping_private_addresses_are_refused_by_the_form_and_for_webhooks(client, login, url):
    login("fiona")
    page = post_form(client, "/sources/new", {"mode": "url", "source_url": url})
    assert page.status_code == 422 and "refused: private address" in text_of(page.get_data(as_text=True))
    problem = assert_problem(client.post("/api/v1/webhooks", json={"url": url, "events": ["check.completed"]}),
                             403)
    assert "url" in problem["errors"] and "refused: private address" in problem["detail"]


# -- the command line -----------------------------------------------------------------------------------------------


def run_cli(tmp_path, *args, timeout=240):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTCHECK_", "ELASTICSEARCH"))}
    env.update(FACTCHECK_STORE=f"sqlite:///{tmp_path}/cli.db", PYTHONPATH=str(REPO), FACTCHECK_CLAIM_VECTORS="0")
    result = subprocess.run([sys.executable, "-m", "factcheck", *map(str, args)], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=timeout, stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_cli_batch_goes_on_past_hostile_files_and_names_file_and_line(tmp_path):
    """Each bad file or line is an error naming it; the files after it are still read and stored."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-deep.json").write_text(DEEP_ARRAY)
    (folder / "b-lines.jsonl").write_text("\n".join([
        json.dumps({"id": "b1", "text": GOOD_TEXT}),
        '{"id": "b2", "text": "x", "n": %s}' % BIG_NUMBER,
        DEEP_OBJECT,
        json.dumps({"id": "b4", "text": GOOD_TEXT, "publishd_at": "2024-05-09"}),
        json.dumps({"id": "b5", "text": GOOD_TEXT + " Again."}),
    ]) + "\n")
    (folder / "c-last.json").write_text(json.dumps({"id": "c1", "text": GOOD_TEXT + " Later."}))
    result = run_cli(tmp_path, "ingest", folder, SIX_TO_FOUR_LOOPBACK)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("added 3, updated 0, unchanged 0, failed 5"), result.stdout
    errors = result.stderr
    assert f"{SIX_TO_FOUR_LOOPBACK}: refused: private address 2002:7f00:1:: (6to4 form of 127.0.0.1" in errors
    assert f"{folder / 'a-deep.json'}: invalid JSON: nested too deeply" in errors
    assert f"{folder / 'b-lines.jsonl'}:2: invalid JSON: a number of 5,000 characters" in errors
    assert f"{folder / 'b-lines.jsonl'}:3: invalid JSON: nested too deeply" in errors
    assert f"{folder / 'b-lines.jsonl'}:4: unknown field 'publishd_at': did you mean published_at?" in errors

    # different content under a stored id is a new version, never "unchanged"
    (folder / "c-last.json").write_text(json.dumps({"id": "c1", "text": GOOD_TEXT + " Corrected."}))
    again = run_cli(tmp_path, "ingest", folder / "c-last.json")
    assert (again.returncode, again.stdout.split(" (")[0]) == (0, "added 0, updated 1, unchanged 0, failed 0")

    for options, message in ((["--from", "garbage"], "--from: Not a date"),
                             (["--from", "2024-05-10", "--to", "2024-05-01"], "--to: The range ends")):
        timeline = run_cli(tmp_path, "timeline", "ferry", *options)
        assert timeline.returncode == 2 and f"error: timeline: {message}" in timeline.stderr, timeline.stderr

    claims = tmp_path / "claims.jsonl"
    claims.write_text(DEEP_ARRAY + "\n" + '{"claim": %s}\n' % BIG_NUMBER)
    checked = run_cli(tmp_path, "check", "--file", claims)
    assert checked.returncode == 1
    assert f"{claims}:1: invalid JSON: nested too deeply" in checked.stderr
    assert f"{claims}:2: invalid JSON: a number of 5,000 characters" in checked.stderr

