"""The /timeline.json export loaded into TimelineJS itself, embedded on another origin, in headless Chromium.

TimelineJS is the npm package @knight-lab/timelinejs at a pinned version and integrity, fetched once with
`npm pack` into ~/.cache/factcheck/ (the app never downloads anything) and served from a local server on its own
port: a different origin from the app's, so the export reaches it only through FACTCHECK_CORS_ORIGINS.
"""
import base64
import hashlib
import html
import http.server
import json
import os
import shutil
import subprocess
import tarfile
import threading
from functools import partial
from pathlib import Path
from urllib.parse import quote

import pytest

from factcheck import create_app
from factcheck.ingest import ingest_records

from .httpserver import local_server
from .services import unavailable
from .test_browser import browser  # noqa: F401 - the shared headless Chromium fixture
from .test_web_pages import LIBRARY_SOURCES

TIMELINEJS = "@knight-lab/timelinejs@3.9.11"
TIMELINEJS_TARBALL = "knight-lab-timelinejs-3.9.11.tgz"
TIMELINEJS_INTEGRITY = "sha512-+jUuY1OJ+9zSO5O3AfYSLd1yB0vQkm22zyIElz8BWT5DQ9mL0rsxlQkBKAqLbWpJjFuAAJeqzLY35xFIg6GW4g=="
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "factcheck"
QUERY = "Riverside library"


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


@pytest.fixture(scope="module")
def timelinejs_dist(tmp_path_factory) -> Path:
    """TimelineJS's dist/ folder from the pinned npm tarball (packed into the cache on first use)."""
    tarball = CACHE / TIMELINEJS_TARBALL
    if not tarball.exists():
        if not shutil.which("npm"):
            unavailable(f"npm is missing and {tarball} is not cached: cannot get {TIMELINEJS}")
        CACHE.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(["npm", "pack", TIMELINEJS, "--pack-destination", str(CACHE)],
                                capture_output=True, text=True, timeout=300)
        if packed.returncode != 0 or not tarball.exists():
            unavailable(f"npm pack {TIMELINEJS} failed: {packed.stderr[-500:]}")
    assert _integrity(tarball) == TIMELINEJS_INTEGRITY, f"{tarball} is not the pinned {TIMELINEJS}"
    folder = tmp_path_factory.mktemp("timelinejs")
    with tarfile.open(tarball) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith("package/dist/") and m.isfile()]
        archive.extractall(folder, members=members, filter="data")
    return folder / "package" / "dist"


@pytest.fixture(scope="module")
def embed_site(timelinejs_dist):
    """Another site: TimelineJS under /timelinejs/ and an embed page (/embed?src=<timeline.json URL>)."""
    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            if self.path.startswith("/embed?src="):
                source = self.path.split("=", 1)[1]
                body = EMBED_PAGE.format(src=html.escape(json.dumps(_unquote(source)), quote=False)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def translate_path(self, path):
            relative = path.split("?", 1)[0].removeprefix("/timelinejs/")
            return str(timelinejs_dist / relative) if path.startswith("/timelinejs/") else "/nonexistent"

        def log_message(self, *args):
            pass

    with local_server(partial(Handler)) as base:
        yield base


def _unquote(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value)


EMBED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Embed</title>
<link rel="stylesheet" href="/timelinejs/css/timeline.css">
<script src="/timelinejs/js/timeline.js"></script></head>
<body><div id="timeline-embed" style="width: 1000px; height: 600px"></div>
<script>
  window.timelineLoaded = false;
  window.timeline = new TL.Timeline("timeline-embed", {src}, {{script_path: location.origin + "/timelinejs/js/", font: null}});
  window.timeline.on("loaded", function () {{ window.timelineLoaded = true; }});
</script></body></html>
"""


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, embed_site):
    """The app, with the embed site's origin in FACTCHECK_CORS_ORIGINS."""
    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("cors")
    app = create_app({"store_url": f"sqlite:///{folder}/fc.db", "elasticsearch_url": None, "load_demo": False,
                      "admin_db": str(folder / "admin.db"), "cors_origins": f"https://other.example, {embed_site}"})
    report = ingest_records(app.extensions["factcheck_store"], LIBRARY_SOURCES, app.extensions["factcheck_config"])
    assert report.failed == 0, report.errors
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["factcheck_store"].close()


def test_timelinejs_renders_every_event_of_the_export_from_another_origin(browser, app_server,  # noqa: F811
                                                                           embed_site):
    export = f"{app_server}/timeline.json?q={quote(QUERY)}"
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    errors, outside = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def only_local(route):  # nothing may come from the network: TimelineJS is served here, the data by the app
        if route.request.url.startswith(("http://127.0.0.1:", "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    try:
        data = page.request.get(export).json()
        events = data["events"]
        assert len(events) >= 2, data
        page.goto(f"{embed_site}/embed?src={quote(export, safe='')}")
        try:
            page.wait_for_function("window.timelineLoaded === true", timeout=20000)
        except Exception:
            raise AssertionError(f"TimelineJS did not load: {errors} {outside} {page.content()[:3000]}")
        page.wait_for_selector(".tl-timemarker", state="attached")
        # One marker on the time navigation per event, each carrying the event's headline.
        markers = page.locator(".tl-timemarker .tl-timemarker-text").all_inner_texts()
        assert len(markers) == len(events)
        for event in events:
            headline = html.unescape(event["text"]["headline"]).strip()
            assert any(headline[:30] in " ".join(m.split()) for m in markers), (headline, markers)
        # A slide per event, plus the title slide.
        assert page.locator(".tl-slide").count() == len(events) + (1 if data.get("title") else 0)
        page.screenshot(path=str(_screenshots() / "timelinejs_embed.png"))
        assert errors == [] and outside == [], (errors, outside)
    finally:
        context.close()


def test_an_origin_that_is_not_configured_cannot_read_the_export(browser, app_server, embed_site):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{embed_site}/embed?src=x")  # any page of the embed site, for its origin
        other = app_server.replace("127.0.0.1", "localhost")  # the same app under another origin name
        status = page.evaluate("""async (url) => {
            try { const r = await fetch(url); return r.status; } catch (e) { return 'blocked'; } }""",
                               f"{app_server}/timeline.json?q=library")
        assert status == 200  # the configured embed origin reads it
        page.goto(f"{other}/timeline")  # a page of another origin: not configured, so the browser blocks it
        status = page.evaluate("""async (url) => {
            try { const r = await fetch(url); return r.status; } catch (e) { return 'blocked'; } }""",
                               f"{app_server}/timeline.json?q=library")
        assert status == "blocked"
    finally:
        context.close()


def _screenshots() -> Path:
    folder = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
