"""The fact-checker and editor pages through the Flask test client: accounts, CSRF, flagging, the review queue,
publishing, sources and timelines."""
import io
import json
import re

import pytest

from factcheck import users

from .conftest import csrf_token_of, post_form

LIBRARY_SOURCES = [
    {"id": "riverside-post-library", "publisher": "Riverside Post", "published_at": "2024-03-04",
     "url": "https://riverside-post.example/library", "title": "Riverside library reopens",
     "text": "Riverside library reopens\nThe Riverside public library reopened on 3 March 2024 after a two-year "
             "renovation, the city council said. About 400 visitors came on the first day."},
    {"id": "valley-times-library", "publisher": "Valley Times", "published_at": "2024-03-12",
     "url": "https://valley-times.example/riverside-library", "title": "Library back in business",
     "text": "Library back in business\nThe Riverside public library reopened on 10 March 2024 after a two-year "
             "renovation, council officials said."},
    {"id": "hostile-notes", "publisher": "<b>Open</b> Notes", "published_at": "2024-03-05",
     "title": "Notes <script>alert('t')</script>",
     "text": "Reader notes on the Riverside library\nOne reader wrote <script>alert(1)</script> and "
             "<img src=x onerror=alert(1)> under the story about the library renovation in Riverside on "
             "4 March 2024."},
]
LIBRARY_CLAIM = "The Riverside public library reopened on 3 March 2024."


def html_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def library(seed_store):
    seed_store(LIBRARY_SOURCES)


def saved_check(client) -> str:
    response = post_form(client, "/check", {"claim": LIBRARY_CLAIM}, follow_redirects=True)
    assert response.status_code == 200
    return re.search(r'href="/checks/(chk-[^"]+)"', html_of(response)).group(1)


def form_fields(html: str, action: str) -> dict:
    """The hidden inputs of the form posting to `action`."""
    form = re.search(r'<form[^>]*action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', html, re.S)
    assert form, f"no form for {action}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))


# -- accounts, sessions, CSRF --------------------------------------------------------------------------------------


def test_users_are_stored_hashed_and_authenticate(app):
    db = app.extensions["factcheck_admin"]
    users.create_user(db, "ann", "correct horse", "editor")
    assert users.authenticate(db, "ann", "correct horse").role == "editor"
    assert users.authenticate(db, "ann", "wrong horse") is None
    assert users.authenticate(db, "nobody", "correct horse") is None
    import sqlite3

    stored = sqlite3.connect(db.path).execute("SELECT password_hash FROM users").fetchone()[0]
    assert "correct horse" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    for args in (("ann", "another one", "editor"), ("b", "long enough", "editor"), ("bob", "short", "editor"),
                 ("bob", "long enough", "superuser")):
        with pytest.raises(users.UserError):
            users.create_user(db, *args)


def test_users_cli_reads_the_password_from_stdin(tmp_path, monkeypatch, capsys):
    from factcheck.__main__ import main

    db = tmp_path / "admin.db"
    monkeypatch.setenv("FACTCHECK_ADMIN_DB", str(db))
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["users", "create", "--username", "ann", "--role", "factchecker", "--password-stdin"]) == 0
    assert users.authenticate(str(db), "ann", "a long password").role == "factchecker"
    assert main(["users", "list"]) == 0
    assert "ann\tfactchecker" in capsys.readouterr().out
    # No terminal to prompt on and no --password-stdin: refused, never read from the command line.
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["users", "create", "--username", "bob", "--role", "editor"]) == 2
    assert main(["users", "create", "--username", "bob", "--role", "editor", "--password", "x"]) == 2


def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(client, accounts):
    response = post_form(client, "/login", {"username": "fiona", "password": accounts["fiona"][1]})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test below
    assert "fiona" in html_of(client.get("/"))
    assert post_form(client, "/logout").status_code == 302
    assert "fiona" not in html_of(client.get("/"))


def test_session_cookie_is_secure_over_https(client, accounts):
    token = csrf_token_of(client)
    response = client.post("/login", base_url="https://localhost",
                           data={"username": "eddie", "password": accounts["eddie"][1], "csrf_token": token})
    assert response.status_code == 302
    assert "; Secure" in response.headers["Set-Cookie"]


def test_wrong_password_is_refused_without_saying_which_part(client, accounts):
    response = post_form(client, "/login", {"username": "fiona", "password": "nope"})
    assert response.status_code == 401
    assert "Wrong username or password." in html_of(response)
    response = post_form(client, "/login", {"username": "nobody", "password": "nope"})
    assert "Wrong username or password." in html_of(response)


def test_login_redirects_only_to_local_pages(client, accounts):
    for target, expected in (("/reviews", "/reviews"), ("https://evil.example/", "/"), ("//evil.example", "/")):
        response = post_form(client, "/login", {"username": "eddie", "password": accounts["eddie"][1],
                                                "next": target})
        assert response.headers["Location"] == expected


@pytest.mark.parametrize("url", ["/check", "/login", "/logout", "/sources/new", "/checks/chk-x/flag",
                                 "/reviews/chk-x", "/reviews/chk-x/assign"])
def test_posts_without_the_csrf_token_are_refused(client, login, url):
    login("eddie")
    assert client.post(url, data={"claim": LIBRARY_CLAIM}).status_code == 400
    assert client.post(url, data={"claim": LIBRARY_CLAIM, "csrf_token": "forged"}).status_code == 400


def test_every_post_form_carries_the_csrf_token(client, login, library):
    login("eddie")
    check_id = saved_check(client)
    post_form(client, f"/checks/{check_id}/flag", {"note": "look"})
    for url in ("/", "/login", f"/checks/{check_id}", "/sources/new", "/reviews", f"/reviews/{check_id}"):
        html = html_of(client.get(url))
        forms = re.findall(r'<form[^>]*method="post"[^>]*>(.*?)</form>', html, re.S)
        assert forms or url == "/login", url
        for form in forms:
            assert 'name="csrf_token"' in form, (url, form[:200])


# -- flagging and roles --------------------------------------------------------------------------------------------


def test_anonymous_visitors_check_and_read_but_cannot_flag(client, library):
    check_id = saved_check(client)
    html = html_of(client.get(f"/checks/{check_id}"))
    assert "Log in</a> as a fact-checker to flag" in html
    assert post_form(client, f"/checks/{check_id}/flag").status_code == 403
    for url in ("/sources", "/sources/riverside-post-library", "/timeline?q=library"):
        assert client.get(url).status_code == 200, url
    response = client.get("/reviews")
    assert response.status_code == 403 and 'href="/login?next=/reviews">Log in</a>' in html_of(response)


def test_clients_cannot_flag_and_factcheckers_cannot_review(client, login, library, store):
    check_id = saved_check(client)
    login("clara")
    assert post_form(client, f"/checks/{check_id}/flag").status_code == 403
    login("fiona")
    response = post_form(client, f"/checks/{check_id}/flag", {"note": "Dates differ between sources"})
    assert response.status_code == 303
    review = store.get_review(check_id)
    assert review.status == "pending" and review.audit[0]["by"] == "fiona"
    assert review.notes[0]["text"] == "Dates differ between sources"
    assert "in the editors' queue" in html_of(client.get(f"/checks/{check_id}"))
    # The fact-checker's /reviews is the list of the checks they flagged, with their status, read-only.
    mine = client.get("/reviews")
    html = html_of(mine)
    assert mine.status_code == 200 and "My flagged checks" in html and LIBRARY_CLAIM in html
    assert "Pending" in html and "waiting less than a minute" in html and ">My flags</a>" in html
    assert f'href="/checks/{check_id}"' in html and "Assign to me" not in html and "/assign" not in html
    assert LIBRARY_CLAIM not in html_of(client.get("/reviews?status=published"))
    forbidden = client.get(f"/reviews/{check_id}")
    assert forbidden.status_code == 403
    assert "Your role (factchecker) cannot do this" in html_of(forbidden)
    assert "Log in as someone else" in html_of(forbidden)
    assert post_form(client, f"/reviews/{check_id}", {"version": "1", "status": "in_review"}).status_code == 403


# -- the review queue ---------------------------------------------------------------------------------------------


def flagged(client, login, store) -> str:
    check_id = saved_check(client)
    login("fiona")
    post_form(client, f"/checks/{check_id}/flag")
    login("eddie")
    return check_id


def test_queue_filters_and_assign_to_me(client, login, library, store):
    check_id = flagged(client, login, store)
    html = html_of(client.get("/reviews"))
    assert LIBRARY_CLAIM in html and "unassigned" in html
    assert LIBRARY_CLAIM not in html_of(client.get("/reviews?status=published"))
    assert LIBRARY_CLAIM not in html_of(client.get("/reviews?verdict=SUPPORTED"))
    assert LIBRARY_CLAIM in html_of(client.get("/reviews?verdict=" + store.get_check(check_id).verdict))
    assert LIBRARY_CLAIM not in html_of(client.get("/reviews?assignee=me"))
    fields = form_fields(html, f"/reviews/{check_id}/assign?status=&amp;verdict=&amp;assignee=&amp;waiting=")
    response = post_form(client, f"/reviews/{check_id}/assign", {"version": fields["version"], "next": "queue"})
    assert response.status_code == 303
    review = store.get_review(check_id)
    assert review.assignee == "eddie" and review.status == "in_review"
    assert LIBRARY_CLAIM in html_of(client.get("/reviews?assignee=me"))


def test_review_publish_locks_and_embeds_claimreview(client, login, library, store):
    check_id = flagged(client, login, store)
    url = f"/reviews/{check_id}"
    post_form(client, f"{url}/assign", {"version": "1"})
    page = html_of(client.get(url))
    assert "Audit trail" in page and "flagged" in page and "Riverside Post" in page
    version = form_fields(page, url)["version"]
    response = post_form(client, url, {"version": version, "status": "overridden", "rating": "REFUTED",
                                       "explanation": "The library reopened on 10 March; the 3 March date was "
                                                      "the press preview.", "note": "Called the council."})
    assert response.status_code == 303, html_of(response)
    page = html_of(client.get(response.headers["Location"]))
    assert "Called the council." in page and "Publish</button>" in page
    publish = {"version": form_fields(page, url)["version"], "action": "publish", "status": "overridden",
               "rating": "REFUTED", "explanation": store.get_review(check_id).explanation}
    # Publishing asks for confirmation first and changes nothing yet.
    response = post_form(client, url, publish)
    assert response.status_code == 200 and "Publishing locks this review" in html_of(response)
    assert store.get_review(check_id).status == "overridden"
    response = post_form(client, url, {**publish, "confirm": "1"})
    assert response.status_code == 303
    page = html_of(client.get(response.headers["Location"]))
    assert "Published and locked" in page
    assert '<p class="notice" role="status">Published.</p>' in page
    assert f'action="{url}"' not in page  # no edit form
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["@type"] == "ClaimReview" and data["reviewRating"]["alternateName"] == "False"
    assert data["claimReviewed"] == LIBRARY_CLAIM
    # The public check page carries it too; and a locked review refuses further changes.
    assert "application/ld+json" in html_of(client.get(f"/checks/{check_id}"))
    response = post_form(client, url, {"version": str(store.get_review(check_id).version), "note": "late"})
    assert response.status_code == 409 and "locked" in html_of(response)


def test_stale_form_keeps_the_edits_and_says_reload(client, login, library, store):
    from factcheck import review as workflow

    check_id = flagged(client, login, store)
    url = f"/reviews/{check_id}"
    version = form_fields(html_of(client.get(url)), url)["version"]
    workflow.update(store, check_id, {"note": "meanwhile"}, by="someone", expected_version=int(version))
    response = post_form(client, url, {"version": version, "status": "in_review", "rating": "REFUTED",
                                       "explanation": "My careful explanation", "note": "my note"})
    assert response.status_code == 409
    html = html_of(response)
    assert "Someone else changed this review" in html and "reload" in html
    assert ">My careful explanation</textarea>" in html and ">my note</textarea>" in html
    assert '<option value="REFUTED" selected>' in html
    assert form_fields(html, url)["version"] == str(int(version) + 1)
    assert store.get_review(check_id).explanation is None  # nothing was saved over the other change


def test_workflow_errors_are_shown_on_the_form(client, login, library, store):
    check_id = flagged(client, login, store)
    url = f"/reviews/{check_id}"
    response = post_form(client, url, {"version": "1", "status": "approved"})
    assert response.status_code == 422
    assert "cannot go from pending to approved" in html_of(response)


def test_published_claimreview_json_is_escaped_for_the_script_element(client, login, store, seed_store):
    from factcheck import review as workflow

    seed_store([LIBRARY_SOURCES[0]])
    claim = "The library </script><script>alert(1)</script> reopened on 3 March 2024 & more"
    response = post_form(client, "/check", {"claim": claim}, follow_redirects=True)
    check_id = re.search(r'href="/checks/(chk-[^"]+)"', html_of(response)).group(1)
    workflow.flag(store, check_id, by="fiona")
    review = store.get_review(check_id)
    other = "SUPPORTED" if review.machine_verdict == "REFUTED" else "REFUTED"  # whatever the checker said
    for changes in ({"status": "in_review"}, {"status": "overridden", "rating": other,
                                               "explanation": "<b>no</b> & </script>"}, {"status": "published"}):
        review = workflow.update(store, check_id, changes, by="eddie", expected_version=review.version)
    login("eddie")
    html = html_of(client.get(f"/reviews/{check_id}"))
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in script and ">" not in script and "&" not in script
    assert json.loads(script)["claimReviewed"] == claim
    assert "<script>alert(1)</script>" not in html


# -- sources ----------------------------------------------------------------------------------------------------------


def test_sources_list_search_filter_and_page(client, library, seed_store):
    html = html_of(client.get("/sources"))
    assert "Riverside library reopens" in html and "Library back in business" in html
    html = html_of(client.get("/sources", query_string={"q": "visitors"}))
    assert "Riverside library reopens" in html and "Library back in business" not in html
    html = html_of(client.get("/sources", query_string={"publisher": "Valley Times"}))
    assert "Library back in business" in html and "Riverside library reopens" not in html
    seed_store([{"id": f"filler-{n}", "text": f"Filler story number {n} about the harbour.",
                 "published_at": "2020-01-01", "title": f"Filler {n}"} for n in range(25)])
    first = html_of(client.get("/sources"))
    assert "Next →" in first and "page=2" in first
    second = html_of(client.get("/sources?page=2"))
    assert "Previous" in second and second.count('class="card"') < first.count('class="card"')
    # the Next link carries where to continue, so following it works at any depth on either store
    following = client.get(re.search(r'href="([^"]+)">Next →', first).group(1).replace("&amp;", "&"))
    listed = re.compile(r'class="title"><a href="([^"]+)"')
    assert listed.findall(html_of(following)) == listed.findall(second)


def test_source_page_highlights_extractions_and_escapes_text(client, library):
    html = html_of(client.get("/sources/riverside-post-library"))
    assert re.search(r'<mark class="hl-date" title="date: 2024-03-03 \(day\)">3 March 2024</mark>', html)
    assert "hl-number" in html
    assert 'class="passage' in html
    hostile = client.get("/sources/hostile-notes")
    html = html_of(hostile)
    assert "<script>alert" not in html and "<img" not in html and "<b>Open</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert client.get("/sources/nope").status_code == 404


def test_adding_sources_needs_a_factchecker(client, login):
    anonymous = client.get("/sources/new")
    assert anonymous.status_code == 403 and 'href="/login?next=/sources/new"' in html_of(anonymous)
    login("clara")
    assert client.get("/sources/new").status_code == 403
    assert post_form(client, "/sources/new", {"mode": "text", "text": "x"}).status_code == 403


def test_add_source_by_pasting_text_and_by_upload(client, login, store):
    login("fiona")
    response = post_form(client, "/sources/new", {
        "mode": "text", "title": "Ferry strike", "publisher": "Coast Courier", "published_at": "2024-06-02",
        "text": "Ferry strike ends\nThe ferry workers ended their strike on 1 June 2024."})
    assert response.status_code == 200
    html = html_of(response)
    assert "added 1" in html and "Ferry strike" in html
    assert any(s.title == "Ferry strike" for s in store.list_sources())
    jsonl = (json.dumps({"id": "up-1", "text": "Dock repairs began on 2 May 2024.", "publisher": "Coast Courier"})
             + "\n{not json}\n" + json.dumps({"id": "up-2", "text": ""}) + "\n").encode()
    response = post_form(client, "/sources/new", {"mode": "file", "file": (io.BytesIO(jsonl), "batch.jsonl")},
                         content_type="multipart/form-data")
    html = html_of(response)
    assert response.status_code == 200 and "added 1" in html and "failed 2" in html
    assert "batch.jsonl:2" in html and "invalid JSON" in html and "text is empty" in html
    assert store.has_source("up-1")


def test_add_source_errors_are_shown_per_item(client, login):
    login("fiona")
    cases = [
        ({"mode": "text", "text": "  "}, "text is empty"),
        ({"mode": "text", "text": "Some text", "published_at": "2024-02-30"}, "published_at"),
        ({"mode": "url", "source_url": "file:///etc/passwd"}, "http:// or https://"),
        ({"mode": "url", "source_url": "/etc/passwd"}, "http:// or https://"),
        ({"mode": "url", "source_url": "http://127.0.0.1:9/page"}, "private address"),
        ({"mode": "file", "file": (io.BytesIO(b"MZ\x00\x00binary"), "tool.exe")}, "unsupported file type"),
        ({"mode": "file", "file": (io.BytesIO(b"\xff\xfe\x00\x00\x00"), "bad.txt")}, "not a text file"),
    ]
    for form, message in cases:
        kwargs = {"content_type": "multipart/form-data"} if form["mode"] == "file" else {}
        response = post_form(client, "/sources/new", form, **kwargs)
        assert response.status_code == 422, form
        html = html_of(response)
        assert message in html, (form, html[html.find("Result"):][:600])
        assert 'class="item-errors"' in html


# -- timeline -------------------------------------------------------------------------------------------------------


def test_timeline_groups_events_and_explains_conflicts(client, library):
    html = html_of(client.get("/timeline", query_string={"q": "Riverside library reopened"}))
    assert '<time datetime="2024-03-03">3 March 2024</time>' in html
    assert '<time datetime="2024-03-10">10 March 2024</time>' in html
    assert html.index("3 March 2024") < html.index("10 March 2024")
    assert "Valley Times dates the same event 10 March 2024" in html
    assert "tl-event card conflict" in html
    filtered = html_of(client.get("/timeline", query_string={"q": "Riverside library reopened",
                                                            "from": "2024-03-05", "to": "2024-03-31"}))
    assert "2024-03-10" in filtered and 'datetime="2024-03-03"' not in filtered
    bad = client.get("/timeline", query_string={"q": "library", "from": "2024-13-01"})
    assert bad.status_code == 400 and "not a real calendar day" in html_of(bad)


def test_timeline_month_and_year_granularity_headings(client, seed_store):
    seed_store([{"id": "ferry-plan", "publisher": "Coast Courier", "published_at": "2024-01-10",
                 "text": "The ferry line will open in June 2025. The ferry terminal was first planned in 2019."}])
    html = html_of(client.get("/timeline", query_string={"q": "ferry"}))
    assert '<time datetime="2025-06">June 2025</time>' in html
    assert '<time datetime="2019">2019</time>' in html


def test_timelinejs_export(client, library):
    response = client.get("/timeline.json", query_string={"q": "Riverside library reopened"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    first = data["events"][0]
    assert first["start_date"] == {"year": 2024, "month": 3, "day": 3}
    assert set(first["text"]) == {"headline", "text"}
    # The headline says what happened, in the event's words; the date and publisher go in the text.
    assert first["text"]["headline"].startswith("The Riverside public library reopened on 3 March 2024")
    assert "Riverside Post" in first["text"]["text"]
    assert data["title"]["text"]["headline"] == "Riverside library reopened"
    one = client.get("/timeline.json", query_string={"entity": "Bergen Harbour Office", "q": "library reopened on 10 March"})
    assert one.get_json()["title"]["text"]["headline"] == "library reopened on 10 March"
    assert "Conflict:" in first["text"]["text"]
    hostile = [e for e in data["events"] if "reader" in e["text"]["text"]]
    assert hostile and "<script>" not in hostile[0]["text"]["text"] and "&lt;script&gt;" in hostile[0]["text"]["text"]
    # TimelineJS renders the group (the publisher) as HTML too
    assert hostile[0]["group"] == "&lt;b&gt;Open&lt;/b&gt; Notes"
    assert "<b>" not in response.get_data(as_text=True)
    assert client.get("/timeline.json").status_code == 400


# -- the verdict page -------------------------------------------------------------------------------------------------


def test_verdict_page_has_both_kinds_of_evidence_and_a_timeline_strip(client, library):
    html = html_of(post_form(client, "/check", {"claim": LIBRARY_CLAIM}, follow_redirects=True))
    supports = html.split('id="h-supports"', 1)[1].split('id="h-conflicts"', 1)[0]
    conflicts = html.split('id="h-conflicts"', 1)[1]
    assert 'class="evidence supports"' in supports and "Riverside Post" in supports
    assert 'class="evidence conflicts"' in conflicts and "Valley Times" in conflicts
    assert '<mark class="conflict date" title="date">10 March 2024</mark>' in html
    strip = html.split('id="h-strip"', 1)[1]
    assert 'class="at-claim claim-event conflict"' in strip and "<strong>claim's date</strong>" in strip
    assert "sources disagree" in strip


def test_uploading_changed_content_under_a_stored_id_makes_a_new_version(client, login, store):
    login("fiona")
    original = {"id": "harbour-1", "text": "Dock repairs began on 2 May 2024 <b>in Bergen</b>.",
                "publisher": "Coast Courier"}
    corrected = {**original, "text": "Dock repairs began on 3 May 2024 in Bergen."}
    for record, outcome in ((original, "added 1"), (corrected, "updated 1"), (corrected, "unchanged 1")):
        response = post_form(client, "/sources/new", {
            "mode": "file", "file": (io.BytesIO(json.dumps(record).encode()), "one.json")},
            content_type="multipart/form-data")
        assert response.status_code == 200 and outcome in html_of(response), html_of(response)
    page = html_of(client.get("/sources/harbour-1"))
    assert "3 May 2024" in page and "2 May 2024" not in page
    assert 'href="/sources/harbour-1/versions/1"' in page
    old = client.get("/sources/harbour-1/versions/1")
    assert old.status_code == 200
    assert "Dock repairs began on 2 May 2024 &lt;b&gt;in Bergen&lt;/b&gt;." in html_of(old)
    assert client.get("/sources/harbour-1/versions/2").status_code == 404  # the current one is the source page
    assert store.get_source("harbour-1").version == 2


def test_timelinejs_counts_one_dated_event_and_keeps_the_title_case():
    from factcheck.web.timeline import timelinejs

    event = {"label": "3 March 2024", "publisher": "Riverside Post", "source_id": "s", "granularity": "day",
             "sentence": "The AI Act entered into force after a long vote in the European Parliament, the "
                         "Council and the Commission said in a joint statement on Tuesday.",
             "range_start": "2024-03-03", "range_end": "2024-03-03", "passage_id": "s:1", "date_start": "2024-03-03",
             "conflict": False, "conflict_reason": None}
    data = timelinejs({"events": [event], "entity": "ai act"}, title="AI Act")
    assert data["title"]["text"] == {"headline": "AI Act", "text": "1 dated event"}
    headline = data["events"][0]["text"]["headline"]
    assert headline.startswith("The AI Act entered into force") and headline.endswith("…") and len(headline) <= 91


def test_editor_excludes_evidence_with_a_reason_and_adds_a_source_by_url(app, client, login, library, store,
                                                                          article_server):
    from .conftest import ADDED_ARTICLE_TITLE

    check_id = flagged(client, login, store)
    url = f"/reviews/{check_id}"
    verdict = store.get_check(check_id)
    target = next(e for e in verdict.evidence if e.publisher == "Valley Times")
    page = html_of(client.get(url))
    assert "Excluded evidence (0)" in page and page.count("Exclude this passage</button>") == len(
        [e for e in verdict.evidence if e.passage_id])
    version = form_fields(page, f"{url}/exclude")["version"]
    # A reason is required, and the page says which field is missing.
    response = post_form(client, f"{url}/exclude", {"version": version, "passage_id": target.passage_id,
                                                    "reason": " "})
    assert response.status_code == 422 and "Reason for excluding" in html_of(response)
    response = post_form(client, f"{url}/exclude", {"version": version, "passage_id": target.passage_id,
                                                    "reason": "Quotes a <b>council</b> leak, not the council"})
    assert response.status_code == 303
    page = html_of(client.get(response.headers["Location"]))
    assert "Excluded evidence (1)" in page and "Excluded by eddie:" in page
    assert "Quotes a &lt;b&gt;council&lt;/b&gt; leak, not the council" in page  # escaped, in the list and the audit
    assert page.count("Quotes a &lt;b&gt;council&lt;/b&gt; leak") == 2 and "excluded evidence" in page
    cards = page.split('id="h-excluded"')[0].split('id="h-evidence"')[1]
    assert target.sentence not in cards  # no longer among the evidence the check will show

    # Adding a source at a private address is refused by the URL ingest's checks, naming the field.
    version = form_fields(page, f"{url}/sources")["version"]
    response = post_form(client, f"{url}/sources", {"version": version, "url": f"{article_server}/article",
                                                    "stance": "conflicts"})
    assert response.status_code == 422
    assert "Source address" in html_of(response) and "loopback" in html_of(response)
    assert f'value="{article_server}/article"' in html_of(response)  # what was typed is kept
    app.extensions["factcheck_config"].allow_private_urls = True  # this test's server is on 127.0.0.1
    response = post_form(client, f"{url}/sources", {"version": version, "url": f"{article_server}/missing",
                                                    "stance": "conflicts"})
    assert response.status_code == 422 and "404" in html_of(response)
    response = post_form(client, f"{url}/sources", {"version": version, "url": f"{article_server}/article",
                                                    "stance": "conflicts"})
    assert response.status_code == 303, html_of(response)
    page = html_of(client.get(response.headers["Location"]))
    assert "Sources added by editors (1)" in page and ADDED_ARTICLE_TITLE in page
    assert "Added by the editors (eddie) as conflicting evidence" in page and "added source" in page
    added = store.get_review(check_id).added[0]
    assert store.get_source(added["source_id"]) is not None  # stored like any ingested source

    # Published: the public page leaves the excluded passage out and shows the added source.
    from factcheck import review as workflow

    review = store.get_review(check_id)
    for changes in ({"status": "in_review"}, {"status": "overridden", "rating": "REFUTED",
                                               "explanation": "It reopened on 10 March."}, {"status": "published"}):
        review = workflow.update(store, check_id, changes, by="eddie", expected_version=review.version)
    public = html_of(client.get(f"/checks/{check_id}"))
    evidence = public.split('<section class="group supports"')[1].split('id="h-added"')[0]
    assert target.sentence not in evidence and "Sources added by the editors (1)" in public
    assert ADDED_ARTICLE_TITLE in public and "Quotes a" not in public
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', public, re.S).group(1)
    assert (target.url or "valley-times") not in script
    page = html_of(client.get(url))  # editors still see it, as excluded, and can no longer change it
    assert "Excluded evidence (1)" in page and "Put it back" not in page and "Exclude this passage" not in page


def test_queue_filters_by_age_shows_the_wait_and_counts_assigned_reviews_in_the_header(client, login, library,
                                                                                        store):
    from datetime import datetime, timedelta, timezone

    from factcheck import review as workflow

    check_id = flagged(client, login, store)
    # The review was flagged ten days ago.
    review = store.get_review(check_id)
    review.created_at = (datetime.now(timezone.utc) - timedelta(days=10, hours=2)).isoformat(timespec="seconds")
    review = store.update_review(review, review.version)
    html = html_of(client.get("/reviews"))
    assert "waiting 10 days" in html and 'id="assigned-count"' not in html
    assert LIBRARY_CLAIM in html_of(client.get("/reviews?waiting=7"))
    assert LIBRARY_CLAIM not in html_of(client.get("/reviews?waiting=30"))
    assert LIBRARY_CLAIM not in html_of(client.get("/reviews?assignee=edna"))
    # Assigned to eddie by someone else: it is in his queue and the header counts it.
    workflow.update(store, check_id, {"assignee": "eddie", "status": "in_review"}, by="edna",
                    expected_version=review.version)
    html = html_of(client.get("/"))
    count = re.search(r'<span class="count" id="assigned-count">(\d+)', html)
    assert count and count.group(1) == "1" and 'href="/reviews?assignee=me"' in html
    assert LIBRARY_CLAIM in html_of(client.get("/reviews?assignee=me&waiting=1"))
    assert LIBRARY_CLAIM in html_of(client.get("/reviews?assignee=eddie&verdict=" + review.machine_verdict))
    # Done with: no longer counted.
    workflow.update(store, check_id, {"status": "dismissed"}, by="eddie", expected_version=review.version + 1)
    assert 'id="assigned-count"' not in html_of(client.get("/"))
