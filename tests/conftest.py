"""Shared fixtures: an app on a fresh SQLite file per test, its store, a client, and a few hand-written sources."""
import pytest

from factcheck import create_app
from factcheck.ingest import ingest_records

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


@pytest.fixture
def app(tmp_path):
    """The app on a new SQLite file; no demo corpus, no Elasticsearch even if the environment names one."""
    application = create_app({
        "store_url": f"sqlite:///{tmp_path}/fc.db",
        "elasticsearch_url": None,
        "load_demo": False,
        "TESTING": True,
    })
    yield application
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
