"""Real-browser tests: the app served on 127.0.0.1 in a thread, driven by Playwright in Debian's headless Chromium.

Chromium comes from Debian's `chromium` package (scripts/test installs it when missing); Playwright's own browser
download is never used. Under CI=true a missing browser fails these tests instead of skipping them.
"""
import json
import shutil
import threading
from pathlib import Path

import pytest

from factcheck import create_app, users
from factcheck.ingest import ingest_records

from .services import unavailable
from .test_web_pages import LIBRARY_CLAIM, LIBRARY_SOURCES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
PASSWORDS = {"fiona": ("factchecker", "fiona-browser-pw"), "eddie": ("editor", "eddie-browser-pw")}
GREEN, RED = "rgb(30, 122, 60)", "rgb(179, 38, 30)"


def _unavailable(reason: str):
    unavailable(f"browser tests cannot run: {reason}")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The real app over a temp SQLite store with hand-written sources and two accounts, on a free port."""
    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("browser")
    app = create_app({"store_url": f"sqlite:///{folder}/fc.db", "elasticsearch_url": None, "load_demo": False,
                      "admin_db": str(folder / "admin.db"), "secret_key": "browser-tests"})
    report = ingest_records(app.extensions["factcheck_store"], LIBRARY_SOURCES, app.extensions["factcheck_config"])
    assert report.failed == 0, report.errors
    for name, (role, password) in PASSWORDS.items():
        users.create_user(str(folder / "admin.db"), name, password, role)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    app.extensions["factcheck_store"].close()


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        _unavailable(f"{CHROMIUM} is missing (Debian package chromium; scripts/test installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed: {exc}")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context (no cookies) per test; records dialogs and console errors; screenshot at the end."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.dialogs, tab.console_errors = [], []

    def on_dialog(dialog):
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.on("console", lambda msg: tab.console_errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: tab.console_errors.append(str(exc)))
    yield tab
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username][1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.locator(".account .who").inner_text().startswith(username)


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def border_colour(locator) -> str:
    return locator.evaluate("el => getComputedStyle(el).borderLeftColor")


def test_check_flag_review_publish(page):
    # A fact-checker checks the claim: one source supports it (green), one dates the event differently (red).
    log_in(page, "fiona")
    page.goto("/")
    page.get_by_label("Claim to check").fill(LIBRARY_CLAIM)
    page.get_by_label("Claim date").fill("2024-03-20")
    page.get_by_role("button", name="Check claim").click()
    banner = page.locator("section.banner")
    assert banner.locator(".label").inner_text() == "Conflicting"
    assert "Confidence" in banner.inner_text()
    assert "It is not the share of sources that agree." in banner.inner_text()
    # The confidence bar takes the verdict's colour (amber for Conflicting), not green whatever the verdict.
    bar = banner.locator("meter").evaluate("el => getComputedStyle(el).getPropertyValue('--bar').trim()")
    amber = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--amber').trim()")
    assert bar == amber
    assert "/checks/chk-" in page.url  # POST-redirect-GET: the page is the saved check's
    support = page.locator("article.evidence.supports").filter(has_text="Riverside Post").first
    conflict = page.locator("article.evidence.conflicts").filter(has_text="Valley Times").first
    assert support.is_visible() and conflict.is_visible()
    assert border_colour(support) == GREEN and border_colour(conflict) == RED
    assert conflict.locator("mark.conflict").inner_text() == "10 March 2024"
    assert support.locator("mark.match.date").first.inner_text() == "3 March 2024"
    assert support.locator("mark.match", has_text="Riverside").count() >= 1  # the claim's own name, marked too
    assert page.locator(".strip-events li.at-claim").count() >= 1
    related = page.locator("section.related details")
    assert related.count() == 0 or not related.get_attribute("open")  # folded when there are related passages
    shot(page, "verdict_conflicting")
    page.get_by_label("Note for the editors").fill("Two papers give different reopening dates.")
    page.get_by_role("button", name="Flag for review").click()
    assert "in the editors' queue" in page.locator("section.flag").inner_text()
    check_url = page.url.split("#")[0]
    log_out(page)

    # The editor takes it from the queue, overrides the verdict, then publishes it.
    log_in(page, "eddie")
    page.goto("/reviews")
    item = page.locator("ul.queue li").filter(has_text=LIBRARY_CLAIM)
    item.get_by_role("button", name="Assign to me").click()
    assert "assigned to eddie" in page.locator("ul.queue li").filter(has_text=LIBRARY_CLAIM).inner_text()
    shot(page, "review_queue")
    page.locator("ul.queue li").filter(has_text=LIBRARY_CLAIM).get_by_role("link").first.click()
    assert page.locator("#review-status").inner_text() == "In review"
    assert page.locator(".note").filter(has_text="Two papers give different reopening dates.").is_visible()
    page.get_by_label("Status").select_option("overridden")
    page.get_by_label("Editor's rating").select_option("REFUTED")
    page.get_by_label("Explanation for readers").fill("The council confirms the library reopened on 10 March 2024.")
    page.get_by_label("Add a note").fill("Checked with the council press office.")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "Saved."
    assert page.locator("#review-status").inner_text() == "Overridden"
    page.get_by_role("button", name="Publish").click()
    # Publishing asks first (no script: a confirmation step of the page itself).
    assert "Publishing locks this review" in page.get_by_role("alertdialog").inner_text()
    assert page.locator("#review-status").inner_text() == "Overridden"
    page.get_by_role("button", name="Yes, publish and lock").click()
    assert page.get_by_role("status").inner_text() == "Published."

    # Published: locked (no edit form), ClaimReview JSON-LD in the page, audit trail shows who did what.
    assert page.locator("#review-status").inner_text() == "Published"
    assert page.get_by_role("heading", name="Published and locked").is_visible()
    assert page.locator("form.review-form").count() == 0
    assert page.get_by_role("button", name="Save").count() == 0
    data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert data["@type"] == "ClaimReview" and data["claimReviewed"] == LIBRARY_CLAIM
    assert data["reviewRating"]["ratingValue"] == 1
    audit = page.locator("table.audit").inner_text()
    assert "published" in audit and "eddie" in audit and "fiona" in audit
    assert "Editor's rating: — → Refuted" in audit and "Status: Overridden → Published" in audit  # labels
    assert "REFUTED" not in audit and "in_review" not in audit
    shot(page, "review_published")
    page.goto(check_url)
    assert page.locator('script[type="application/ld+json"]').count() == 1
    # The public page opens with the editor's verdict; the machine's follows it.
    editor = page.locator("section.editor-verdict")
    assert editor.locator(".label").inner_text() == "Refuted"
    assert "reopened on 10 March 2024" in editor.inner_text()
    assert editor.bounding_box()["y"] < page.locator("section.banner.conflicting").bounding_box()["y"]
    assert "Published review" in page.locator("section.flag").inner_text()
    assert not page.dialogs and not page.console_errors, page.console_errors


def test_hostile_source_text_renders_as_text(page):
    page.goto("/sources/hostile-notes")
    text = page.locator("#source-text")
    assert "<script>alert(1)</script>" in text.inner_text()
    assert "<img src=x onerror=alert(1)>" in text.inner_text()
    assert page.get_by_text("<img src=x onerror=alert(1)>", exact=False).first.is_visible()
    assert page.locator("#source-text script, #source-text img").count() == 0
    assert page.locator("h1").inner_text() == "Notes <script>alert('t')</script>"
    assert text.locator("mark.hl-date").first.inner_text() == "4 March 2024"
    shot(page, "source_hostile")
    # The same source as evidence on a verdict page, and in the timeline.
    page.goto("/check?claim=" + "Riverside library renovation on 4 March 2024")
    page.goto("/timeline?q=Riverside+library+reopened")
    assert page.locator(".tl-event.conflict").count() >= 2
    assert "Valley Times dates the same event 10 March 2024" in page.locator(".tl-event.conflict").first.inner_text()
    page.wait_for_timeout(200)
    assert page.dialogs == []


def test_forms_without_csrf_token_are_refused(page, live_server):
    log_in(page, "eddie")
    for url, form in (("/check", {"claim": LIBRARY_CLAIM}), ("/logout", {}),
                      ("/sources/new", {"mode": "text", "text": "A source with no token."})):
        response = page.request.post(live_server + url, form=form)
        assert response.status == 400, url
        response = page.request.post(live_server + url, form={**form, "csrf_token": "guessed"})
        assert response.status == 400, url
    page.goto("/sources")
    assert "A source with no token" not in page.content()
    assert page.locator(".account .who").inner_text().startswith("eddie")  # the refused log-out did nothing


def test_sources_add_and_search(page):
    log_in(page, "fiona")
    page.goto("/sources")
    page.get_by_role("link", name="Add sources").click()
    page.get_by_label("Text of the article").fill("Tram line extended\nThe tram line to Riverside opened on "
                                                  "12 April 2024, two weeks late.")
    page.get_by_label("Title").fill("Tram line extended")
    page.get_by_label("Publisher").fill("Riverside Post")
    page.get_by_label("Publication date").fill("2024-04-13")
    page.get_by_role("button", name="Add text").click()
    assert "added 1" in page.locator("section.report").inner_text()
    page.get_by_label("Page address").fill("http://127.0.0.1:9/private")
    page.get_by_role("button", name="Fetch and add").click()
    errors = page.locator("ul.item-errors").inner_text()
    assert "private address" in errors
    shot(page, "sources_add_error")
    page.goto("/sources")
    page.get_by_label("Search the text").fill("tram")
    page.get_by_role("button", name="Search").click()
    assert page.locator("ul.source-list li").count() == 1
    page.get_by_role("link", name="Tram line extended").click()
    assert page.locator("mark.hl-date").first.inner_text() == "12 April 2024"


def test_keyboard_skip_link_and_phone_layout(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, is_mobile=True)
    tab = context.new_page()
    try:
        tab.goto(f"/check?claim={LIBRARY_CLAIM}")
        tab.keyboard.press("Tab")
        assert tab.evaluate("document.activeElement.textContent") == "Skip to content"
        assert tab.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        tab.keyboard.press("Enter")
        assert tab.evaluate("document.activeElement.id") == "main"
        # Nothing wider than the phone's screen.
        assert tab.evaluate("document.documentElement.scrollWidth") <= 375
        shot(tab, "verdict_phone")
    finally:
        context.close()


def test_timeline_page_and_export(page, live_server):
    page.goto("/timeline")
    page.get_by_label("Words").fill("Riverside library reopened")
    page.get_by_role("button", name="Show timeline").click()
    headings = page.locator(".tl-group h2").all_inner_texts()
    assert headings.index("3 March 2024") < headings.index("10 March 2024")
    conflict = page.locator(".tl-event.conflict").first
    assert border_colour(conflict) == RED
    assert "Conflict:" in conflict.inner_text() and "Valley Times" in conflict.inner_text()
    page.get_by_label("From").fill("2024-03-05")
    page.get_by_role("button", name="Show timeline").click()
    assert "3 March 2024" not in page.locator(".tl-group h2").all_inner_texts()
    shot(page, "timeline")
    export = page.get_by_role("link", name="Export as TimelineJS JSON").get_attribute("href")
    response = page.request.get(live_server + export)
    assert response.ok
    events = response.json()["events"]
    assert events and all(e["start_date"]["year"] == 2024 for e in events)


def test_stale_review_form_keeps_the_edits(browser, live_server):
    """Two tabs of one editor: the second save is refused with a reload message and keeps what was typed."""
    context = browser.new_context(base_url=live_server)
    first = context.new_page()
    try:
        log_in(first, "eddie")
        first.goto(f"/check?claim={LIBRARY_CLAIM}")
        first.goto("/")
        first.get_by_label("Claim to check").fill("The Riverside public library reopened on 10 March 2024.")
        first.get_by_role("button", name="Check claim").click()
        first.get_by_role("button", name="Flag for review").click()
        first.get_by_role("link", name="Open the review").click()
        second = context.new_page()
        second.goto(first.url)
        second.get_by_label("Add a note").fill("A note saved first.")
        second.get_by_role("button", name="Save").click()
        assert second.get_by_role("status").inner_text() == "Saved."
        first.get_by_label("Explanation for readers").fill("Typed in the stale tab.")
        first.get_by_label("Add a note").fill("Stale note.")
        first.get_by_role("button", name="Save").click()
        alert = first.locator("#conflict")
        assert "Someone else changed this review" in alert.inner_text() and "reload" in alert.inner_text()
        assert first.get_by_label("Explanation for readers").input_value() == "Typed in the stale tab."
        assert first.get_by_label("Add a note").input_value() == "Stale note."
        assert "A note saved first." in first.locator("table.audit").inner_text()
        shot(first, "review_stale_form")
        first.get_by_role("button", name="Save").click()  # saving again applies the kept edits on top
        assert first.get_by_role("status").inner_text() == "Saved."
        assert "Stale note." in first.locator("table.audit").inner_text()
    finally:
        context.close()


def test_phone_header_and_timeline_form_line_up_at_390px(browser, live_server):
    """At 390 px (a phone) with an editor's full header: nothing overflows sideways, the name and the account
    share the top line and the menu sits on one line below; the timeline form's inputs line up one per line."""
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    tab = context.new_page()
    try:
        log_in(tab, "eddie")
        tab.goto("/timeline")
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        box = {name: tab.locator(selector).first.bounding_box() for name, selector in (
            ("brand", "header.site .brand"), ("account", "header.site .account"), ("nav", "header.site nav"))}
        assert abs(box["brand"]["y"] - box["account"]["y"]) < 10  # one top line
        assert box["account"]["x"] + box["account"]["width"] <= 390
        assert box["nav"]["y"] >= box["brand"]["y"] + box["brand"]["height"] - 2
        tops = {round(item["y"]) for item in tab.locator("header.site nav li").evaluate_all(
            "items => items.map(i => i.getBoundingClientRect().toJSON())")}
        assert len(tops) == 1, tops  # the menu does not wrap
        inputs = tab.locator("form.filters input").evaluate_all(
            "items => items.map(i => i.getBoundingClientRect().toJSON())")
        assert len(inputs) == 5
        assert len({round(i["x"]) for i in inputs}) == 1 and len({round(i["width"]) for i in inputs}) == 1
        assert all(i["x"] + i["width"] <= 390 for i in inputs)
        assert [round(i["y"]) for i in inputs] == sorted(round(i["y"]) for i in inputs)  # one per line
        shot(tab, "timeline_phone_390")
    finally:
        context.close()


def test_api_docs_have_the_favicon(page):
    page.goto("/api/docs")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    assert href.endswith("favicon.svg") and page.request.get(href).ok
