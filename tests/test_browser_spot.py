"""The "Find claims" page in a real browser (Debian's Chromium driven by Playwright; see tests/test_browser.py)."""
from .test_browser import browser, live_server, page  # noqa: F401 - fixtures used below

TRANSCRIPT = ("HOST: Good evening, and thank you all for coming tonight.\n"
              "MAYOR: The Riverside public library reopened on 3 March 2024 after a two-year renovation.\n"
              "HOST: I am so happy to be here.\n")


def test_find_claims_ranks_sentences_and_checks_one_with_the_document_date(page, tmp_path):  # noqa: F811
    page.goto("/")
    page.get_by_role("link", name="Find claims").click()
    page.get_by_label("Text").fill(TRANSCRIPT + "<script>alert(1)</script> was said.\n")
    page.get_by_label("Document date").fill("2024-03-20")
    page.get_by_role("button", name="Find claims").click()
    items = page.locator("ol.sentences > li")
    texts = [items.nth(i).locator(".text").inner_text() for i in range(items.count())]
    assert texts[0].startswith("Good evening") and texts[1].startswith("The Riverside public library reopened")
    assert texts[-1].startswith("<script>")  # shown as text, never run
    assert page.dialogs == [] and page.locator("ol.sentences script").count() == 0
    library = items.nth(1)
    assert "worthy" in library.get_attribute("class") and library.locator(".rank").inner_text() == "#1"
    assert library.locator(".speaker").inner_text() == "Mayor"
    assert "date" in library.locator(".features").inner_text()
    greeting = items.nth(0)
    assert "worthy" not in greeting.get_attribute("class") and greeting.locator(".speaker").inner_text() == "Host"
    assert greeting.get_by_role("button", name="Check this claim").count() == 0
    assert "worth checking" in page.locator("#h-ranked").inner_text()
    # One click checks the sentence, dated with the document's date.
    library.get_by_role("button", name="Check this claim").click()
    page.wait_for_load_state()
    assert page.locator("section.claim").inner_text().count("The Riverside public library reopened") >= 1
    assert "2024-03-20" in page.locator("section.claim").inner_text()
    assert page.locator("section.banner .label").inner_text()
    # The same claim in other words, uploaded as a file, now shows that earlier check.
    upload = tmp_path / "debate.txt"
    upload.write_text("HOST: Welcome back.\nMAYOR: On 3 March 2024 the public library in Riverside reopened "
                      "after two years of renovation.\n", encoding="utf-8")
    page.goto("/spot")
    page.get_by_label("or a file").set_input_files(str(upload))
    page.get_by_role("button", name="Find claims").click()
    worthy = page.locator("ol.sentences > li.worthy").first
    assert worthy.locator(".speaker").inner_text() == "Mayor"
    note = worthy.locator(".previous")
    assert note.inner_text().startswith("Already checked on ")
    note.get_by_role("link").first.click()
    page.wait_for_load_state()
    assert "/checks/chk-" in page.url
    assert page.console_errors == []


def test_find_claims_says_what_is_missing(page):  # noqa: F811
    page.goto("/spot")
    page.get_by_role("button", name="Find claims").click()
    assert "paste a text" in page.locator("#form-errors").inner_text()
