"""Elasticsearch-only behaviour of ElasticStore, against a real node at ELASTICSEARCH_TEST_URL (or
ELASTICSEARCH_URL, or http://127.0.0.1:9200).

Start one with `scripts/elasticsearch start`. Without a node these tests skip, except under CI=true, where they
fail. The behaviour shared with the SQLite store is in test_store_contract.py, which uses the fixtures below.
Every test gets its own index prefix under one random session prefix; all of them are deleted at the end.
"""
import itertools
import os
import time
import uuid

import pytest

from factcheck import indexes_cli
from factcheck.models import DateMention, Entity, Passage, Source, Verdict
from factcheck.store.base import StoreError, StoreUnavailable
from factcheck.store.elastic import ElasticStore
from .services import unavailable

ES_URL = (os.environ.get("ELASTICSEARCH_TEST_URL") or os.environ.get("ELASTICSEARCH_URL")
          or "http://127.0.0.1:9200")
CLOSED_PORT_URL = "http://127.0.0.1:9599"
_counter = itertools.count()


@pytest.fixture(scope="session")
def es_session_prefix():
    """A random prefix for this session's indexes; skip (or fail under CI=true) when no node answers."""
    admin = ElasticStore(ES_URL, prefix="unused", request_timeout=10, max_retries=0)
    try:
        admin.wait_until_ready("20s")
    except StoreError as exc:
        admin.close()
        message = f"no Elasticsearch node at {ES_URL}: {exc} (start one with scripts/elasticsearch start)"
        unavailable(message)
    prefix = f"fc-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    _delete_indexes(admin, prefix)
    admin.close()


def _delete_indexes(store, prefix):
    names = list(store.es.indices.get(index=f"{prefix}-*", expand_wildcards="all"))
    if names:  # by name: a node may refuse wildcard deletes (action.destructive_requires_name)
        store.es.indices.delete(index=",".join(names))


@pytest.fixture
def elastic_store(es_session_prefix):
    """A fresh ElasticStore on its own indexes; writes wait for a refresh so the next read sees them."""
    store = ElasticStore(ES_URL, prefix=f"{es_session_prefix}-{next(_counter)}", refresh="wait_for")
    store.ensure_indexes()
    # refresh="wait_for" waits for the next scheduled refresh (1 s by default): refresh often in tests only
    store.es.indices.put_settings(index=f"{store.prefix}-*", settings={"index": {"refresh_interval": "50ms"}})
    yield store
    _delete_indexes(store, store.prefix)
    store.close()


def _source(source_id="geneva-1", publisher="Alpine Herald", published_at="2024-05-15"):
    return Source(id=source_id, text="Norway and Chile signed a fisheries agreement in Geneva on 14 May 2024.",
                  content_hash="h-" + source_id, publisher=publisher, published_at=published_at)


def _passage(source_id="geneva-1", index=0):
    return Passage(source_id, index, "Norway and Chile signed a fisheries agreement in Geneva on 14 May 2024.",
                   0, 72, dates=[DateMention("14 May 2024", 58, 69, "2024-05-14", "day",
                                             range_start="2024-05-14", range_end="2024-05-14")],
                   entities=[Entity("Norway", 0, 6, "PLACE", "norway")])


def test_indexes_are_versioned_behind_aliases(es_session_prefix):
    store = ElasticStore(ES_URL, prefix=f"{es_session_prefix}-{next(_counter)}")
    kinds = ("sources", "passages", "checks", "reviews", "source_versions",
             "users", "api_keys", "webhooks", "webhook_queue", "webhook_deliveries")
    assert store.ensure_indexes() == dict.fromkeys(kinds, True)
    assert store.ensure_indexes() == dict.fromkeys(kinds, False)
    status = store.index_status()
    assert status["passages"]["index"] == f"{store.prefix}-passages-v1"
    assert all(entry["current"] for entry in status.values())
    store.close()


def test_store_unavailable_is_raised_quickly_on_a_closed_port():
    store = ElasticStore(CLOSED_PORT_URL, prefix="nobody", request_timeout=2, max_retries=1)
    started = time.monotonic()
    for call in (lambda: store.has_source("x"), lambda: store.search("fisheries"), store.stats,
                 lambda: store.candidates("fisheries", [0.5] * 384),
                 lambda: store.add_source(_source(), [_passage()]),
                 lambda: store.save_check(Verdict("c", "SUPPORTED", 0.5, None, [], []))):
        with pytest.raises(StoreUnavailable) as caught:
            call()
        assert "127.0.0.1:9599" in str(caught.value)
    assert time.monotonic() - started < 10
    store.close()


def test_a_query_refused_inside_a_combined_search_is_a_store_error(elastic_store):
    """Both of a check's queries go in one request, whose parts fail one by one: a refused part is a StoreError
    saying why, as when the query is sent alone, not a KeyError or an empty answer."""
    assert elastic_store.add_source(_source(), [_passage(index=0)]) is True
    with pytest.raises(StoreError) as alone:
        elastic_store.nearest([0.5, 0.5, 0.5])  # three numbers for a 384-number field
    with pytest.raises(StoreError) as combined:
        elastic_store.candidates("talks in Geneva", [0.5, 0.5, 0.5])
    for caught in (alone, combined):
        assert not isinstance(caught.value, StoreUnavailable)
        assert "HTTP 400" in str(caught.value) and "dimension" in str(caught.value)
    assert [h.passage.id for h in elastic_store.candidates("talks in Geneva", None)[0]] == ["geneva-1:0"]


def test_failed_bulk_leaves_nothing_behind(elastic_store):
    good = _passage(index=0)
    bad = _passage(index=1)
    bad.speaker = {"name": "x"}  # rejected by the keyword mapping, after the good passage is written
    with pytest.raises(StoreError) as caught:
        elastic_store.add_source(_source(), [good, bad])
    assert not isinstance(caught.value, StoreUnavailable)
    assert not elastic_store.has_source("geneva-1")
    assert elastic_store.get_passages("geneva-1") == []
    assert elastic_store.stats() == {"sources": 0, "passages": 0, "checks": 0}
    assert elastic_store.add_source(_source(), [good]) is True


def test_passages_without_a_stored_source_are_invisible(elastic_store):
    elastic_store.ensure_indexes()
    from factcheck.store.elastic import passage_doc  # the indexed form, written here without its source

    elastic_store.es.index(index=elastic_store.alias("passages"), id="orphan:0",
                           document=passage_doc(_passage("orphan"), _source("orphan")), refresh="wait_for")
    assert elastic_store.search("Norway fisheries") == []
    assert elastic_store.timeline(entity="norway") == []
    assert elastic_store.get_passages("orphan") == []


def test_migrate_moves_aliases_and_keeps_everything(elastic_store):
    elastic_store.add_source(_source(), [_passage()])
    check_id = elastic_store.save_check(Verdict("Norway and Chile met", "SUPPORTED", 0.8, None, [], []))
    before = elastic_store.stats()
    assert indexes_cli.create(elastic_store) == "all indexes exist"
    reports = []
    result = indexes_cli.migrate(elastic_store, progress=lambda *report: reports.append(report))
    # Each kind says how far its copy is, ending with every document read.
    assert ("passages", 1, 1) in reports and ("sources", 1, 1) in reports and ("checks", 1, 1) in reports
    assert ("users", 0, 0) in reports
    assert f"{elastic_store.prefix}-passages-v1 -> {elastic_store.prefix}-passages-v2" in result
    status = indexes_cli.status(elastic_store)
    assert status["backend"] == "elasticsearch"
    assert status["passages"]["index"].endswith("-passages-v2") and status["passages"]["docs"] == 1
    assert not elastic_store.es.indices.exists(index=f"{elastic_store.prefix}-passages-v1")
    assert elastic_store.stats() == before
    assert [h.passage.id for h in elastic_store.search("fisheries agreement", as_of="2024-06-01")] == ["geneva-1:0"]
    assert elastic_store.get_passages("geneva-1") == [_passage()]
    assert elastic_store.get_check(check_id).claim == "Norway and Chile met"


def _unit(seed: int):
    import numpy as np

    vector = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_vectors_are_kept_compact_and_an_older_index_reads_and_migrates(es_session_prefix, monkeypatch):
    """Vectors sit in _source in Elasticsearch's compact form (base64), so hits read them as written instead of
    the node rebuilding each from the index. An index made by an older definition (vectors left out of _source)
    reads the same vectors, says it is not current, and `indexes migrate` brings it to the compact form."""
    import numpy as np

    from factcheck.store import elastic

    real = elastic.load_definition

    def older(kind):  # the definitions before the compact form: vectors left out of _source (Elasticsearch 9's default)
        definition = real(kind)
        definition["settings"] = {k: v for k, v in definition["settings"].items() if k != "mapping"}
        return definition

    store = ElasticStore(ES_URL, prefix=f"{es_session_prefix}-{next(_counter)}", refresh="wait_for")
    try:
        monkeypatch.setattr(elastic, "load_definition", older)
        store.ensure_indexes()
        monkeypatch.setattr(elastic, "load_definition", real)
        source, passage = _source(), _passage()
        source.title = "Fisheries deal in Geneva"
        source.title_vector, passage.vector = _unit(1), _unit(2)
        store.add_source(source, [passage])
        check_id = store.save_check(Verdict("Norway and Chile met", "SUPPORTED", 0.8, None, [], [],
                                            claim_vector=_unit(3)))

        def read():
            hits, near = store.candidates("fisheries agreement Geneva", _unit(2), limit=5, nearest_limit=5)
            assert [h.passage.id for h in hits] == [h.passage.id for h in near] == ["geneva-1:0"]
            for hit in (hits[0], near[0]):
                np.testing.assert_allclose(hit.passage.vector, _unit(2), atol=1e-3)  # float16 precision
                np.testing.assert_allclose(hit.source.title_vector, _unit(1), atol=1e-3)
            assert near[0].score == pytest.approx(1.0, abs=1e-3)
            found = store.nearest_checks(_unit(3), limit=1)
            assert found[0].check.id == check_id
            np.testing.assert_allclose(found[0].vector, _unit(3), atol=1e-3)

        def raw(kind, field):
            return store.es.search(index=store.alias(kind), size=1, source=[field])["hits"]["hits"][0]["_source"][field]

        read()
        assert isinstance(raw("passages", "vector"), list)  # rebuilt by the node from the index
        assert not store.index_status()["passages"]["current"]

        indexes_cli.migrate(store)
        assert all(kind["current"] for kind in store.index_status().values())
        for kind, field in (("passages", "vector"), ("sources", "title_vector"), ("checks", "claim_vector")):
            assert isinstance(raw(kind, field), str)  # as written: base64 of 384 float32
        read()
        store.add_source(_source("geneva-2"), [_passage("geneva-2")])  # written compact, no vector: none stored
        assert store.get_passages("geneva-2") == [_passage("geneva-2")]
    finally:
        _delete_indexes(store, store.prefix)
        store.close()


def test_concurrent_style_duplicate_create_returns_false(elastic_store):
    """The source document is created with op_type=create: a second writer that raced past has_source loses."""
    assert elastic_store.add_source(_source(), [_passage()]) is True
    elastic_store.has_source = lambda source_id: False  # pretend the check ran before the first write landed
    assert elastic_store.add_source(_source(), [_passage()]) is False
    del elastic_store.has_source
    assert elastic_store.get_passages("geneva-1") == [_passage()]


def _corrected(source_id="geneva-1"):
    corrected = _source(source_id)
    corrected.text = "Norway and Chile signed a fisheries agreement in Lausanne on 15 May 2024."
    corrected.content_hash = "h2-" + source_id
    passage = Passage(source_id, 0, corrected.text, 0, len(corrected.text),
                      entities=[Entity("Lausanne", 49, 57, "PLACE", "lausanne")])
    return corrected, [passage]


def test_a_replace_that_dies_before_the_switch_leaves_the_old_version_whole(elastic_store):
    """The writer wrote the new passages and died: readers still see version 1 and only its passages; a re-run
    completes the replace and removes what the dead writer left."""
    assert elastic_store.add_source(_source(), [_passage()]) is True
    corrected, new_passages = _corrected()
    corrected.version = 2
    elastic_store._write_passages(corrected, new_passages)  # step 1 of replace_source, then "kill -9"
    assert elastic_store.get_passages("geneva-1") == [_passage()]
    assert [h.passage.text for h in elastic_store.search("Lausanne Norway fisheries")] == [_passage().text]
    assert elastic_store.timeline(entity="lausanne") == []

    corrected, new_passages = _corrected()
    assert elastic_store.replace_source(corrected, new_passages, expected_version=1) is True
    assert elastic_store.get_passages("geneva-1") == new_passages
    assert [h.passage.text for h in elastic_store.search("Lausanne fisheries")] == [corrected.text]
    elastic_store.es.indices.refresh(index=elastic_store.alias("passages"))
    assert elastic_store.stats()["passages"] == 1  # the old revision's passages are deleted


def test_a_replace_that_dies_after_the_switch_shows_only_the_new_version(elastic_store):
    assert elastic_store.add_source(_source(), [_passage()]) is True
    corrected, new_passages = _corrected()
    elastic_store._delete_stale_passages = lambda *args: None  # "killed" before the clean-up
    assert elastic_store.replace_source(corrected, new_passages, expected_version=1) is True
    assert elastic_store.get_passages("geneva-1") == new_passages
    texts = [h.passage.text for h in elastic_store.search("Norway Chile fisheries agreement")]
    assert texts == [corrected.text]
    assert elastic_store.timeline(entity="norway") == []  # the old passage (dated 14 May) is not shown
    # `indexes migrate` drops what the clean-up would have deleted
    indexes_cli.migrate(elastic_store)
    assert elastic_store.stats()["passages"] == 1
    assert elastic_store.get_passages("geneva-1") == new_passages
    assert [v.version for v in elastic_store.source_versions("geneva-1")] == [2, 1]


def test_the_next_writer_finishes_the_clean_up_of_a_replace_killed_after_the_switch(elastic_store):
    assert elastic_store.add_source(_source(), [_passage()]) is True
    corrected, new_passages = _corrected()
    elastic_store._finish_replace = lambda *args: None  # "killed" right after the switch
    assert elastic_store.replace_source(corrected, new_passages, expected_version=1) is True
    del elastic_store._finish_replace
    elastic_store.es.indices.refresh(index=elastic_store.alias("passages"))
    assert elastic_store.stats()["passages"] == 2  # the old revision's passage is still there, invisible
    assert elastic_store.source_head("geneva-1").version == 2  # what a re-run asks first
    elastic_store.es.indices.refresh(index=elastic_store.alias("passages"))
    assert elastic_store.stats()["passages"] == 1
    assert not elastic_store.es.get(index=elastic_store.alias("sources"), id="geneva-1")["_source"]["stale_passages"]


def test_two_writers_adding_different_content_under_one_id_never_mix(elastic_store):
    """Both wrote their passages before either created the source: the loser's passages are removed, the
    winner's are the ones shown."""
    corrected, new_passages = _corrected()
    elastic_store._write_passages(corrected, new_passages)  # the loser got this far
    assert elastic_store.add_source(_source(), [_passage()]) is True
    elastic_store.has_source = lambda source_id: False  # the loser checked before the winner's write landed
    assert elastic_store.add_source(corrected, new_passages) is False
    del elastic_store.has_source
    assert elastic_store.get_passages("geneva-1") == [_passage()]
    elastic_store.es.indices.refresh(index=elastic_store.alias("passages"))
    assert elastic_store.stats()["passages"] == 1


def test_new_fields_are_added_to_an_existing_index(es_session_prefix):
    """An index made before a field was added to indexes/*.json gets the field when the store starts."""
    store = ElasticStore(ES_URL, prefix=f"{es_session_prefix}-{next(_counter)}", refresh="wait_for")
    from factcheck.store.elastic import load_definition

    store.es.indices.create(index=f"{store.prefix}-sources-v1", aliases={store.alias("sources"): {}},
                            settings=load_definition("sources")["settings"],
                            mappings={"dynamic": "strict", "properties": {"id": {"type": "keyword"}}})
    store.ensure_indexes()
    properties = store.es.indices.get_mapping(index=store.alias("sources")).body[f"{store.prefix}-sources-v1"]
    assert {"version", "revision", "text"} <= set(properties["mappings"]["properties"])
    _delete_indexes(store, store.prefix)
    store.close()


def test_review_pages_past_ten_thousand_follow_positions(elastic_store):
    """Elasticsearch serves from+size up to 10,000 hits only; paging by position goes on past it."""
    from elasticsearch import helpers

    from factcheck.models import Review
    from factcheck.store.base import review_position

    def actions():
        for number in range(10_050):
            stamp = f"2024-05-14T10:{number // 3600 % 60:02d}:{number // 60 % 60:02d}+00:00"
            item = Review(id=f"chk-{number:05d}", check_id=f"chk-{number:05d}", claim="c", machine_verdict="REFUTED",
                          created_at=stamp, updated_at=stamp)
            yield {"_index": elastic_store.alias("reviews"), "_id": item.id,
                   "_source": elastic_store._review_doc(item)}

    helpers.bulk(elastic_store.es, actions(), refresh="wait_for", chunk_size=2000)
    assert elastic_store.list_reviews(offset=10_000, limit=50) == []
    tenth_thousand = elastic_store.list_reviews(offset=9_999, limit=1)[0]
    rest = elastic_store.list_reviews(after=review_position(tenth_thousand), limit=200)
    assert len(rest) == 50
    assert rest[-1].id == max(r.id for r in rest) and len({r.id for r in rest}) == 50


# -- shards, replicas and several node URLs (the cluster itself: tests/test_cluster.py) ----------------------------

def test_shards_and_replicas_come_from_the_definitions_and_the_configuration(es_session_prefix, monkeypatch):
    from factcheck.config import Config
    from factcheck.store import open_store

    plain = ElasticStore(ES_URL, prefix=f"{es_session_prefix}-{next(_counter)}")
    status = plain.index_status()
    # indexes/*.json: one shard; replicas expand from 0 on one node to 1 on two nodes or more
    nodes = plain.wait_until_ready()["number_of_nodes"]
    assert {(entry["shards"], entry["replicas"]) for entry in status.values()} == {(1, min(1, nodes - 1))}
    plain.close()

    monkeypatch.setenv("FACTCHECK_ES_SHARDS", "2, passages=3")
    monkeypatch.setenv("FACTCHECK_ES_REPLICAS", "0")
    monkeypatch.setenv("FACTCHECK_INDEX_PREFIX", f"{es_session_prefix}-{next(_counter)}")
    monkeypatch.setenv("ELASTICSEARCH_URL", ES_URL)
    configured = open_store(Config.from_env())
    status = configured.index_status()
    assert status["passages"]["shards"] == 3 and status["sources"]["shards"] == 2
    assert {entry["replicas"] for entry in status.values()} == {0}
    # a configured replica count reaches existing indexes too (replicas change in place; 0 keeps one node green)
    configured.es.indices.put_settings(index=configured.alias("checks"), settings={"index.number_of_replicas": 2})
    again = open_store(Config.from_env())
    assert again.index_status()["checks"]["replicas"] == 0
    configured.close()
    again.close()


@pytest.mark.parametrize("name, value, reason", [
    ("FACTCHECK_ES_SHARDS", "0", "FACTCHECK_ES_SHARDS takes a count"),
    ("FACTCHECK_ES_SHARDS", "passages=many", "FACTCHECK_ES_SHARDS takes a count"),
    ("FACTCHECK_ES_REPLICAS", "-1", "FACTCHECK_ES_REPLICAS takes a count"),
])
def test_a_bad_shard_or_replica_setting_is_named(monkeypatch, name, value, reason):
    from factcheck.config import Config

    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=reason):
        Config.from_env()


def test_an_unknown_index_kind_is_named():
    with pytest.raises(StoreError, match="unknown indexes \\['pasages'\\]"):
        ElasticStore(ES_URL, prefix="unused", shards={"pasages": 2})


def test_several_node_urls_and_a_dead_one_among_them(elastic_store):
    """ELASTICSEARCH_URL may list several nodes: a store given a dead one first still answers every request."""
    elastic_store.add_source(_source(), [_passage()])
    store = ElasticStore(f"{CLOSED_PORT_URL}, {ES_URL}", prefix=elastic_store.prefix, request_timeout=5)
    try:
        for _ in range(4):
            assert [h.passage.id for h in store.search("fisheries agreement")] == ["geneva-1:0"]
    finally:
        store.close()
