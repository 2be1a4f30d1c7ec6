"""Shared fixtures: an app on a fresh SQLite file per test, its store, a client, and a few hand-written sources."""
import re
import uuid

import pytest

from factcheck import create_app
from factcheck.ingest import ingest_records

from .test_elastic_store import es_session_prefix  # noqa: F401 - a fixture, used by es_module_prefix

# Short texts written for these tests (no third-party text): a meeting in Geneva on a known day.
SEED_SOURCES = [
    {
        "id": "alpine-herald-geneva",
        "url": "https://alpine-herald.example/2024/05/15/geneva-fisheries",
        "publisher": "Alpine Herald",
        "published_at": "2024-05-15",
        "title": "Norway and Chile sign fisheries pact in Geneva",
        "text": "Norway and Chile sign fisheries pact in Geneva\n"
                "The trade ministers of Norway and Chile met in Geneva on 14 May 2024 and signed a fisheries "
                "agreement. The meeting lasted four hours, officials said.",
    },
    {
        "id": "lakeside-daily-geneva",
        "url": "https://lakeside-daily.example/fisheries-talks",
        "publisher": "Lakeside Daily",
        "published_at": "2024-05-16",
        "title": "Fisheries talks end with a deal",
        "text": "Fisheries talks end with a deal\n"
                "The Norwegian and Chilean trade ministers held talks in Geneva on Tuesday and agreed on new "
                "fishing quotas for the South Pacific.",
    },
    {
        "id": "harbour-news-bridge",
        "url": "https://harbour-news.example/bridge",
        "publisher": "Harbour News",
        "published_at": "2023-09-02",
        "title": "New bridge opens in Bergen",
        "text": "New bridge opens in Bergen\n"
                "A new pedestrian bridge opened in Bergen on 1 September 2023 after two years of building work.",
    },
]


def pytest_addoption(parser):
    parser.addoption("--cluster", action="store_true",
                     help="run only the tests marked `cluster`, on the 3-node Elasticsearch cluster "
                          "(scripts/test --cluster starts it); without it they are deselected")


def pytest_configure(config):
    config.addinivalue_line("markers", "cluster: needs the 3-node Elasticsearch cluster; runs only with --cluster")


def pytest_collection_modifyitems(config, items):
    """The cluster lane (--cluster) runs the tests marked `cluster` and nothing else; every other run leaves
    them out (deselected, not skipped)."""
    lane = config.getoption("--cluster")
    keep, drop = [], []
    for item in items:
        (keep if (item.get_closest_marker("cluster") is not None) == lane else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def app(tmp_path):
    """The app on a new SQLite file; no demo corpus, no Elasticsearch even if the environment names one."""
    application = create_app({
        "store_url": f"sqlite:///{tmp_path}/fc.db",
        "elasticsearch_url": None,
        "load_demo": False,
        "admin_db": f"{tmp_path}/admin.db",
        "TESTING": True,
    })
    yield application
    application.extensions["factcheck_store"].close()


# -- the same tests on both backends: the app on SQLite files, or on the Elasticsearch node -------------------------
# Admin state (accounts, keys, webhooks) lives with the store, so the Elasticsearch half runs the whole app on it.
# Its indexes are made once per test module (creating ten indexes takes seconds) and emptied before each test.

@pytest.fixture(scope="module")
def es_module_prefix(request):
    """Index prefix of this module's Elasticsearch app, its indexes created (and deleted at the end)."""
    from factcheck.store.elastic import ElasticStore

    from .test_elastic_store import ES_URL, _delete_indexes

    prefix = f"{request.getfixturevalue('es_session_prefix')}-m{uuid.uuid4().hex[:6]}"
    store = ElasticStore(ES_URL, prefix=prefix)
    store.ensure_indexes()
    # writes of the tests' stores wait for a refresh (refresh="wait_for"): refresh often in tests only
    store.es.indices.put_settings(index=f"{prefix}-*", settings={"index": {"refresh_interval": "50ms"}})
    yield prefix
    _delete_indexes(store, prefix)
    store.close()


def _empty_indexes(prefix: str) -> None:
    from elasticsearch import Elasticsearch, helpers

    from .test_elastic_store import ES_URL

    with Elasticsearch(ES_URL) as es:
        ids = [(hit["_index"], hit["_id"]) for hit in helpers.scan(es, index=f"{prefix}-*", source=False,
                                                                   query={"query": {"match_all": {}}})]
        if ids:
            helpers.bulk(es, ({"_op_type": "delete", "_index": index, "_id": doc_id} for index, doc_id in ids),
                         refresh=True, raise_on_error=False)


@pytest.fixture(params=["sqlite", "elasticsearch"])
def make_app(request, tmp_path):
    """make_app(**settings): the app on SQLite files (param sqlite) or on the Elasticsearch node, store and admin
    state both (param elasticsearch); apps made in one test share that test's state."""
    made = []
    prefix = None
    if request.param == "elasticsearch":
        prefix = request.getfixturevalue("es_module_prefix")
        _empty_indexes(prefix)

    def build(**settings):
        from .test_elastic_store import ES_URL

        config = {"store_url": f"sqlite:///{tmp_path}/fc.db", "elasticsearch_url": None, "load_demo": False,
                  "admin_db": f"{tmp_path}/admin.db", "TESTING": True, **settings}
        if prefix is not None:
            config.update(elasticsearch_url=ES_URL, index_prefix=prefix)
        application = create_app(config)
        if prefix is not None:
            application.extensions["factcheck_store"].refresh = "wait_for"
        made.append(application)
        return application

    build.backend = request.param
    yield build
    for application in made:
        application.extensions["factcheck_webhooks"].stop()
        application.extensions["factcheck_store"].close()


@pytest.fixture
def store(app):
    return app.extensions["factcheck_store"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seed_store(app, store):
    """Call seed_store() to ingest SEED_SOURCES (or the records given) through ingest_records."""
    def seed(records=None):
        report = ingest_records(store, list(records if records is not None else SEED_SOURCES),
                                app.extensions["factcheck_config"])
        assert report.failed == 0, report.errors
        return report

    return seed


# Web accounts for the page tests: one per role that the pages tell apart.
ACCOUNTS = {"fiona": ("factchecker", "fiona-password-1"), "eddie": ("editor", "eddie-password-1"),
            "clara": ("client", "clara-password-1")}


def csrf_token_of(client) -> str:
    """The CSRF token of the client's session, read from a form as a browser would."""
    html = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the log-in form"
    return match.group(1)


def post_form(client, url, data=None, **kwargs):
    """POST a form with the session's CSRF token, as the pages' own forms do."""
    data = dict(data or {})
    if "csrf_token" not in data:
        data["csrf_token"] = csrf_token_of(client)
    return client.post(url, data=data, **kwargs)


@pytest.fixture
def accounts(app):
    """Create ACCOUNTS in the app's admin db; returns {username: (role, password)}."""
    from factcheck import users

    for username, (role, password) in ACCOUNTS.items():
        users.create_user(app.extensions["factcheck_admin"], username, password, role)
    return ACCOUNTS


@pytest.fixture
def login(client, accounts):
    """Call login(username) to log the test client in as one of ACCOUNTS."""
    def log_in(username):
        response = post_form(client, "/login", {"username": username, "password": accounts[username][1]})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return log_in


# An article an editor adds to a review by URL (served from 127.0.0.1: the app must be told to allow that).
ADDED_ARTICLE_TITLE = "Council confirms library date"
ADDED_ARTICLE_HTML = (
    "<!doctype html><html><head><title>Council confirms library date</title>"
    "<meta property='og:site_name' content='Council Bulletin'></head><body><article>"
    "<h1>Council confirms library date</h1>"
    "<p>The Riverside public library reopened to the public on 10 March 2024, the city council confirmed in its "
    "bulletin on Monday. A preview for the press was held a week earlier, on 3 March 2024.</p>"
    "<p>The council said the renovation cost 4 million euros and took two years.</p>"
    "</article></body></html>").encode()


@pytest.fixture(scope="session")
def article_server():
    """Base URL of a local HTTP server: /article is a news article (HTML), anything else is 404."""
    import http.server

    from tests.httpserver import local_server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            found = self.path == "/article"
            body = ADDED_ARTICLE_HTML if found else b"not here"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8" if found else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with local_server(Handler) as url:
        yield url
