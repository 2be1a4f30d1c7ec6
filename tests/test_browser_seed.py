"""The Quick start as a new user meets it, in a real browser: the demo corpus loaded (120 Wikinews articles of
2005-2010, all distractors here), the seed article (Global Times, 14 May 2024) added, and its five claims checked
through the form. The distractors must not turn the verdicts: a 2005 article on talks in Singapore cannot refute
talks held in Geneva in 2024. The seed article is read from the shared data folder (FACTCHECK_SHARED_DATA)."""
import json
import threading

import pytest

from factcheck import create_app, load_demo
from factcheck.ingest import ingest_records

from .services import unavailable
from .test_browser import browser  # noqa: F401 - the fixture
from .test_seed_checks import SEED

SEED_CLAIMS = [
    ("The first US-China talks on AI were held in Geneva on 14 May 2024", "", "Supported"),
    ("The first US-China talks on AI were held in Vienna on 14 May 2024", "", "Refuted"),
    ("The first US-China talks on AI were held in Geneva on 21 May 2024", "", "Refuted"),
    ("The US delegation was led by Seth Center and Tarun Chhabra", "", "Supported"),
    ("The EU fined Apple 1.8 billion euros", "", "Not enough evidence"),
    # The README's example of a relative date anchored on the claim's date.
    ("Yesterday the talks were held in Geneva", "2024-05-15", "Supported"),
]


@pytest.fixture(scope="module")
def quick_start_server(tmp_path_factory):
    """The app as `scripts/serve` starts it (demo corpus loaded), with the seed article ingested."""
    from werkzeug.serving import make_server

    if not SEED.exists():
        unavailable(f"seed document not found at {SEED}")
    folder = tmp_path_factory.mktemp("quickstart")
    app = create_app({"store_url": f"sqlite:///{folder}/fc.db", "elasticsearch_url": None, "load_demo": True,
                      "admin_db": str(folder / "admin.db"), "secret_key": "quick-start-tests"})
    store, config = app.extensions["factcheck_store"], app.extensions["factcheck_config"]
    load_demo(store, config)
    assert store.stats()["sources"] >= 120
    report = ingest_records(store, [json.loads(SEED.read_text(encoding="utf-8"))], config)
    assert report.failed == 0, report.errors
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    store.close()


@pytest.mark.parametrize("claim, claim_date, label", SEED_CLAIMS)
def test_seed_claims_in_the_browser(browser, quick_start_server, claim, claim_date, label):  # noqa: F811
    context = browser.new_context(base_url=quick_start_server)
    page = context.new_page()
    try:
        page.goto("/")
        page.get_by_label("Claim to check").fill(claim)
        if claim_date:
            page.get_by_label("Claim date").fill(claim_date)
        page.get_by_role("button", name="Check claim").click()
        page.wait_for_load_state()
        banner = page.locator("section.banner")
        assert banner.locator(".label").inner_text() == label
        shown = page.locator("article.evidence").all_inner_texts()
        if label == "Supported":
            assert page.locator("article.evidence.supports").count() >= 1
            assert page.locator("article.evidence.supports").filter(has_text="Global Times").count() >= 1
        if label == "Refuted":
            conflicts = page.locator("article.evidence.conflicts").filter(has_text="Global Times")
            assert conflicts.count() >= 1, shown
        # No Wikinews article of 2005-2010 is shown on either side of a claim about 2024.
        for side in ("supports", "conflicts") if ("2024" in claim or claim_date) else ():
            assert page.locator(f"article.evidence.{side}").filter(has_text="Wikinews").count() == 0, shown
    finally:
        context.close()
